// static/ajam-client.js in Node against the whole proxy and the simulator over loopback: login,
// actions (with and without an ActionID of one's own, a list action whole), events, wrong secret,
// session loss and re-login, close.
import t from 'tap';
import WebSocket from 'ws';
import { connect, parseRawman, AjamError } from '../../static/ajam-client.js';
import type { AjamClient, AmiMessage, TransportName } from '../../static/ajam-client.js';
import { startTestApp, USERS } from '../helpers/app.ts';
import { newToken } from '../../lib/auth/tokens.ts';
import type { TestApp } from '../helpers/app.ts';
import { until } from '../helpers/until.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ general: 'httptimeout = 30' });
});
t.teardown(() => ta.close());

t.test('parseRawman: blocks, repeated keys, body lines', async (t) => {
  const msgs = parseRawman('Response: Success\r\nOutput: a\r\nOutput: b\r\n\r\nEvent: X\r\nKey:  two spaces\r\nno colon\r\n\r\n');
  t.same(msgs, [{ Response: 'Success', Output: ['a', 'b'] }, { Event: 'X', Key: ' two spaces', body: 'no colon' }]);
});

function transportsUnder(): TransportName[][] {
  // Each transport on its own: WebSocket, SSE (+ /json actions), WaitEvent long-poll on /json.
  return [['websocket'], ['sse'], ['longpoll']];
}

for (const transports of transportsUnder()) {
  t.test(`${transports.join('+')}: actions and events`, async (t) => {
    const c: AjamClient = await connect({ url: ta.base, username: 'admin', secret: 'adminpw', transports, WebSocket });
    t.teardown(() => c.close());
    t.equal(c.state, 'live');
    t.equal(c.transport, transports[0]);

    const [pong] = await c.action({ Action: 'Ping' });
    t.equal(pong!.Response, 'Success');
    t.equal(pong!.Ping, 'Pong');
    t.notOk('ActionID' in pong!, 'the client\'s own ActionID is not shown');
    const [mine] = await c.action({ Action: 'Ping', ActionID: 'mine-1' });
    t.equal(mine!.ActionID, 'mine-1', 'an ActionID of one\'s own comes back');

    const seen: AmiMessage[] = [];
    const all: string[] = [];
    c.on('UserEvent', (ev) => seen.push(ev));
    c.on('*', (ev) => all.push(String(ev.Event)));
    ta.app.sim!.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'ClientTest'], ['Value', 'one'], ['Value', 'two']], 'user');
    await until(() => seen.length === 1, 'the UserEvent');
    t.equal(seen[0]!.UserEvent, 'ClientTest');
    t.same(seen[0]!.Value, ['one', 'two'], 'a repeated key is an array');
    t.ok(all.includes('UserEvent'), "'*' sees it too");

    // A list action arrives whole.
    ta.app.sim!.originate({ channel: 'Local/100@test' });
    await until(() => all.includes('Newchannel'), 'Newchannel');
    const status = await c.action({ Action: 'Status' });
    t.equal(status[0]!.EventList, 'start');
    t.equal(status.at(-1)!.Event, 'StatusComplete');
    await until(() => all.filter((n) => n === 'Hangup').length >= 2, 'the call ends');
  });
}

t.test('a wrong secret rejects with code auth', async (t) => {
  const err = await connect({ url: ta.base, username: 'admin', secret: 'nope', transports: ['longpoll'] }).catch((e: unknown) => e);
  t.ok(err instanceof AjamError);
  t.equal((err as AjamError).code, 'auth');
  t.match((err as AjamError).message, /Authentication failed/);
});

t.test('session logged off elsewhere: the client logs in again and goes on', async (t) => {
  const c = await connect({ url: ta.base, username: 'admin', secret: 'adminpw', transports: ['longpoll'], retryFirstMs: 20 });
  t.teardown(() => c.close());
  const states: string[] = [];
  c.onStatus((s) => states.push(s.state));
  const got: string[] = [];
  c.on('UserEvent', (ev) => got.push(String(ev.N)));
  // Log every admin session off from the server side.
  for (const s of [...ta.app.store.values()]) if (s.user?.name === "admin") ta.app.store.destroy(s);
  await until(() => states.includes('retrying') && c.state === 'live', 'back live after re-login');
  ta.app.sim!.emitEvent([['Event', 'UserEvent'], ['N', '1']], 'user');
  await until(() => got.includes('1'), 'events again');
  t.pass('events flow on the new session');
});

t.test('close() logs off', async (t) => {
  const c = await connect({ url: ta.base, username: 'admin', secret: 'adminpw', transports: ['longpoll'] });
  const before = ta.app.store.size;
  await c.close();
  t.equal(c.state, 'closed');
  t.equal(ta.app.store.size, before - 1, 'its session is gone');
  await t.rejects(c.action({ Action: 'Ping' }), { code: 'closed' });
});

/** Emits UserEvents N=from..to-1, a few per event-loop turn, so a disconnect lands among them. */
async function emitNumbered(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    ta.app.sim!.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'Numbered'], ['N', String(i)]], 'user');
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 2));
  }
}

t.test('WebSocket dropped in the middle of a stream: resumes by since, nothing lost or repeated', async (t) => {
  const sockets: WebSocket[] = [];
  class RecordingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  const c = await connect({ url: ta.base, username: 'admin', secret: 'adminpw', transports: ['websocket'], WebSocket: RecordingWebSocket, retryFirstMs: 20 });
  t.teardown(() => c.close());
  const got: number[] = [];
  const seqs: number[] = [];
  c.on('UserEvent', (ev, seq) => {
    if (ev.UserEvent !== 'Numbered') return;
    got.push(Number(ev.N));
    seqs.push(seq!);
  });
  await emitNumbered(0, 50);
  await until(() => got.length >= 20, 'some events');
  sockets.at(-1)!.terminate(); // abrupt: no close frame
  await emitNumbered(50, 100);
  await until(() => got.includes(99), 'the last event');
  t.equal(sockets.length, 2, 'one reconnect');
  t.same(got, Array.from({ length: 100 }, (_, i) => i), 'every event once, in order');
  t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'sequence numbers increase');
});

t.test('SSE stream cut: resumes by Last-Event-ID, nothing lost or repeated', async (t) => {
  const streams: AbortController[] = [];
  const lastEventIds: string[] = [];
  // The page's fetch, with a handle on each /events stream so the test can cut it.
  const cuttable: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.includes('/events')) return fetch(input, init);
    const ac = new AbortController();
    streams.push(ac);
    lastEventIds.push(new Headers(init?.headers).get('last-event-id') ?? '');
    init?.signal?.addEventListener('abort', () => ac.abort());
    return fetch(input, { ...init, signal: ac.signal });
  };
  const c = await connect({ url: ta.base, username: 'admin', secret: 'adminpw', transports: ['sse'], fetch: cuttable, retryFirstMs: 20 });
  t.teardown(() => c.close());
  const got: number[] = [];
  c.on('UserEvent', (ev) => {
    if (ev.UserEvent === 'Numbered') got.push(Number(ev.N));
  });
  await emitNumbered(0, 50);
  await until(() => got.length >= 20, 'some events');
  streams.at(-1)!.abort();
  await emitNumbered(50, 100);
  await until(() => got.includes(99), 'the last event');
  t.equal(streams.length, 2, 'one reconnect');
  t.equal(lastEventIds[0], '', 'first stream from now');
  t.match(lastEventIds[1], /^\d+$/, 'the second sent Last-Event-ID');
  t.same(got, Array.from({ length: 100 }, (_, i) => i), 'every event once, in order');
});

t.test('bearer token: WebSocket (header from Node) and SSE with /json actions, no session stored', async (t) => {
  const { token, line } = newToken();
  const app = await startTestApp({ users: `${USERS}\n[tokenuser]\nread = call,user\nwrite = reporting\n${line}\n` });
  t.teardown(() => app.close());
  for (const transports of [['websocket'], ['sse']] as TransportName[][]) {
    const c = await connect({ url: app.base, token, transports, WebSocket });
    const got: string[] = [];
    c.on('UserEvent', (ev) => got.push(String(ev.N)));
    app.app.sim!.emitEvent([['Event', 'UserEvent'], ['N', transports[0]!]], 'user');
    await until(() => got.includes(transports[0]!), `event over ${transports[0]}`);
    const [pong] = await c.action({ Action: 'Ping' });
    t.equal(pong!.Response, 'Success', `${transports[0]}: action with the token`);
    const [denied] = await c.action({ Action: 'Originate', Channel: 'Local/1@test', Exten: '1', Context: 'test' });
    t.equal(denied!.Message, 'Permission denied', `${transports[0]}: the token user's write classes apply`);
    await c.close();
  }
  const wrong = await connect({ url: app.base, token: 'not-a-token', transports: ['sse'], retryFirstMs: 10 }).catch((e: unknown) => e);
  t.equal((wrong as AjamError).code, 'auth', 'a wrong token rejects with code auth');
});

t.test('over WebSocket the cookie session is kept alive for reconnects and other pages', async (t) => {
  const short = await startTestApp({ general: 'httptimeout = 2' });
  t.teardown(() => short.close());
  const c = await connect({ url: short.base, username: 'admin', secret: 'adminpw', transports: ['websocket'], WebSocket, sessionKeepaliveMs: 300 });
  t.teardown(() => c.close());
  const cookie = (c as unknown as { cookie: string }).cookie;
  t.match(cookie, /^mansession_id=/);
  // Past two session lifetimes with only the WebSocket busy: the cookie still names a live session.
  await new Promise((r) => setTimeout(r, 4500));
  const res = await fetch(`${short.base}/json?action=ping`, { headers: { cookie } });
  const [pong] = (await res.json()) as Array<Record<string, string>>;
  t.equal(pong!.Response, 'Success', 'the HTTP session is alive');
});

t.test('a fall back from WebSocket to long-poll is announced as EventsLost (Count unknown)', async (t) => {
  let made = 0;
  const sockets: WebSocket[] = [];
  // The first WebSocket works; after it, the network refuses WebSockets.
  class OnceWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      if (made++ > 0) throw new Error('WebSocket blocked');
      super(...args);
      sockets.push(this);
    }
  }
  const c = await connect({ url: ta.base, username: 'admin', secret: 'adminpw', transports: ['websocket', 'longpoll'], WebSocket: OnceWebSocket, retryFirstMs: 10 });
  t.teardown(() => c.close());
  const notices: AmiMessage[] = [];
  c.on('EventsLost', (ev) => notices.push(ev));
  sockets[0]!.terminate();
  await until(() => c.transport === 'longpoll' && c.state === 'live', 'live over long-poll');
  t.same(notices, [{ Event: 'EventsLost', Count: 'unknown', Reason: 'transport changed from websocket to longpoll' }]);
});
