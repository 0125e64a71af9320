import t from 'tap';
import { AmiParser } from '../../lib/ami/parser.ts';
import { AmiMessage, parseOne } from '../../lib/ami/message.ts';
import { insertHeader, restoreActionId } from '../../lib/mux/rewrite.ts';
import { readCorpus } from '../helpers/fixtures.ts';

function parseAll(bytes: Buffer): AmiMessage[] {
  const out: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => out.push(m) });
  p.push(bytes);
  return out;
}

const IDS = [undefined, 'caller-1', '', 'x', 'ünïcode id with spaces', 'a-much-longer-caller-action-id-than-ours-0123456789'];

t.test('same bytes as withActionId, offsets as the parser, over the corpus sample', (t) => {
  const msgs = parseAll(readCorpus('asterisk22-sample.ami'));
  t.ok(msgs.length > 300);
  let bad = 0;
  for (const m of msgs) {
    for (const id of IDS) {
      const r = restoreActionId(m, id);
      const want = m.withActionId(id);
      if (!r.raw.equals(want)) {
        bad++;
        continue;
      }
      // The streaming parser is the reference: parseOne splits at a bare LF inside a CRLF line.
      const ref = parseAll(want)[0]!;
      if (r.count !== ref.count) bad++;
      for (let j = 0; j < r.count * 3; j++) if (r.lines[r.base + j] !== ref.lines[ref.base + j]) bad++;
      if (r.actionId !== id && !(id === undefined && r.actionId === undefined)) bad++;
    }
  }
  t.equal(bad, 0, 'no mismatch');
  t.end();
});

t.test('Response: Follows body keeps its range', (t) => {
  const raw = Buffer.from(
    'Response: Follows\r\nPrivilege: Command\r\nActionID: ab12cd34-7\r\nline one\nline: two\n--END COMMAND--\r\n\r\n',
  );
  const [m] = parseAll(raw);
  t.ok(m);
  t.equal(m!.body, 'line one\nline: two\n');
  for (const id of IDS) {
    const r = restoreActionId(m!, id);
    t.same(r.raw, m!.withActionId(id));
    t.equal(r.body, 'line one\nline: two\n', `body with id ${String(id)}`);
    t.equal(r.get('Privilege'), 'Command');
    t.equal(r.actionId, id);
  }
  t.end();
});

t.test('message without ActionID: inserted, or returned as is', (t) => {
  const m = parseOne(Buffer.from('Event: X\r\nA: 1\r\n\r\n'));
  t.equal(restoreActionId(m, undefined), m);
  const r = restoreActionId(m, 'c1');
  t.equal(r.raw.toString(), 'Event: X\r\nActionID: c1\r\nA: 1\r\n\r\n');
  t.equal(r.get('A'), '1');
  t.end();
});

t.test('repeated ActionID lines and bare LF', (t) => {
  const m = parseOne(Buffer.from('Response: Success\nActionID: p-1\nX: y\nactionid:p-1\n\n'));
  const r = restoreActionId(m, 'mine');
  t.equal(r.raw.toString(), 'Response: Success\nActionID: mine\nX: y\nactionid:mine\n\n');
  t.same(r.getAll('ActionID'), ['mine', 'mine']);
  const gone = restoreActionId(m, undefined);
  t.equal(gone.raw.toString(), 'Response: Success\nX: y\n\n');
  t.equal(gone.count, 2);
  t.end();
});

t.test('insertHeader: a second line in the message own line ending, offsets as the parser, body kept', async (t) => {
  const msgs = parseAll(readCorpus('asterisk22-sample.ami'));
  let bad = 0;
  for (const m of msgs) {
    const r = insertHeader(m, 'Server', 'east');
    const ref = parseAll(r.raw)[0]!;
    const lines = r.raw.toString('latin1').split('\r\n');
    if (lines[1] !== 'Server: east' || r.get('Server') !== 'east' || r.count !== m.count + 1 || ref.count !== r.count) bad++;
    for (let i = 0; i < r.count; i++) if (r.key(i) !== ref.key(i) || r.value(i) !== ref.value(i)) bad++;
  }
  t.equal(bad, 0);
  const lf = insertHeader(parseOne(Buffer.from('Event: X\nA: 1\n\n')), 'Server', 'w');
  t.equal(lf.raw.toString(), 'Event: X\nServer: w\nA: 1\n\n');
  const follows = parseAll(Buffer.from('Response: Follows\r\nActionID: 1\r\nline one\n--END COMMAND--\r\n\r\n'))[0]!;
  const f = insertHeader(follows, 'Server', 'w');
  t.equal(f.raw.toString(), 'Response: Follows\r\nServer: w\r\nActionID: 1\r\nline one\n--END COMMAND--\r\n\r\n');
  t.equal(f.raw.subarray(f.bodyStart, f.bodyEnd).toString(), follows.raw.subarray(follows.bodyStart, follows.bodyEnd).toString());
});
