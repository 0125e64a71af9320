import t from 'tap';
import { AmiMessage, parseOne, serializeHeaders } from '../../lib/ami/message.ts';
import { AmiParser } from '../../lib/ami/parser.ts';
import * as fx from '../helpers/ami.ts';

/** Messages as the stream parser makes them (line records in a shared pool, base > 0 after the first). */
function parse(buf: Buffer): AmiMessage[] {
  const out: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => out.push(m), maxMessageSize: 4 << 20 });
  p.push(buf);
  return out;
}

const pairsOf = (buf: Buffer): [string, string][][] => parse(buf).map((m) => [...m]);

t.test('get, getAll, has, indexOf, keyEquals', async (t) => {
  const [, hangup, varset] = parse(fx.REPEATED);
  const m = hangup!;
  t.ok(m.base > 0, 'a pooled message');
  t.equal(m.get('Channel'), 'PJSIP/a-1');
  t.equal(m.get('channel'), 'PJSIP/a-1', 'case-insensitive');
  t.equal(m.get('CHANVARIABLE(pjsip/A-1)'), 'CDR(dst)=200', 'first of a repeated key');
  t.same(m.getAll('ChanVariable(PJSIP/a-1)'), ['CDR(dst)=200', 'x=1']);
  t.same(m.getAll('Nope'), []);
  t.equal(m.get('Nope'), undefined);
  t.ok(m.has('cause'));
  t.notOk(m.has('Caus'));
  t.equal(m.indexOf('Cause'), 3);
  t.equal(varset!.indexOf('Variable', 3), 4, 'indexOf from a line');
  t.ok(m.keyEquals(0, 'EVENT'));
  // Only letters fold: '[' and '{' differ by the case bit but are different characters.
  const odd = parseOne(Buffer.from('A[: 1\r\n\r\n'));
  t.notOk(odd.keyEquals(0, 'a{'));
  t.ok(odd.keyEquals(0, 'a['));
});

t.test('keys and values: blanks, colons, opaque lines, offsets', async (t) => {
  const m = parseOne(Buffer.from('Key :  \tv: w \r\nNoColon here\r\nEmpty:\r\n\r\n'));
  t.equal(m.count, 3);
  t.equal(m.key(0), 'Key', 'trailing blanks of a key trimmed');
  t.equal(m.value(0), 'v: w ', 'leading blanks skipped, the rest kept');
  t.equal(m.lineStart(0), 0);
  t.equal(m.lineEnd(0), 13);
  t.equal(m.valueOffset(0), 8);
  t.ok(m.isOpaque(1));
  t.equal(m.key(1), 'NoColon here');
  t.equal(m.value(1), '');
  t.equal(m.valueOffset(1), -1);
  t.equal(m.value(2), '');
  t.equal(m.valueOffset(2), m.lineEnd(2));
});

t.test('iteration in order, toObject with repeated keys as arrays, raw bytes', async (t) => {
  const [cmd, hangup] = parse(fx.REPEATED);
  t.same([...hangup!].map(([k]) => k), ['Event', 'Privilege', 'Channel', 'Cause', 'ChanVariable(PJSIP/a-1)', 'ChanVariable(PJSIP/a-1)', 'Some Key']);
  t.same(cmd!.toObject(), {
    Response: 'Success',
    ActionID: 'C1',
    Message: 'Command output follows',
    Output: [
      'Channel              Location             State   Application(Data)',
      'PJSIP/100-00000001   s@default:1          Up      Playback(demo-congrats)',
      '1 active channel',
    ],
  });
  const three = parseOne(Buffer.from('A: 1\r\nA: 2\r\nA: 3\r\n\r\n'));
  t.same(three.toObject(), { A: ['1', '2', '3'] });
  t.equal(cmd!.raw.toString(), fx.REPEATED.toString().split('\r\n\r\n')[0] + '\r\n\r\n', 'raw is the exact bytes');
  t.equal(cmd!.response, 'Success');
  t.equal(cmd!.event, undefined);
  t.equal(hangup!.event, 'Hangup');
  t.equal(hangup!.response, undefined);
  t.equal(cmd!.actionId, 'C1');
  // `Event:` not first (an OriginateResponse-like event still has a name).
  t.equal(parseOne(Buffer.from('Privilege: call,all\r\nEvent: Late\r\n\r\n')).event, 'Late');
});

t.test('withActionId: replace, insert, remove', async (t) => {
  const [resp, status, complete] = parse(fx.STATUS_LIST);

  // Replace: only the value changes, every other byte is copied.
  const r = resp!.withActionId('proxy-1');
  t.equal(r.toString(), resp!.raw.toString().replace('ActionID: S2', 'ActionID: proxy-1'));

  // List items carry ActionID at the end.
  const s = status!.withActionId('mine');
  t.equal(s.toString(), status!.raw.toString().replace('ActionID: S2\r\n\r\n', 'ActionID: mine\r\n\r\n'));
  t.equal(parseOne(s).actionId, 'mine');
  t.equal(parseOne(s).count, status!.count);

  // Remove: the whole line goes.
  const gone = status!.withActionId(undefined);
  t.equal(gone.toString(), status!.raw.toString().replace('ActionID: S2\r\n', ''));
  t.notOk(parseOne(gone).has('ActionID'));
  t.equal(complete!.withActionId(undefined).toString(), 'Event: StatusComplete\r\nEventList: Complete\r\nListItems: 1\r\nItems: 1\r\n\r\n');

  // Insert after the first line when there was none, with the message's own line ending.
  const ev = parseOne(Buffer.from('Event: A\r\nX: 1\r\n\r\n'));
  t.equal(ev.withActionId('n1').toString(), 'Event: A\r\nActionID: n1\r\nX: 1\r\n\r\n');
  const lf = parse(fx.LF_ONLY)[1]!;
  t.equal(lf.withActionId('n2').toString(), 'Response: Success\nActionID: n2\nPing: Pong\n\n');
  t.equal(ev.withActionId(undefined), ev.raw, 'nothing to remove: the raw bytes themselves');

  // Every ActionID line (any case) is replaced or removed.
  const twice = parseOne(Buffer.from('Response: Success\r\nActionID: a\r\nX: y\r\nactionid:a\r\n\r\n'));
  t.equal(twice.withActionId('b').toString(), 'Response: Success\r\nActionID: b\r\nX: y\r\nactionid:b\r\n\r\n');
  t.equal(twice.withActionId(undefined).toString(), 'Response: Success\r\nX: y\r\n\r\n');

  // An empty value is replaced too.
  t.equal(parseOne(Buffer.from('Response: Success\r\nActionID:\r\n\r\n')).withActionId('z').toString(), 'Response: Success\r\nActionID:z\r\n\r\n');
});

t.test('withActionId on a pre-14 Follows response touches headers only', async (t) => {
  const [m] = parse(fx.FOLLOWS_COMMAND);
  const replaced = m!.withActionId('p-9');
  t.equal(replaced.toString(), fx.FOLLOWS_COMMAND.toString().split('Event: Ping')[0]!.replace('ActionID: c13', 'ActionID: p-9'));
  const again = parse(replaced)[0]!;
  t.equal(again.actionId, 'p-9');
  t.equal(again.body, fx.FOLLOWS_COMMAND_BODY, 'body intact');

  const removed = parse(m!.withActionId(undefined))[0]!;
  t.equal(removed.actionId, undefined);
  t.equal(removed.count, 2);
  t.equal(removed.body, fx.FOLLOWS_COMMAND_BODY);

  // A body line that looks like an ActionID header is body text, never rewritten.
  const tricky = Buffer.from('Response: Follows\r\nPrivilege: Command\r\nline one\nActionID: not-a-header\n--END COMMAND--\r\n\r\n');
  const [f] = parse(tricky);
  t.equal(f!.actionId, undefined);
  const ins = f!.withActionId('x1');
  t.equal(ins.toString(), 'Response: Follows\r\nActionID: x1\r\nPrivilege: Command\r\nline one\nActionID: not-a-header\n--END COMMAND--\r\n\r\n');
  t.equal(parse(ins)[0]!.body, 'line one\nActionID: not-a-header\n');
  t.equal(f!.withActionId(undefined), f!.raw);
});

t.test('from, serializeHeaders, parseOne', async (t) => {
  const pairs: [string, string][] = [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Variable', 'A=1'], ['Variable', 'B=2']];
  t.equal(serializeHeaders(pairs).toString(), 'Action: Originate\r\nChannel: Local/100@test\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n');
  const m = AmiMessage.from(pairs);
  t.same([...m], pairs);
  t.same(AmiMessage.from([]).count, 0);
  // parseOne follows the parser's rules: a bare LF inside a CRLF line is content.
  const p = parseOne(Buffer.from('Event: VarSet\r\nValue: a\nb\r\n\r\n'));
  t.same([...p], [['Event', 'VarSet'], ['Value', 'a\nb']]);
  t.same([...parseOne(Buffer.from('Event: X\nA: 1\n\n'))], [['Event', 'X'], ['A', '1']]);
  t.same([...parseOne(Buffer.from('Event: X\r\nA: 1'))], [['Event', 'X'], ['A', '1']], 'no blank line at the end');
});

t.test('pooled parser messages read the same as standalone ones', async (t) => {
  const streams = Buffer.concat(Object.values(fx.STREAMS).concat(fx.outputResponse(3000)));
  const msgs = parse(streams);
  t.equal(msgs.length, 18);
  let same = 0;
  for (const m of msgs) {
    if (m.body !== undefined) {
      same++;
      continue; // parseOne does not do Follows bodies
    }
    const alone = parseOne(m.raw);
    if (JSON.stringify([...alone]) === JSON.stringify([...m]) && JSON.stringify(alone.toObject()) === JSON.stringify(m.toObject())) same++;
  }
  t.equal(same, msgs.length);
  t.same(pairsOf(fx.CRLF_LF)[1], [['Event', 'CoreShowChannelMapComplete'], ['ActionID', 'm1']]);
});

t.test('decoding: many distinct short strings, non-ASCII, long values', async (t) => {
  // 20,000 distinct keys and values through the 4,096-slot decode cache: collisions must never
  // return another string.
  const pairs: [string, string][] = [];
  for (let i = 0; i < 20000; i++) pairs.push([`K${(i * 7919) % 100003}`, `v${i}`]);
  pairs.push(['Name', 'Zo\u00eb'], ['Long', 'x'.repeat(100)], ['Mixed', 'caf\u00e9 \u2603 ok'], ['Ascii', 'plain']);
  const m = AmiMessage.from(pairs);
  let bad = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < m.count; i++) if (m.key(i) !== pairs[i]![0] || m.value(i) !== pairs[i]![1]) bad++;
  }
  t.equal(bad, 0);
  const o = m.toObject();
  t.equal(o['Name'], 'Zo\u00eb');
  t.equal(o['Mixed'], 'caf\u00e9 \u2603 ok');
  t.equal(Object.keys(o).length, pairs.length);
  // An ASCII message and a non-ASCII one give the same kind of object.
  t.same(parseOne(Buffer.from('A: 1\r\nB:  two\r\nC:\r\n\r\n')).toObject(), { A: '1', B: 'two', C: '' });
  t.same(parseOne(Buffer.from('A: \u00e9\r\nB:  two\r\nC:\r\n\r\n')).toObject(), { A: '\u00e9', B: 'two', C: '' });
});
