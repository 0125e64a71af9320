// One ring per Asterisk server, one sequence space: a flood from one server pushes out only its own
// oldest events; readers see every server's entries merged by seq; EventsLost counts only what the
// reader's own servers' rings dropped, exactly, and once.
import t from 'tap';
import { AmiMessage } from '../../lib/ami/message.ts';
import { EventLog, type LogEntry } from '../../lib/events/event-log.ts';
import { Cursor } from '../../lib/events/cursor.ts';

const ev = (name: string): AmiMessage => AmiMessage.from([['Event', name], ['Privilege', 'call,all']]);
const all = (): boolean => true;
const A = 1; // server bit of ring 0
const B = 2; // server bit of ring 1
const mine = (mask: number) => (e: LogEntry): boolean => (e.serverBit & mask) !== 0;
const seqs = (es: LogEntry[]): number[] => es.map((e) => e.seq);

/** A: capacity 3; B: capacity 100. Appends `pattern` ('a' / 'b' per entry) and returns each entry. */
function build(pattern: string): { log: EventLog; entries: LogEntry[] } {
  const log = new EventLog({ capacity: 100, rings: [{ capacity: 3 }, {}] });
  const entries = [...pattern].map((ch, i) => log.append(ev(`${ch}${i}`), ch === 'a' ? A : B));
  return { log, entries };
}

t.test('each ring keeps its own bound; one seq space over both', async (t) => {
  const { log, entries } = build('abaaabaaab');
  t.same(seqs(entries), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'one increasing seq across servers');
  const [ra, rb] = log.rings as [typeof log.rings[0], typeof log.rings[0]];
  t.equal(ra.count, 3, 'A holds its last 3');
  t.equal(ra.dropped, 4);
  t.equal(rb.count, 3, 'B lost nothing to A\'s flood');
  t.equal(rb.dropped, 0);
  t.equal(log.capacity, 103);
  t.equal(log.size, 6);
  t.equal(log.get(2)!.name, 'b1', 'B\'s oldest is still there');
  t.equal(log.get(3), undefined, 'A\'s seq 3 is gone');
  t.equal(log.get(8)!.name, 'a7');
  t.equal(log.oldestSeq, 2);
  t.equal(log.nextEntry(3)!.seq, 6, 'the next held entry after a hole');
  const out: LogEntry[] = [];
  log.collect(1, log.nextSeq, all, out);
  t.same(seqs(out), [2, 6, 7, 8, 9, 10], 'merged by seq');
  const onlyB: LogEntry[] = [];
  log.collect(1, log.nextSeq, all, onlyB, B);
  t.same(seqs(onlyB), [2, 6, 10], 'a reader of B never reads A\'s ring');
  t.equal(log.firstAccepted(3, log.nextSeq, all, B), 6);
  t.equal(log.firstAccepted(7, log.nextSeq, all, A), 7);
});

t.test('a reader of B only loses nothing while A floods; a reader of both is told exactly', async (t) => {
  const log = new EventLog({ capacity: 100, rings: [{ capacity: 3 }, {}] });
  const onlyB = new Cursor(log, B);
  const both = new Cursor(log);
  for (let i = 0; i < 10; i++) {
    for (let k = 0; k < 20; k++) log.append(ev('Flood'), A);
    log.append(ev(`Mark${i}`), B);
  }
  const rb = onlyB.read(mine(B));
  t.equal(rb.lost, 0, 'nothing told about A\'s ring');
  t.same(rb.entries.map((e) => e.name), ['Mark0', 'Mark1', 'Mark2', 'Mark3', 'Mark4', 'Mark5', 'Mark6', 'Mark7', 'Mark8', 'Mark9']);
  const r = both.read(all);
  t.equal(r.lost, 200 - 3, 'every A entry but the 3 held');
  t.equal(r.lost, log.rings[0]!.dropped);
  t.equal(r.entries.length, 13);
  t.same(seqs(r.entries), seqs(r.entries).slice().sort((x, y) => x - y), 'in seq order');
});

t.test('a reply cut short does not tell the same loss twice', async (t) => {
  const log = new EventLog({ capacity: 100, rings: [{ capacity: 2 }, {}] });
  const c = new Cursor(log);
  // B's entries sit between A's dropped ones: seqs 1 (b) 2..6 (a, 2..4 dropped) 7 (b).
  log.append(ev('b1'), B);
  for (let i = 0; i < 5; i++) log.append(ev('a'), A);
  log.append(ev('b7'), B);
  const r1 = c.read(all);
  t.equal(r1.lost, 3);
  t.same(seqs(r1.entries), [1, 5, 6, 7]);
  c.commit(r1.entries[1]!.seq); // the reply carried seq 1 only (maxreplybytes)
  const r2 = c.read(all);
  t.equal(r2.lost, 0, 'the loss was told with the first reply');
  t.same(seqs(r2.entries), [5, 6, 7], 'the rest follow');
  c.commit(r2.end);
  t.notOk(c.pending(all));
});

t.test('an uncommitted read is told again (the client never got it)', async (t) => {
  const log = new EventLog({ capacity: 100, rings: [{ capacity: 1 }, {}] });
  const c = new Cursor(log, A);
  log.append(ev('a'), A);
  log.append(ev('a'), A);
  t.equal(c.read(all).lost, 1);
  t.ok(c.pending(all));
  t.equal(c.read(all).lost, 1);
});

t.test('a B-only reader of a loss on B is told; A\'s losses in the same span are not counted for it', async (t) => {
  const log = new EventLog({ capacity: 100, rings: [{ capacity: 1 }, { capacity: 1 }] });
  const onlyB = new Cursor(log, B);
  log.append(ev('b'), B); // 1, dropped
  log.append(ev('b'), B); // 2, held
  log.append(ev('a'), A); // 3, dropped
  log.append(ev('a'), A); // 4, held
  const r = onlyB.read(mine(B));
  t.equal(r.lost, 1, 'B lost seq 1; A\'s seq 3 lies after B\'s last loss');
  t.same(seqs(r.entries), [2]);
});

t.test('serverBit -1 and a single ring: the plain ring as before', async (t) => {
  const log = new EventLog({ capacity: 3 });
  for (let i = 0; i < 5; i++) log.append(ev(`E${i}`));
  t.equal(log.lostBetween(1, log.nextSeq, undefined), 2);
  t.equal(log.lostBetween(1, 2, undefined), 1, 'bounded by end');
  t.equal(log.lostBetween(3, log.nextSeq, 1), 0);
  t.equal(log.nextEntry(1)!.seq, 3);
  t.equal(log.nextEntry(6), undefined);
  t.equal(log.firstAccepted(1, log.nextSeq, (e) => e.name === 'E4'), 5);
  t.throws(() => new EventLog({ rings: [{}, {}] }).append(ev('x'), 1 << 5), { code: 'AJAM_ERR_INVALID_ARG' });
  t.throws(() => new EventLog({ rings: [{}, {}] }).append(ev('x')), { code: 'AJAM_ERR_INVALID_ARG' }, 'several rings: every entry names its server');
  t.throws(() => new EventLog({ rings: [{}, {}] }).append(ev('x'), 3), { code: 'AJAM_ERR_INVALID_ARG' });
});

t.test('the merged walk (chain for readers of every server, merge for others) equals a lookup of every seq', async (t) => {
  // A fixed pseudo-random sequence: three rings of different bounds, bursts and single entries.
  let x = 12345;
  const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) & 0x7fffffff) % n);
  const log = new EventLog({ capacity: 100, rings: [{ capacity: 7 }, { capacity: 30 }, { capacity: 100, maxBytes: 2000 }] });
  for (let step = 0; step < 400; step++) {
    const ring = rnd(3);
    const burst = 1 + rnd(ring === 0 ? 12 : 3);
    for (let i = 0; i < burst; i++) log.append(ev(`E${step}`), 1 << ring);
    if (step % 37 !== 0) continue;
    const from = 1 + rnd(log.nextSeq);
    const end = from + rnd(log.nextSeq - from + 1);
    for (const mask of [undefined, 1, 2, 4, 3, 5, 6, 7]) {
      const want: number[] = [];
      for (let s = from; s < end; s++) {
        const e = log.get(s);
        if (e !== undefined && (mask === undefined || (mask & e.serverBit) !== 0)) want.push(s);
      }
      const got: LogEntry[] = [];
      log.collect(from, end, (e) => mask === undefined || (mask & e.serverBit) !== 0, got, mask);
      t.same(seqs(got), want, `step ${step} [${from}, ${end}) mask ${mask}`);
    }
  }
  t.ok(log.rings[0]!.dropped > 0 && log.rings[2]!.dropped > 0, 'both bounds dropped entries');
});

t.test('entries dropped after a reply was cut short are told, not skipped (one ring and several)', async (t) => {
  // One ring of 4: the reader gets 4 entries, its reply carries only the first (maxreplybytes);
  // before its next read the ring turns over and the 3 it had not received are gone.
  const one = new EventLog({ capacity: 4 });
  const c1 = new Cursor(one);
  for (let i = 0; i < 4; i++) one.append(ev(`E${i}`));
  const r1 = c1.read(all);
  t.equal(r1.lost, 0);
  c1.commit(r1.entries[1]!.seq);
  for (let i = 4; i < 8; i++) one.append(ev(`E${i}`));
  t.ok(c1.pending(all));
  const r2 = c1.read(all);
  t.same(seqs(r2.entries), [5, 6, 7, 8]);
  t.equal(r2.lost, 3, 'seqs 2, 3 and 4 were never delivered');
  c1.commit(r2.end);
  t.equal(c1.read(all).lost, 0, 'told once');

  // Two rings: the same on A while B's entries keep the reply's end ahead of the cut.
  const two = new EventLog({ capacity: 100, rings: [{ capacity: 3 }, {}] });
  const c2 = new Cursor(two);
  for (let i = 0; i < 3; i++) two.append(ev('a'), A); // 1..3
  two.append(ev('b'), B); // 4
  const r3 = c2.read(all);
  t.same(seqs(r3.entries), [1, 2, 3, 4]);
  c2.commit(2); // the reply carried seq 1 only
  for (let i = 0; i < 3; i++) two.append(ev('a'), A); // 5..7 push out 2 and 3 (and 1)
  const r4 = c2.read(all);
  t.same(seqs(r4.entries), [4, 5, 6, 7]);
  t.equal(r4.lost, 2, 'seqs 2 and 3 were never delivered');
  c2.commit(r4.end);
  t.equal(c2.read(all).lost, 0, 'told once');
});

t.test('a reader limited to some servers is told exactly its own rings\' losses (random interleavings)', async (t) => {
  // A small PRNG so a failure repeats.
  let state = 12345;
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  let exact = 0;
  let bounded = 0;
  for (let round = 0; round < 40; round++) {
    const caps = [1 + rand(6), 1 + rand(6), 1 + rand(6)];
    const log = new EventLog({ rings: caps.map((capacity) => ({ capacity })) });
    const entries: LogEntry[] = [];
    const n = 5 + rand(60);
    for (let i = 0; i < n; i++) {
      const ring = rand(3);
      entries.push(log.append(ev(`e${i}`), 1 << ring));
    }
    for (let q = 0; q < 20; q++) {
      const from = 1 + rand(n);
      const end = from + rand(n + 2 - from);
      const mask = 1 + rand(6); // some servers, not all three
      // What the reader's own rings dropped in [from, end): entries that left their ring.
      const want = entries.filter((e) => e.seq >= from && e.seq < end && (e.serverBit & mask) !== 0 && e.owner === null).length;
      const got = log.lostBetween(from, end, mask);
      // Exact while each of the reader's rings appended at most 2 × its capacity since `from`.
      const within = [0, 1, 2].every((r) => (mask & (1 << r)) === 0 || entries.filter((e) => e.serverBit === 1 << r && e.seq >= from).length <= 2 * caps[r]!);
      if (within) {
        t.equal(got, want, `round ${round}: [${from}, ${end}) mask ${mask}`);
        exact++;
      } else {
        t.ok(got >= want, `round ${round}: an upper bound past the history`);
        bounded++;
      }
    }
  }
  t.ok(exact > 100 && bounded > 10, `both cases seen (${exact} exact, ${bounded} bounded)`);
});
