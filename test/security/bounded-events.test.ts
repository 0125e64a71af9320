// Bounded replies and ring (issue 7 §2): one WaitEvent carries at most `maxreplybytes` of events,
// the rest wait in order for the next; the shared ring is bounded by bytes as well as entries, and
// a session that fell behind is told EventsLost. Big UserEvents come from the simulator as events
// (a real Asterisk reads an action line of at most 1022 bytes, so they cannot be sent as actions).
import t from 'tap';
import { AjamClient, field, messages, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { EventLog } from '../../lib/events/event-log.ts';
import { Cursor } from '../../lib/events/cursor.ts';
import { AmiMessage } from '../../lib/ami/message.ts';

const MAX_REPLY = 65536;
const RING_BYTES = 262144;
const PAYLOAD = 'x'.repeat(30_000);

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ general: `maxreplybytes = ${MAX_REPLY}\neventbufferbytes = ${RING_BYTES}\nhttptimeout = 30` });
});
t.teardown(() => ta.close());

/** `n` UserEvents of 30 KB from the simulator; resolves once `watch` (a session) has seen the last. */
async function userEvents(watch: AjamClient, tag: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    ta.app.sim!.emitEvent([['Event', 'UserEvent'], ['UserEvent', tag], ['Seq', String(i)], ['Payload', PAYLOAD]], 'user,all');
  }
  for (let round = 0; round < 100; round++) {
    const r = await watch.get('/rawman?action=WaitEvent&Timeout=1');
    if (messages(r.body).some((m) => field(m, 'UserEvent') === tag && field(m, 'Seq') === String(n - 1))) return;
  }
  throw new Error(`the proxy never got ${tag} ${n - 1}`);
}

/** Two admin sessions with only user events on, each at the live edge of the ring. */
async function twoSessions(): Promise<[AjamClient, AjamClient]> {
  const pair: [AjamClient, AjamClient] = [new AjamClient(ta.base), new AjamClient(ta.base)];
  for (const c of pair) {
    await c.login('admin', 'adminpw', '&Events=user');
    await c.get('/rawman?action=WaitEvent&Timeout=0');
  }
  return pair;
}

t.test('a WaitEvent reply carries at most maxreplybytes of events; the rest follow in order', async (t) => {
  const [watch, reader] = await twoSessions();
  await userEvents(watch, 'Big', 6);
  const seen: number[] = [];
  for (let round = 0; round < 20 && seen.length < 6; round++) {
    const r = await reader.get('/rawman?action=WaitEvent&Timeout=1');
    const big = messages(r.body).filter((m) => field(m, 'UserEvent') === 'Big');
    const eventBytes = Buffer.byteLength(r.body) - 200;
    t.ok(eventBytes <= MAX_REPLY, `reply ${round}: ${Buffer.byteLength(r.body)} bytes`);
    t.ok(big.length <= 2, 'two 30 KB events fit in 64 KiB, three do not');
    t.notOk(messages(r.body).some((m) => field(m, 'Event') === 'EventsLost'), 'nothing lost');
    seen.push(...big.map((m) => Number(field(m, 'Seq'))));
  }
  t.same(seen, [0, 1, 2, 3, 4, 5], 'every event, in order, none twice');
});

t.test('the ring is bounded by bytes; a session that fell behind is told EventsLost', async (t) => {
  const [watch, late] = await twoSessions();
  await userEvents(watch, 'Flood', 20); // ~600 KB through a 256 KiB ring
  t.ok(ta.app.events.bytes <= RING_BYTES, `ring holds ${ta.app.events.bytes} bytes`);
  const r = await late.get('/rawman?action=WaitEvent&Timeout=0');
  const msgs = messages(r.body);
  const lost = msgs.find((m) => field(m, 'Event') === 'EventsLost');
  t.ok(lost, 'EventsLost first');
  t.ok(Number(field(lost!, 'Count')) >= 10, `Count ${field(lost!, 'Count')}`);
  const seqs = msgs.filter((m) => field(m, 'UserEvent') === 'Flood').map((m) => Number(field(m, 'Seq')));
  for (let round = 0; round < 20; round++) {
    const more = messages((await late.get('/rawman?action=WaitEvent&Timeout=0')).body).filter((m) => field(m, 'UserEvent') === 'Flood');
    if (more.length === 0) break;
    seqs.push(...more.map((m) => Number(field(m, 'Seq'))));
  }
  t.equal(seqs.at(-1), 19, 'then what the ring still holds, up to the newest');
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'in order');
});

t.test('events pushed out of the ring after a reply was cut short are told as EventsLost', async (t) => {
  const [watch, reader] = await twoSessions();
  const cut0 = ta.app.events.nextSeq; // Cut 0's seq: nothing else flows here
  await userEvents(watch, 'Cut', 6);
  const first = messages((await reader.get('/rawman?action=WaitEvent&Timeout=0')).body);
  const got = first.filter((m) => field(m, 'UserEvent') === 'Cut').map((m) => Number(field(m, 'Seq')));
  t.same(got, [0, 1], 'the reply was cut at maxreplybytes');
  await userEvents(watch, 'Push', 20); // ~600 KB through the 256 KiB ring: Cut 2..5 are gone
  // Every seq after Cut 1 that the ring no longer holds was never delivered to the reader.
  const missing = ta.app.events.oldestSeq - (cut0 + 2);
  const next = messages((await reader.get('/rawman?action=WaitEvent&Timeout=0')).body);
  t.notOk(next.some((m) => field(m, 'UserEvent') === 'Cut'), 'the rest of Cut left the ring');
  const lost = next.find((m) => field(m, 'Event') === 'EventsLost');
  t.ok(lost, 'the reader is told it lost them');
  t.equal(Number(field(lost!, 'Count')), missing, 'Count: every seq after Cut 1 that left the ring, Cut 2..5 included');
});

t.test('EventLog: byte bound counts cached formats, drops oldest first, keeps the newest', async (t) => {
  const log = new EventLog({ capacity: 1000, maxBytes: 10_000 });
  const cursor = new Cursor(log);
  const ev = (i: number): AmiMessage => AmiMessage.from([['Event', 'UserEvent'], ['Seq', String(i)], ['Pad', 'p'.repeat(1000)]]);
  for (let i = 0; i < 50; i++) log.append(ev(i));
  t.ok(log.bytes <= 10_000, `${log.bytes} bytes held`);
  t.ok(log.size < 12 && log.size >= 9, `${log.size} entries held`);
  const read = cursor.read(() => true);
  t.equal(read.lost + read.entries.length, 50, 'lost + read = appended');
  t.equal(read.entries.at(-1)!.msg.get('Seq'), '49');
  const before = log.bytes;
  read.entries.at(-1)!.bytes('json', () => Buffer.alloc(3000));
  t.equal(log.bytes, before + 3000, 'a cached format counts');
  log.append(ev(50));
  t.ok(log.bytes <= 10_000, 'and is trimmed at the next append');
  const huge = new EventLog({ capacity: 10, maxBytes: 100 });
  huge.append(ev(1));
  t.equal(huge.size, 1, 'an entry over the bound alone is still kept (the newest always is)');
});
