import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { AmiParser, type ParserOptions } from '../../lib/ami/parser.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';
import { ErrorCodes } from '../../lib/errors.ts';
import * as fx from '../helpers/ami.ts';
import { CAPTURES, corpusNames, readCorpus } from '../helpers/fixtures.ts';
import { prng as rng } from '../../lib/sim/prng.ts';

// ---------------------------------------------------------------------------------------------
// Helpers: feed bytes in a given chunking, describe messages so runs can be compared.

interface Run {
  msgs: AmiMessage[];
  errors: string[];
  banners: string[];
  parser: AmiParser;
}

/** A subtest's `t`. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

type Opts = Omit<ParserOptions, 'onMessage' | 'onError' | 'onBanner'>;

function run(chunks: Buffer[], opts: Opts = {}): Run {
  const r: Run = { msgs: [], errors: [], banners: [], parser: undefined as unknown as AmiParser };
  r.parser = new AmiParser({
    ...opts,
    onMessage: (m) => r.msgs.push(m),
    onError: (code) => r.errors.push(code),
    onBanner: (version, line) => r.banners.push(`${version}|${line}`),
  });
  for (const c of chunks) r.parser.push(c);
  return r;
}

/** Copies, so that nothing can depend on chunks sharing memory. */
const copy = (b: Buffer): Buffer => Buffer.from(b);
const one = (buf: Buffer): Buffer[] => [copy(buf)];
const bytewise = (buf: Buffer): Buffer[] => Array.from(buf, (_, i) => copy(buf.subarray(i, i + 1)));
const splitAt = (buf: Buffer, k: number): Buffer[] => [copy(buf.subarray(0, k)), copy(buf.subarray(k))];

function randomChunks(buf: Buffer, seed: number, max: number): Buffer[] {
  const rand = rng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + Math.floor(rand() * max);
    out.push(copy(buf.subarray(i, i + n)));
    i += n;
  }
  return out;
}

/** Everything the parser decided about a message: bytes, line records, body. */
function describe(m: AmiMessage): unknown {
  const lines: number[] = [];
  for (let i = 0; i < m.count; i++) {
    const b = m.base + i * 3;
    lines.push(m.lines[b]!, m.lines[b + 1]!, m.lines[b + 2]!);
  }
  return { raw: m.raw.toString('latin1'), lines, bodyStart: m.bodyStart, bodyEnd: m.bodyEnd };
}

const summary = (r: Run): unknown => ({ msgs: r.msgs.map(describe), errors: r.errors, banners: r.banners, version: r.parser.version });

/** Parses `buf` as one chunk, byte by byte and split at every boundary; all must agree. */
function threeWay(t: Test, name: string, buf: Buffer, opts: Opts = {}): Run {
  const whole = run(one(buf), opts);
  t.same(summary(run(bytewise(buf), opts)), summary(whole), `${name}: byte by byte = one chunk`);
  let splitOk = true;
  for (let k = 1; k < buf.length && splitOk; k++) {
    const s = run(splitAt(buf, k), opts);
    splitOk = JSON.stringify(summary(s)) === JSON.stringify(summary(whole));
    if (!splitOk) t.same(summary(s), summary(whole), `${name}: split at ${k}`);
  }
  t.ok(splitOk, `${name}: split at every boundary = one chunk`);
  return whole;
}

const pairs = (m: AmiMessage): [string, string][] => [...m];


// ---------------------------------------------------------------------------------------------

t.test('banner is exposed as the AMI version and is not a message', async (t) => {
  const r = threeWay(t, 'banner', fx.BANNER_LOGIN, { expectBanner: true });
  t.equal(r.parser.version, '11.0.0');
  t.same(r.banners, ['11.0.0|Asterisk Call Manager/11.0.0']);
  t.equal(r.msgs.length, 2);
  t.equal(r.msgs[0]!.response, 'Success');
  t.equal(r.msgs[0]!.raw.toString(), 'Response: Success\r\nActionID: L1\r\nMessage: Authentication accepted\r\n\r\n');
  t.equal(r.msgs[1]!.event, 'FullyBooted');
  t.same(r.errors, []);

  // Without expectBanner the banner line is just a line without a colon: a malformed message.
  const no = run(one(fx.BANNER_LOGIN));
  t.equal(no.parser.version, undefined);
  t.same(no.errors, [ErrorCodes.AMI_ERR_MALFORMED]);
  t.same(no.msgs.map((m) => m.event), ['FullyBooted']);

  // expectBanner, but the stream starts with a message: nothing is lost.
  const direct = run(one(Buffer.from('Response: Success\r\nMessage: x\r\n\r\n')), { expectBanner: true });
  t.equal(direct.parser.version, undefined);
  t.equal(direct.msgs.length, 1);

  // reset(true) expects a new banner (a reconnect) and drops a partial message.
  const p = run([Buffer.from('Asterisk Call Manager/2.10.6\r\nResponse: Succ')], { expectBanner: true });
  t.equal(p.parser.version, '2.10.6');
  t.equal(p.parser.pending, 'Response: Succ'.length);
  p.parser.reset(true);
  t.equal(p.parser.version, undefined);
  t.equal(p.parser.pending, 0);
  p.parser.push(fx.BANNER_LOGIN);
  t.equal(p.parser.version, '11.0.0');
  t.same(p.msgs.map((m) => m.response ?? m.event), ['Success', 'FullyBooted']);
});

t.test('CRLF and bare-LF line endings', async (t) => {
  const r = threeWay(t, 'LF only', fx.LF_ONLY);
  t.same(r.msgs.map(pairs), [
    [['Event', 'UserEvent'], ['Privilege', 'user,all'], ['UserEvent', 'Ping'], ['Data', 'a:b']],
    [['Response', 'Success'], ['Ping', 'Pong']],
  ]);
  t.equal(Buffer.concat(r.msgs.map((m) => m.raw)).toString(), fx.LF_ONLY.toString());

  // A CRLF stream and an LF stream back to back.
  const mixed = Buffer.concat([fx.STATUS_LIST, fx.LF_ONLY, fx.REPEATED]);
  const m = threeWay(t, 'mixed', mixed);
  t.equal(m.msgs.length, 3 + 2 + 3);
  t.ok(Buffer.concat(m.msgs.map((x) => x.raw)).equals(mixed), 'raws concatenate to the input');
});

t.test('\\r\\n\\n ends a message and belongs to it', async (t) => {
  const r = threeWay(t, 'crlf-lf', fx.CRLF_LF);
  t.equal(r.msgs.length, 2);
  t.equal(r.msgs[0]!.raw.toString(), 'Response: Success\r\nActionID: m1\r\nMessage: Channel map follows\r\n\n');
  t.equal(r.msgs[0]!.get('Message'), 'Channel map follows');
  t.equal(r.msgs[1]!.event, 'CoreShowChannelMapComplete');
});

t.test('extra blank lines between messages belong to no message', async (t) => {
  const r = threeWay(t, 'blanks', fx.EXTRA_BLANKS);
  t.same(r.msgs.map((m) => m.raw.toString()), ['Event: A\r\nX: 1\r\n\r\n', 'Event: B\r\n\r\n']);
  const rawBytes = r.msgs.reduce((n, m) => n + m.raw.length, 0);
  t.equal(fx.EXTRA_BLANKS.length - rawBytes, fx.EXTRA_BLANKS_STRAY, 'only the stray blank lines are dropped');
  t.same(r.errors, []);
  t.equal(r.parser.pending, 0);
});

t.test('repeated keys in order, keys with spaces and parentheses', async (t) => {
  const r = threeWay(t, 'repeated', fx.REPEATED);
  const [cmd, hangup, varset] = r.msgs;
  t.same(cmd!.getAll('Output'), [
    'Channel              Location             State   Application(Data)',
    'PJSIP/100-00000001   s@default:1          Up      Playback(demo-congrats)',
    '1 active channel',
  ]);
  t.same(hangup!.getAll('ChanVariable(PJSIP/a-1)'), ['CDR(dst)=200', 'x=1']);
  t.equal(hangup!.key(4), 'ChanVariable(PJSIP/a-1)');
  t.equal(hangup!.get('Some Key'), 'spaced');
  t.same(pairs(varset!).slice(2), [['Variable', 'FOO'], ['Value', 'a=b'], ['Variable', 'BAR']]);
  t.same(varset!.getAll('variable'), ['FOO', 'BAR'], 'case-insensitive');
});

t.test('values with colons, lines without a colon, empty values, raw LF/CR inside values', async (t) => {
  const r = threeWay(t, 'odd', fx.ODD_LINES);
  t.equal(r.msgs.length, 1);
  const m = r.msgs[0]!;
  t.equal(m.get('EventTV'), '2026-11-26T10:10:06.865+0000');
  t.equal(m.get('Message'), 'a: b: c');
  t.equal(m.get('AccountCode'), '');
  t.ok(m.has('AccountCode'));
  t.equal(m.get('Empty'), '');
  const i = 5;
  t.ok(m.isOpaque(i));
  t.equal(m.key(i), 'no colon on this line');
  t.equal(m.value(i), '');
  t.notOk(m.has('no colon on this line'), 'a free-text line is not a header');
  t.equal(m.get('ReportBlock'), '');
  t.same(m.getAll('AppData'), ['LF_VAR=line1\nline2', 'CR_VAR=a\rb'], 'a bare LF or CR inside a CRLF line is content');
  t.equal(m.get('UTF8'), 'caf\u00e9 \u2603');
  t.equal(m.count, 10);
});

t.test('the first colon is found at every offset, next to look-alike bytes', async (t) => {
  // ';' is ':' ^ 1 and 0xBA is ':' | 0x80: the bytes a word-at-a-time search could confuse.
  const fillers = ['k', ';', '\xba', ':'];
  let bad = 0;
  let cases = 0;
  for (const f of fillers) {
    for (let n = 0; n < 12; n++) {
      const key = f === ':' ? 'K'.repeat(n) : `K${f.repeat(n)}`;
      const line = Buffer.from(`${key}: v;\xba:${f}\r\n`, 'latin1');
      const m = run(one(Buffer.concat([Buffer.from('Event: X\r\n'), line, Buffer.from('\r\n')]))).msgs[0]!;
      const b = m.base + 3;
      cases++;
      if (m.lines[b + 1] !== m.lines[b]! + key.length) bad++;
    }
  }
  t.equal(bad, 0, `${cases} keys, colon offset exact`);
});

t.test('pre-14 Response: Follows body up to --END COMMAND--', async (t) => {
  const r = threeWay(t, 'follows', fx.FOLLOWS_COMMAND);
  t.equal(r.msgs.length, 2);
  const m = r.msgs[0]!;
  t.equal(m.response, 'Follows');
  t.equal(m.get('Privilege'), 'Command');
  t.equal(m.actionId, 'c13');
  t.equal(m.count, 3, 'the body is not headers');
  t.equal(m.body, fx.FOLLOWS_COMMAND_BODY, 'body text with its bare LFs and blank line');
  t.notOk(m.has('Version'), 'a colon inside the body is not a header');
  t.equal(r.msgs[1]!.event, 'Ping');
  t.ok(Buffer.concat(r.msgs.map((x) => x.raw)).equals(fx.FOLLOWS_COMMAND));
});

t.test('a large Follows body in socket-sized chunks', async (t) => {
  const lines: string[] = [];
  for (let i = 0; i < 20000; i++) lines.push(`SIP/trunk-${String(i).padStart(8, '0')}  s@from-pstn:1  Up  Dial(SIP/1${i % 1000})`);
  const body = lines.join('\n') + '\n';
  const buf = Buffer.from(`Response: Follows\r\nPrivilege: Command\r\nActionID: f\r\n${body}--END COMMAND--\r\n\r\nEvent: Next\r\n\r\n`);
  for (const seed of [1, 2]) {
    const r = run(randomChunks(buf, seed, 1460), { maxMessageSize: 4 << 20 });
    t.same(r.errors, []);
    t.equal(r.msgs.length, 2);
    t.equal(r.msgs[0]!.body, body);
    t.equal(r.msgs[0]!.actionId, 'f');
    t.equal(r.msgs[1]!.event, 'Next');
  }
});

t.test('Response: Follows body up to --END SMS EVENT--', async (t) => {
  const r = threeWay(t, 'sms', fx.FOLLOWS_SMS);
  t.equal(r.msgs.length, 2);
  t.equal(r.msgs[0]!.body, fx.FOLLOWS_SMS_BODY, 'a CRLF blank line inside the body does not end it');
  t.equal(r.msgs[0]!.actionId, undefined);
  t.equal(r.msgs[1]!.event, 'After');
});

t.test('a chunk boundary between \\r and \\n', async (t) => {
  const msg = Buffer.from('Event: A\r\nKey: v\r\n\r\nEvent: B\r\n\r\n');
  for (const k of [9, 17, 19, 29, 31]) {
    t.equal(msg[k - 1], 13, `byte ${k - 1} is CR`);
    const r = run(splitAt(msg, k));
    t.same(r.msgs.map(pairs), [[['Event', 'A'], ['Key', 'v']], [['Event', 'B']]], `split after CR at ${k}`);
  }
  // A lone LF at the start of a chunk right after a line: it is the blank line of `\r\n\n`.
  const r = run([Buffer.from('Event: A\r\n'), Buffer.from('\nEvent: B\r\n\r\n')]);
  t.same(r.msgs.map((m) => m.raw.toString()), ['Event: A\r\n\n', 'Event: B\r\n\r\n']);
});

t.test('every fixture, random chunkings', async (t) => {
  for (const [name, buf] of Object.entries(fx.STREAMS)) {
    const whole = summary(run(one(buf)));
    for (let seed = 1; seed <= 20; seed++) t.same(summary(run(randomChunks(buf, seed, 7))), whole, `${name} seed ${seed}`);
  }
});

t.test('fuzz: random token streams parse the same in every chunking', async (t) => {
  // Tokens chosen to hit every branch: line ends of all kinds, colons, Follows, markers, banner.
  const tokens = [
    '\r\n', '\r\n', '\n', '\r', ':', ': ', 'Event', 'Key', 'x', 'val ue', '\r\n\r\n', '\n\n', '\r\n\n',
    'Response: Follows\r\n', 'Privilege: Command\r\n', 'ActionID: 7\r\n', '--END COMMAND--', '--END SMS EVENT--',
    'Asterisk Call Manager/1.4\r\n', 'Event: A\r\nB: c\r\n\r\n', 'x'.repeat(40),
  ];
  const rand = rng(2024);
  let checked = 0;
  for (let n = 0; n < 400; n++) {
    let s = '';
    const len = 1 + Math.floor(rand() * 40);
    for (let i = 0; i < len; i++) s += tokens[Math.floor(rand() * tokens.length)];
    const buf = Buffer.from(s);
    const opts = { maxMessageSize: 20 + Math.floor(rand() * 200), expectBanner: rand() < 0.3 };
    const whole = JSON.stringify(summary(run(one(buf), opts)));
    const byByte = JSON.stringify(summary(run(bytewise(buf), opts)));
    const random = JSON.stringify(summary(run(randomChunks(buf, n, 9), opts)));
    if (byByte !== whole || random !== whole) {
      t.fail(`stream ${n} differs: ${JSON.stringify(s)} ${JSON.stringify(opts)}`);
      t.same(JSON.parse(byByte), JSON.parse(whole));
      return;
    }
    checked++;
  }
  t.equal(checked, 400, 'all streams agree');
});

t.test('an oversized message is reported and skipped to its blank line', async (t) => {
  const big = `Event: Big\r\nData: ${'x'.repeat(200)}\r\n\r\n`;
  const input = Buffer.from(`Event: A\r\n\r\n${big}Event: B\r\n\r\n`);
  const r = threeWay(t, 'oversized', input, { maxMessageSize: 100 });
  t.same(r.errors, [ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE]);
  t.same(r.msgs.map((m) => m.event), ['A', 'B']);

  // A limit exactly the size of the message accepts it.
  const exact = Buffer.from('Event: A\r\n\r\n');
  t.same(run(bytewise(exact), { maxMessageSize: exact.length }).errors, []);
  t.same(run(bytewise(exact), { maxMessageSize: exact.length - 1 }).errors, [ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE]);

  // An oversized Follows body has blank lines inside: resynchronise at its real end.
  const follows = Buffer.concat([fx.FOLLOWS_COMMAND, Buffer.from('Event: C\r\n\r\n')]);
  const f = threeWay(t, 'oversized follows', follows, { maxMessageSize: 120 });
  t.same(f.errors, [ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE]);
  t.same(f.msgs.map((m) => m.event), ['Ping', 'C']);

  // The default limit is 1 MiB; a larger limit takes a 20,000-line Command response.
  const out = fx.outputResponse(20000);
  const dflt = run(randomChunks(out, 7, 1460));
  t.same(dflt.errors, [ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE]);
  const ok = run(randomChunks(out, 7, 1460), { maxMessageSize: 4 << 20 });
  t.same(ok.errors, []);
  t.equal(ok.msgs.length, 1);
  t.equal(ok.msgs[0]!.getAll('Output').length, 20000);
  t.equal(ok.msgs[0]!.getAll('Output')[19999], 'PJSIP/trunk-00019999  s@from-pstn:1  Up  Dial(PJSIP/1999)');
  t.ok(ok.msgs[0]!.raw.equals(out));

  t.throws(() => new AmiParser({ onMessage() {}, maxMessageSize: 0 }), { code: 'AJAM_ERR_INVALID_ARG' }, 'a bad limit is API misuse');
});

t.test('garbage: reported with a code, resynchronised at the next blank line, never throws', async (t) => {
  const input = Buffer.from('garbage without a colon\r\nmore: junk\r\n\r\nEvent: A\r\n\r\n\x00\x01\xff\n\nEvent: B\n\n');
  const r = threeWay(t, 'garbage', input);
  t.same(r.errors, [ErrorCodes.AMI_ERR_MALFORMED, ErrorCodes.AMI_ERR_MALFORMED]);
  t.same(r.msgs.map((m) => m.event), ['A', 'B']);

  let text = '';
  const p = new AmiParser({ onMessage() {}, onError: (_c, m) => (text = m) });
  p.push(Buffer.from('oops\r\n\r\n'));
  t.match(text, /malformed AMI message: "oops\\r\\n\\r\\n"/);

  // No onError given: still no throw.
  t.doesNotThrow(() => run(one(input)).parser.push(Buffer.from('\xff\xfe\r\n\r\n', 'latin1')));
});

t.test('memory stays bounded on a huge garbage stream', async (t) => {
  const max = 64 * 1024;
  const rand = rng(42);
  const chunk = Buffer.alloc(64 * 1024);
  for (const kind of ['random bytes', 'no line end', 'short lines, no blank line']) {
    const r = run([], { maxMessageSize: max });
    let peak = 0;
    for (let n = 0; n < 128; n++) {
      for (let i = 0; i < chunk.length; i++) {
        chunk[i] = kind === 'random bytes' ? Math.floor(rand() * 256) : kind === 'no line end' ? 120 : i % 2 === 0 ? 97 : 10;
      }
      r.parser.push(Buffer.from(chunk));
      peak = Math.max(peak, r.parser.pending);
    }
    t.ok(peak <= max, `${kind}: pending peaked at ${peak} <= ${max}`);
    t.ok(r.errors.length > 0, `${kind}: errors reported`);
    t.ok(
      r.errors.every((c) => c === ErrorCodes.AMI_ERR_MALFORMED || c === ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE),
      `${kind}: only framing codes`,
    );
    // The stream recovers at the next blank line.
    const before = r.msgs.length;
    r.parser.push(Buffer.from('\r\n\r\nEvent: Recovered\r\n\r\n'));
    t.equal(r.msgs.at(-1)?.event, 'Recovered', `${kind}: recovered`);
    t.ok(r.msgs.length >= before + 1);
    t.equal(r.parser.pending, 0);
  }
});

t.test('onMessage may reset the parser: the rest of the chunk is dropped', async (t) => {
  const seen: string[] = [];
  const p: AmiParser = new AmiParser({
    onMessage(m) {
      seen.push(m.event!);
      if (m.event === 'A') p.reset(false);
    },
  });
  p.push(Buffer.from('Event: A\r\n\r\nEvent: B\r\n\r\nEvent: C'));
  t.same(seen, ['A']);
  t.equal(p.pending, 0);
  p.push(Buffer.from('Event: D\r\n\r\n'));
  t.same(seen, ['A', 'D']);
});

t.test('a partial message is held, not emitted; pending counts its bytes', async (t) => {
  const r = run([Buffer.from('Event: A\r\nKey: v\r\n')]);
  t.equal(r.msgs.length, 0);
  t.equal(r.parser.pending, 18);
  r.parser.push(Buffer.from('\r\n'));
  t.equal(r.msgs.length, 1);
  t.equal(r.parser.pending, 0);
  r.parser.push(Buffer.alloc(0));
  t.equal(r.msgs.length, 1, 'an empty chunk is nothing');
});

// ---------------------------------------------------------------------------------------------
// Property test over recorded streams: same messages whatever the chunking, and the banner line
// plus the messages' raw bytes give back the input exactly.

function recorded(): { name: string; buf: Buffer; small: boolean }[] {
  const out: { name: string; buf: Buffer; small: boolean }[] = [];
  for (const f of corpusNames()) {
    const buf = readCorpus(f);
    out.push({ name: `corpus/${f}`, buf, small: buf.length < 1 << 20 });
  }
  for (const f of readdirSync(CAPTURES).filter((f) => f.endsWith('.recv')).sort()) {
    out.push({ name: `asterisk-22/${f}`, buf: readFileSync(CAPTURES + f), small: true });
  }
  return out;
}

function sameMessages(t: Test, a: Run, b: Run, what: string): void {
  let same = a.msgs.length === b.msgs.length && a.errors.length === b.errors.length && a.parser.version === b.parser.version;
  for (let i = 0; same && i < a.msgs.length; i++) {
    const x = a.msgs[i]!;
    const y = b.msgs[i]!;
    same = x.raw.equals(y.raw) && x.count === y.count && x.bodyStart === y.bodyStart && x.bodyEnd === y.bodyEnd;
    for (let j = 0; same && j < x.count * 3; j++) same = x.lines[x.base + j] === y.lines[y.base + j];
  }
  t.ok(same, what);
}

t.test('recorded streams: chunking does not matter, bytes round-trip', async (t) => {
  for (const { name, buf, small } of recorded()) {
    const banner = buf.subarray(0, 21).toString('latin1') === 'Asterisk Call Manager';
    const opts = { expectBanner: banner };
    const whole = run(one(buf), opts);
    t.same(whole.errors, [], `${name}: no errors`);
    t.equal(whole.parser.pending, 0, `${name}: no trailing partial message`);
    if (banner) t.match(whole.parser.version, /^\d+\.\d+\.\d+$/, `${name}: banner version`);
    const head = banner ? Buffer.from(`${whole.banners[0]!.split('|')[1]}\r\n`) : Buffer.alloc(0);
    t.ok(Buffer.concat([head, ...whole.msgs.map((m) => m.raw)]).equals(buf), `${name}: banner + raws = input (${whole.msgs.length} messages)`);

    sameMessages(t, run(randomChunks(buf, 1, 4096), opts), whole, `${name}: random chunks = one chunk`);
    sameMessages(t, run(randomChunks(buf, 2, 64), opts), whole, `${name}: small random chunks = one chunk`);
    if (small) sameMessages(t, run(bytewise(buf), opts), whole, `${name}: 1-byte chunks = one chunk`);
  }
});

t.test('corpus: framing and every key/value agree with a naive reference split', async (t) => {
  // The corpus is CRLF throughout and every message ends in an empty line (corpus/README.md).
  for (const f of ['asterisk22-sample.ami', 'asterisk22-calls.ami']) {
    const buf = readCorpus(f);
    const text = buf.toString('latin1');
    const ref = text.split('\r\n\r\n').slice(0, -1);
    const r = run(one(buf));
    t.equal(r.msgs.length, ref.length, `${f}: ${ref.length} messages`);
    let bad = -1;
    for (let i = 0; i < ref.length && bad === -1; i++) {
      const m = r.msgs[i]!;
      if (m.raw.toString('latin1') !== `${ref[i]}\r\n\r\n`) bad = i;
      const lines = ref[i]!.split('\r\n');
      if (lines.length !== m.count) bad = i;
      if (f.includes('sample')) {
        // Decode and compare every header of the sample.
        for (let j = 0; j < lines.length && bad === -1; j++) {
          const line = Buffer.from(lines[j]!, 'latin1').toString('utf8');
          const c = line.indexOf(':');
          const key = c === -1 ? line : line.slice(0, c).trimEnd();
          const value = c === -1 ? '' : line.slice(c + 1).replace(/^[ \t]+/, '');
          if (m.key(j) !== key || m.value(j) !== value) bad = i;
        }
      }
    }
    t.equal(bad, -1, `${f}: every message matches the reference`);
  }
});
