// A ring per Asterisk server (two simulators, `east` with a 20-event ring): a flood from east pushes
// out only east's events. A reader of west loses nothing; a reader of both is told EventsLost with
// the exact count east's ring dropped; `since` resumes across both servers by the one seq space;
// the ring metrics are per server.
import t from 'tap';
import { AjamClient, field, messages, type TestApp } from '../helpers/app.ts';
import { startTwoServerApp } from '../helpers/two-servers.ts';
import { CALL } from '../../lib/sim/perms.ts';
import type { AmiSimulator } from '../../lib/sim/index.ts';
import { SseClient, WsClient } from '../helpers/push.ts';
import { until } from '../helpers/until.ts';

let ta: TestApp;
let east: AmiSimulator;
let west: AmiSimulator;
t.before(async () => {
  ({ ta, east, west } = await startTwoServerApp('httptimeout = 30', { east: 'eventbuffer = 20' }));
});
t.teardown(() => ta.close());

const FLOOD = 30;
const ROUNDS = 5;

/** WaitEvents until `done` is seen; every message on the way. */
async function drain(c: AjamClient, done: (m: Array<[string, string]>) => boolean): Promise<Array<Array<[string, string]>>> {
  const seen: Array<Array<[string, string]>> = [];
  while (!seen.some(done)) {
    const r = await c.get('/rawman?action=WaitEvent&Timeout=5');
    seen.push(...messages(r.body).filter((m) => field(m, 'Response') === undefined && field(m, 'Event') !== 'WaitEventComplete'));
  }
  return seen;
}

async function cookieOf(user: string, secret: string): Promise<string> {
  const c = new AjamClient(ta.base);
  await c.login(user, secret);
  return c.cookie!;
}

t.test('east floods past its ring: west readers lose nothing, readers of both are told exactly', async (t) => {
  const log = ta.app.events;
  const [eastRing, westRing] = log.rings as [(typeof log.rings)[0], (typeof log.rings)[0]];
  t.equal(eastRing.capacity, 20, 'east has its own eventbuffer');
  t.equal(westRing.capacity, 10000, 'west keeps the [general] default');

  const admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw');
  const limited = new AjamClient(ta.base);
  await limited.login('westonly', 'westpw');
  // Nothing pending: both cursors at the live edge.
  await admin.get('/rawman?action=WaitEvent&Timeout=0');
  await limited.get('/rawman?action=WaitEvent&Timeout=0');
  const since = log.nextSeq - 1;
  const droppedBefore = eastRing.dropped;
  const eastBefore = eastRing.appended;
  const westBefore = westRing.appended;

  for (let i = 0; i < ROUNDS; i++) {
    for (let k = 0; k < FLOOD; k++) east.emitEvent([['Event', 'Flood'], ['K', String(i * FLOOD + k)]], CALL);
    west.emitEvent([['Event', 'WestMark'], ['N', String(i)]], CALL);
  }
  west.emitEvent([['Event', 'WestEnd']], CALL);
  await until(() => eastRing.appended >= eastBefore + FLOOD * ROUNDS && westRing.appended >= westBefore + ROUNDS + 1, 'every event in its ring');
  // East's events after `since` that its ring no longer holds (it may also have dropped older ones).
  const lostEast = FLOOD * ROUNDS - 20;
  t.ok(eastRing.dropped - droppedBefore >= lostEast, 'east kept only its last 20');
  t.equal(eastRing.count, 20);
  t.equal(westRing.dropped, 0, 'west dropped nothing');

  // WaitEvent: the west-only user gets every west event and hears of no loss.
  const w = await drain(limited, (m) => field(m, 'Event') === 'WestEnd');
  t.same(w.filter((m) => field(m, 'Event') === 'WestMark').map((m) => field(m, 'N')), ['0', '1', '2', '3', '4']);
  t.notOk(w.some((m) => field(m, 'Event') === 'EventsLost'), 'no EventsLost for east\'s ring');

  // A reader of both: EventsLost with east's exact count first, then every held event.
  const a = await drain(admin, (m) => field(m, 'Event') === 'WestEnd');
  const lost = a.filter((m) => field(m, 'Event') === 'EventsLost');
  t.equal(lost.length, 1, 'told once');
  t.equal(field(lost[0]!, 'Count'), String(lostEast), 'the count east\'s ring dropped after this reader');
  t.same(a.filter((m) => field(m, 'Event') === 'WestMark').map((m) => field(m, 'N')), ['0', '1', '2', '3', '4'], 'west intact');
  const floods = a.filter((m) => field(m, 'Event') === 'Flood').map((m) => Number(field(m, 'K')));
  t.same(floods, Array.from({ length: 20 }, (_, i) => FLOOD * ROUNDS - 20 + i), 'east: its last 20, in order');

  // SSE resume by `since` across both servers: ids strictly increase; the west-only stream has every
  // west seq and no loss; the stream of both has the loss once and every held seq after `since`.
  const expectAll: number[] = [];
  const expectWest: number[] = [];
  for (let s = since + 1; s < log.nextSeq; s++) {
    const e = log.get(s);
    if (e === undefined) continue;
    expectAll.push(s);
    if (e.serverBit === 2) expectWest.push(s);
  }
  t.equal(expectWest.length, ROUNDS + 1);
  const sseBoth = new SseClient(ta.port, `/events?since=${since}`, { Cookie: await cookieOf('admin', 'adminpw') });
  const sseWest = new SseClient(ta.port, `/events?since=${since}`, { Cookie: await cookieOf('westonly', 'westpw') });
  await sseBoth.record((r) => r.event === 'WestEnd', 'the end on the stream of both');
  await sseWest.record((r) => r.event === 'WestEnd', 'the end on the west stream');
  const ids = (s: SseClient, pred: (ev: string | undefined) => boolean): number[] =>
    s.all().filter((r) => pred(r.event)).map((r) => Number(r.id));
  const bothLost = sseBoth.all().filter((r) => r.event === 'EventsLost');
  t.equal(bothLost.length, 1);
  t.equal((JSON.parse(bothLost[0]!.data) as { Count: string }).Count, String(lostEast));
  t.same(ids(sseBoth, (ev) => ev !== 'EventsLost'), expectAll, 'every held seq after since, in order, none twice');
  t.same(ids(sseWest, () => true), expectWest, 'the west stream: every west seq, nothing lost');
  sseBoth.close();
  sseWest.close();

  // The same resume over a WebSocket (`since`) and over SSE's Last-Event-ID header.
  const ws = await WsClient.open(`ws://127.0.0.1:${ta.port}/ws?since=${since}`, { cookie: await cookieOf('admin', 'adminpw') });
  await ws.frame(() => ws.events.some((e) => e.event.Event === 'WestEnd'), 'the end on the WebSocket');
  const wsLost = ws.events.filter((e) => e.event.Event === 'EventsLost');
  t.same(wsLost.map((e) => e.event.Count), [String(lostEast)], 'WebSocket: told once, exactly');
  t.same(ws.events.filter((e) => e.event.Event !== 'EventsLost').map((e) => e.seq), expectAll, 'WebSocket: every held seq, in order');
  ws.close();
  const byHeader = new SseClient(ta.port, '/events', { Cookie: await cookieOf('westonly', 'westpw'), 'Last-Event-ID': String(since) });
  await byHeader.record((r) => r.event === 'WestEnd', 'the end after Last-Event-ID');
  t.same(ids(byHeader, () => true), expectWest, 'Last-Event-ID: every west seq, nothing lost');
  byHeader.close();

  // Resume in the middle, at a west seq that lies among east's dropped ones: nothing after it is repeated.
  const mid = expectWest[2]!;
  const sseMid = new SseClient(ta.port, `/events?since=${mid}`, { Cookie: await cookieOf('westonly', 'westpw') });
  await sseMid.record((r) => r.event === 'WestEnd', 'the end after a mid resume');
  t.same(ids(sseMid, () => true), expectWest.slice(3));
  sseMid.close();
});

t.test('ring metrics by server', async (t) => {
  const text = await (await fetch(`${ta.base}/metrics`)).text();
  const value = (name: string, server: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{server="${server}"}`));
    return line === undefined ? NaN : Number(line.split(' ').pop());
  };
  t.equal(value('ajam_event_ring_capacity', 'east'), 20);
  t.equal(value('ajam_event_ring_capacity', 'west'), 10000);
  t.equal(value('ajam_event_ring_entries', 'east'), 20, 'east full');
  t.ok(value('ajam_event_ring_entries', 'west') >= ROUNDS + 1);
  t.ok(value('ajam_events_dropped_total', 'east') >= FLOOD * ROUNDS - 20);
  t.equal(value('ajam_events_dropped_total', 'west'), 0);
  t.ok(value('ajam_event_ring_bytes', 'east') > 0);
  t.ok(value('ajam_event_ring_max_bytes', 'west') > 0);
  t.ok(value('ajam_events_in_total', 'east') >= FLOOD * ROUNDS);
  // /health lists each server's ring too.
  const health = (await (await fetch(`${ta.base}/health`)).json()) as { servers: Array<{ name: string; ring: { held: number; capacity: number; dropped: number } }> };
  const ring = (name: string) => health.servers.find((x) => x.name === name)!.ring;
  t.equal(ring('east').capacity, 20);
  t.equal(ring('east').held, 20);
  t.ok(ring('east').dropped >= FLOOD * ROUNDS - 20);
  t.equal(ring('west').dropped, 0);
});
