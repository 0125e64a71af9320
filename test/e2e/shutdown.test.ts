// Graceful shutdown in process (app.shutdown, what SIGTERM runs): new connections are refused and
// requests arriving on kept-alive ones get 503 + Connection: close, an action already sent to
// Asterisk still gets its real answer, the proxy logs off from Asterisk; and a stuck action does
// not hold the shutdown past shutdowntimeout; WebSockets are closed with 1001 and SSE streams end.
import t from 'tap';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import { RawClient, get, header } from '../helpers/http.ts';
import { captureLogs } from '../helpers/log.ts';
import { SseClient, WsClient } from '../helpers/push.ts';
import { uwsNative } from '../../lib/http/uws.ts';
import { until, untilValue } from '../helpers/until.ts';

t.test('running actions finish, new requests are turned away, Logoff is sent', async (t) => {
  const ta = await startTestApp({ general: 'shutdowntimeout = 60' });
  t.teardown(() => ta.close());
  const admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw', '&Events=off');
  const keepAlive = new RawClient(ta.port);
  t.teardown(() => keepAlive.close());
  const first = await keepAlive.request(get('/rawman?action=Ping', `Cookie: ${admin.cookie}\r\n`));
  t.match(first.body.toString(), /Pong/);

  // Asterisk takes its time: the action is sent and waits for its answer.
  const sim = ta.app.sim!;
  sim.stall(true);
  const inFlight = admin.get('/rawman?action=Ping&ActionID=inflight');
  await until(() => ta.app.pool.pendingCount === 1);

  const done = ta.app.shutdown();
  const turnedAway = await keepAlive.request(get('/rawman?action=Ping', `Cookie: ${admin.cookie}\r\n`));
  t.equal(turnedAway.status, 503, 'a new request on a kept-alive connection');
  t.equal(header(turnedAway, 'Connection'), 'close');
  await keepAlive.waitClosed();
  await t.rejects(fetch(`${ta.base}/healthz`), 'no new connections');
  t.equal(ta.app.server.inFlight, 1, 'the running one is waited for');

  sim.stall(false);
  const r = await inFlight;
  t.match(r.body, /^Response: Success\r\nActionID: inflight\r\nPing: Pong\r\n/, 'it got its real answer');
  await done;
  t.ok(
    sim.received.some((m) => m.get('Action') === 'Logoff'),
    'the proxy logged off from Asterisk',
  );
});

t.test('a stuck action does not hold the shutdown past shutdowntimeout', async (t) => {
  const ta = await startTestApp({ general: 'shutdowntimeout = 0.2' });
  t.teardown(() => ta.close());
  const admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw', '&Events=off');
  ta.app.sim!.stall(true);
  const stuck = admin.get('/rawman?action=Ping').then(
    (r) => r.body,
    () => 'connection closed',
  );
  await until(() => ta.app.pool.pendingCount === 1);
  const records = await captureLogs('warn', () => ta.app.shutdown());
  t.ok(records.some((r) => r.msg === 'shutdown: requests still running, closing anyway' && r.requests === 1));
  t.match(await stuck, /connection closed|AMI connection closed/, 'the stuck request ended, not left hanging');
  ta.app.sim!.stall(false);
});

t.test('WebSockets get 1001 Going Away, SSE streams end', { skip: uwsNative ? false : 'WebSocket needs native uWS' }, async (t) => {
  const ta = await startTestApp({ general: 'pushmaxclients = 2' });
  t.teardown(() => ta.close());
  const admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw');
  const headers = { Cookie: admin.cookie! };
  const ws = await WsClient.open(`ws://127.0.0.1:${ta.port}/ws`, headers);
  const sse = new SseClient(ta.port, '/events', headers);
  await sse.ready();
  // A third push client is over pushmaxclients: refused and counted.
  const third = new SseClient(ta.port, '/events', headers);
  await third.ready();
  t.equal(third.status, 503);
  // One event reaches both clients: two deliveries.
  const out = async (): Promise<number> => Number(/^ajam_events_out_total (\S+)$/m.exec(await (await fetch(`${ta.base}/metrics`)).text())![1]);
  const before = await out();
  ta.app.sim!.emitEvent([['Event', 'PushMark']], 'call');
  await ws.event('PushMark');
  await sse.record((r) => r.event === 'PushMark', 'the SSE record');
  t.equal((await out()) - before, 2, 'ajam_events_out_total counts each push delivery');
  const metrics = await (await fetch(`${ta.base}/metrics`)).text();
  t.match(metrics, /^ajam_event_clients\{kind="websocket"\} 1$/m);
  t.match(metrics, /^ajam_event_clients\{kind="sse"\} 1$/m);
  t.match(metrics, /^ajam_limit_refusals_total\{limit="pushmaxclients"\} 1$/m);

  const done = ta.app.shutdown();
  t.same(await ws.closed, { code: 1001, reason: 'server shutting down' }, 'the WebSocket is told the server goes away');
  await untilValue(() => (sse.ended ? true : undefined), 'the SSE stream to end');
  t.ok(sse.ended, 'the SSE stream ended');
  await done;
});
