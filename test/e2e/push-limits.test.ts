// The push endpoints' bounds: a client that does not read is closed (WebSocket 1008, SSE ended)
// while another client keeps receiving every event, it comes back with since/Last-Event-ID and
// loses nothing still in the ring; a client resuming from beyond the ring is told EventsLost first.
import t from 'tap';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { SseClient, WsClient } from '../helpers/push.ts';
import { untilValue } from '../helpers/until.ts';

let ta: TestApp;
let url: string;
let cookie: string;
// A small ring (so resuming from far back loses events) and the smallest buffer limit.
t.before(async () => {
  ta = await startTestApp({ general: 'eventbuffer = 3000\npushbufferlimit = 65536' });
  url = `ws://127.0.0.1:${ta.port}/ws`;
  const c = new AjamClient(ta.base);
  await c.login();
  cookie = c.cookie!;
});
t.teardown(() => ta.close());

const PAD = 'x'.repeat(2000);

/** Events `from`..`from + n - 1` of about 2 KB each, `Event: <name>`, numbered by N. */
function flood(name: string, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    ta.app.sim!.emitEvent(
      [
        ['Event', name],
        ['N', String(i)],
        ['Pad', PAD],
      ],
      'call',
    );
  }
}

function health(): Promise<{ push: { slowClosed: number; wsOpen: number; sseOpen: number } }> {
  return fetch(`${ta.base}/health`).then((r) => r.json() as Promise<{ push: { slowClosed: number; wsOpen: number; sseOpen: number } }>);
}

t.test('a WebSocket that stops reading is closed with 1008; the other gets every event; resume loses nothing', async (t) => {
  const before = (await health()).push.slowClosed;
  const reader = await WsClient.open(url, { cookie });
  const stalled = await WsClient.open(url, { cookie });
  const first = ta.app.events.nextSeq;
  stalled.ws.pause();
  // About 4 MB: more than loopback's socket buffers take, so bytes pile up in the proxy.
  // Events keep coming (the check runs when a view has new events) until the stalled one is closed.
  const sent = await floodUntilSlow('Flood', before);
  // These come after the close: the stalled client can only get them by resuming.
  flood('Flood', 500, sent);
  const N = sent + 500;
  await untilValue(() => (reader.events.filter((e) => e.event.Event === 'Flood').length === N ? true : undefined), 'every event at the reader', 60_000);
  stalled.ws.resume();
  const closed = await stalled.closed;
  t.equal(closed.code, 1008, JSON.stringify(closed));
  t.match(closed.reason, /slow consumer/);
  const got = stalled.events.filter((e) => e.event.Event === 'Flood').map((e) => Number(e.event.N));
  t.ok(got.length < sent, `the stalled client got ${got.length} of ${N} before it was closed`);
  t.same(got, Array.from({ length: got.length }, (_, i) => i), 'in order, no gap before the close');
  const seqs = reader.events.filter((e) => e.seq >= first).map((e) => e.seq);
  t.same(seqs, Array.from({ length: seqs.length }, (_, i) => first + i), 'the reader: every seq once');

  // Back with since = the last seq it saw: the rest, nothing repeated.
  const last = stalled.events.at(-1)?.seq ?? first - 1;
  const back = await WsClient.open(`${url}?since=${last}`, { cookie });
  await untilValue(() => (back.events.filter((e) => e.event.Event === 'Flood').length === N - got.length ? true : undefined), 'the rest', 60_000);
  const all = [...got, ...back.events.filter((e) => e.event.Event === 'Flood').map((e) => Number(e.event.N))];
  t.same(all, Array.from({ length: N }, (_, i) => i), 'stalled + resumed = every event once');
  reader.close();
  back.close();
});

/**
 * Sends events in bursts until a slow client was closed; returns how many were sent. A burst is
 * 20 events (about 40 KB, under the 64 KB limit) and the health request after it lets the reader
 * (in this process) read it all: so only the stalled client can ever be over the limit, however
 * small the kernel's socket buffers still are and however slowly this process runs.
 */
async function floodUntilSlow(name: string, before: number): Promise<number> {
  const BURST = 20;
  let sent = 0;
  for (let i = 0; i < 2000; i++) {
    flood(name, BURST, sent);
    sent += BURST;
    if ((await health()).push.slowClosed > before) return sent;
  }
  throw new Error('no slow client was closed');
}

t.test('an SSE stream that stops reading is ended; the other keeps receiving', async (t) => {
  const before = (await health()).push.slowClosed;
  const reader = new SseClient(ta.port, '/events', { Cookie: cookie });
  const stalled = new SseClient(ta.port, '/events', { Cookie: cookie });
  await reader.ready();
  await stalled.ready();
  stalled.socket.pause();
  const sent = await floodUntilSlow('SseFlood', before);
  flood('SseFlood', 500, sent);
  const N = sent + 500;
  await untilValue(() => (reader.all().filter((r) => r.event === 'SseFlood').length === N ? true : undefined), 'every record at the reader', 60_000);
  stalled.socket.resume();
  await stalled.end();
  const got = stalled.all().filter((r) => r.event === 'SseFlood');
  t.ok(got.length < sent, `the stalled stream got ${got.length} of ${N} before it was ended`);
  const last = got.at(-1)?.id ?? '0';
  const back = new SseClient(ta.port, '/events', { Cookie: cookie, 'Last-Event-ID': last });
  await untilValue(() => (back.all().filter((r) => r.event === 'SseFlood').length === N - got.length ? true : undefined), 'the rest', 60_000);
  const ns = [...got, ...back.all().filter((r) => r.event === 'SseFlood')].map((r) => Number((JSON.parse(r.data) as { N: string }).N));
  t.same(ns, Array.from({ length: N }, (_, i) => i), 'every event once');
  reader.close();
  back.close();
});

t.test('resuming from beyond the ring: EventsLost first, then the oldest held', async (t) => {
  // More events than the ring holds since seq `since`.
  const since = ta.app.events.nextSeq - 1;
  flood('Old', 3100);
  await untilValue(() => (ta.app.events.nextSeq > since + 3100 ? true : undefined), 'the flood in the log', 60_000);
  const oldest = ta.app.events.oldestSeq;
  const c = await WsClient.open(`${url}?since=${since}`, { cookie });
  await untilValue(() => (c.events.length >= 10 ? true : undefined), 'replay');
  const firstFrame = c.events[0]!;
  t.same(firstFrame.event, { Event: 'EventsLost', Count: String(oldest - since - 1) });
  t.equal(firstFrame.seq, oldest - 1, 'seq: the last lost one');
  t.equal(c.events[1]!.seq, oldest, 'then the oldest still held');
  c.close();

  const s = new SseClient(ta.port, `/events?since=${since}`, { Cookie: cookie });
  const lost = await s.record((r) => r.event === 'EventsLost', 'EventsLost');
  t.equal(s.all()[0], lost, 'the first record');
  t.same(JSON.parse(lost.data), { Event: 'EventsLost', Count: String(oldest - since - 1) });
  t.equal(lost.id, String(oldest - 1));
  s.close();
});

t.test('a WebSocket session counts toward the session caps', async (t) => {
  const small = await startTestApp({ general: 'maxsessionsperuser = 2' });
  t.teardown(() => small.close());
  const c = new AjamClient(small.base);
  await c.login();
  const wsUrl = `ws://127.0.0.1:${small.port}/ws`;
  const one = await WsClient.open(wsUrl, { cookie: c.cookie! });
  one.send({ Action: 'Ping', ActionID: 'p' });
  await one.reply('p');
  const two = await WsClient.open(wsUrl, { cookie: c.cookie! });
  const closed = await two.closed;
  t.equal(closed.code, 1008);
  t.match(closed.reason, /session|limit|too many/i);
  one.close();
  await one.closed;
  // Its session is gone with it: there is room again.
  const three = await WsClient.open(wsUrl, { cookie: c.cookie! });
  three.send({ Action: 'Ping', ActionID: 'q' });
  t.equal((await three.reply('q')).messages![0]!.Ping, 'Pong');
  three.close();
});

t.test('pushmaxclients and wsmaxinflight: a clear answer at the bound', async (t) => {
  const small = await startTestApp({ general: 'pushmaxclients = 1\nwsmaxinflight = 1' });
  t.teardown(() => small.close());
  const c = new AjamClient(small.base);
  await c.login();
  const wsUrl = `ws://127.0.0.1:${small.port}/ws`;
  const one = await WsClient.open(wsUrl, { cookie: c.cookie! });
  const refused = new WsClient(wsUrl, { cookie: c.cookie! });
  const status = await new Promise<number>((resolve) => refused.ws.once('unexpected-response', (_q, res) => resolve(res.statusCode!)));
  t.equal(status, 503, 'a second push client');
  const sse = new SseClient(small.port, '/events', { Cookie: c.cookie! });
  await sse.ready();
  t.equal(sse.status, 503);
  t.match(sse.text, /too many push clients/);
  sse.close();

  // Two frames in one go: the second arrives while the first awaits its reply.
  one.ws.send(JSON.stringify({ Action: 'Ping', ActionID: 'first' }));
  one.ws.send(JSON.stringify({ Action: 'Ping', ActionID: 'second' }));
  await one.reply('first');
  await one.frame((f) => f.error !== undefined, 'the error frame');
  t.match(one.frames.find((f) => f.error !== undefined)!.error, /too many actions awaiting a reply \(limit 1\)/);
  t.notOk(one.frames.some((f) => f.actionid === 'second'), 'the second was not run');
  const metrics = await (await fetch(`${small.base}/metrics`)).text();
  t.match(metrics, /^ajam_limit_refusals_total\{limit="pushmaxclients"\} 2$/m, 'both refusals counted');
  t.match(metrics, /^ajam_limit_refusals_total\{limit="wsmaxinflight"\} 1$/m);
  one.close();
});
