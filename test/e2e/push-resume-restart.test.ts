// Resuming across a proxy restart: each run's sequence numbers start above the last run's
// (runFirstSeq), so a client's `since` / `Last-Event-ID` from before the restart is below anything
// the new log handed out, however many events it has handed out since (a fresh log that starts at 1
// is covered too: a since newer than its newest seq). Such a
// client must be told that it lost an unknown number of events (EventsLost, `Count: unknown`, as the
// failover notice words it) and then get everything the ring holds, then the live stream — not be
// put silently at the live edge.
import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { SseClient, WsClient } from '../helpers/push.ts';
import { untilValue } from '../helpers/until.ts';
import { RESUME_AHEAD_REASON } from '../../lib/format/push.ts';

const basic = `Basic ${Buffer.from('admin:adminpw').toString('base64')}`;
const RING = 8;

function emit(ta: TestApp, name: string): void {
  ta.app.sim!.emitEvent([['Event', name]], 'call');
}

let before: TestApp | undefined;
let after: TestApp;
/** The last seq a client saw before the "restart". */
let last = 0;

t.before(async () => {
  // Before: a proxy that handed out more sequence numbers than the one after will.
  before = await startTestApp({ general: 'allowbasic = yes' });
  const c = await WsClient.open(`ws://127.0.0.1:${before.port}/ws`, { authorization: basic });
  for (let i = 0; i < 60; i++) emit(before, `Old${i}`);
  await c.event('Old59');
  last = c.events.at(-1)!.seq;
  c.close();
  await before.close();
  before = undefined;
  // After: a fresh proxy whose small ring has wrapped.
  after = await startTestApp({ general: `allowbasic = yes\neventbuffer = ${RING}` });
  for (let i = 0; i < 12; i++) emit(after, `New${i}`);
  await untilValue(() => (after.app.events.rings[0]!.appended >= 12 ? true : undefined), 'the new events logged');
});
t.teardown(async () => {
  await before?.close();
  await after?.close();
});

/** The seqs the new ring holds, oldest first (one server: a contiguous range). */
function held(): number[] {
  const log = after.app.events;
  return Array.from({ length: log.nextSeq - log.oldestSeq }, (_, i) => log.oldestSeq + i);
}

t.test('WebSocket since= from before the restart: EventsLost (count unknown), the whole ring, then live', async (t) => {
  t.ok(last < after.app.events.firstSeq, `precondition: since (${last}) is from the run before (this one starts at ${after.app.events.firstSeq})`);
  const ring = held();
  const c = await WsClient.open(`ws://127.0.0.1:${after.port}/ws?since=${last}`, { authorization: basic });
  emit(after, 'LiveWs');
  await c.event('LiveWs');
  const ev = c.events;
  t.same(ev[0], { seq: ring[0]! - 1, event: { Event: 'EventsLost', Count: 'unknown', Reason: RESUME_AHEAD_REASON } }, 'told first');
  const replayed = ev.slice(1, 1 + ring.length).map((e) => e.seq);
  t.same(replayed, ring, 'then every entry the ring holds, in order');
  t.equal(ev[1 + ring.length]?.event.Event, 'LiveWs', 'then the live stream, nothing repeated');
  t.equal(ev.filter((e) => e.event.Event === 'EventsLost').length, 1, 'told once');
  c.close();
});

for (const how of ['Last-Event-ID', 'since'] as const) {
  t.test(`SSE ${how} from before the restart: the same`, async (t) => {
    const ring = held();
    const s =
      how === 'since'
        ? new SseClient(after.port, `/events?since=${last}`, { Authorization: basic })
        : new SseClient(after.port, '/events', { Authorization: basic, 'Last-Event-ID': String(last) });
    await s.ready();
    t.equal(s.status, 200);
    const live = `LiveSse${how === 'since' ? 'S' : 'L'}`;
    emit(after, live);
    await s.record((r) => r.event === live, live);
    const recs = s.all();
    t.equal(recs[0]!.event, 'EventsLost');
    t.equal(recs[0]!.id, String(ring[0]! - 1), 'its id: resuming from it gets the ring');
    t.same(JSON.parse(recs[0]!.data), { Event: 'EventsLost', Count: 'unknown', Reason: RESUME_AHEAD_REASON });
    t.same(
      recs.slice(1, 1 + ring.length).map((r) => Number(r.id)),
      ring,
      'every entry the ring holds',
    );
    t.equal(recs[1 + ring.length]?.event, live, 'then live');
    s.close();
  });
}

t.test('since at the newest seq handed out is not "ahead": live edge, no notice', async (t) => {
  const newest = after.app.events.nextSeq - 1;
  const c = await WsClient.open(`ws://127.0.0.1:${after.port}/ws?since=${newest}`, { authorization: basic });
  emit(after, 'LiveEdge');
  await c.event('LiveEdge');
  t.notOk(c.events.some((e) => e.event.Event === 'EventsLost'), 'no EventsLost');
  t.ok(c.events.every((e) => e.seq > newest), 'nothing before since');
  c.close();
});

t.test('a since from before the restart that the new run has already passed: still EventsLost (count unknown)', async (t) => {
  // The old run handed out few seqs; the new one hands out more before the client comes back.
  const old = await startTestApp({ general: 'allowbasic = yes' });
  const o = await WsClient.open(`ws://127.0.0.1:${old.port}/ws`, { authorization: basic });
  emit(old, 'Few');
  await o.event('Few');
  const since = o.events.at(-1)!.seq;
  o.close();
  await old.close();
  const next = await startTestApp({ general: `allowbasic = yes\neventbuffer = ${RING}` });
  t.teardown(() => next.close());
  for (let i = 0; i < 3 * RING; i++) emit(next, `Busy${i}`);
  await untilValue(() => (next.app.events.rings[0]!.appended >= 3 * RING ? true : undefined), 'the new events logged');
  const c = await WsClient.open(`ws://127.0.0.1:${next.port}/ws?since=${since}`, { authorization: basic });
  emit(next, 'LivePassed');
  await c.event('LivePassed');
  t.same(c.events[0]?.event, { Event: 'EventsLost', Count: 'unknown', Reason: RESUME_AHEAD_REASON }, 'the client is told it lost an unknown number');
  t.notOk(c.events.slice(1).some((e) => e.event.Event === 'EventsLost'), 'told once');
  c.close();
});
