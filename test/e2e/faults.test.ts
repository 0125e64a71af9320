// Upstream trouble seen from HTTP: the simulator dropping its connections mid-request gives that
// request a clear AMI error, and the next request works once the pool has reconnected; requests
// while no connection is up get an error, never a hang; the proxy process keeps serving.
import t from 'tap';
import type { AmiMessage } from '../../lib/ami/message.ts';
import { AjamClient, field, messages, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';

let ta: TestApp;
let admin: AjamClient;
t.before(async () => {
  ta = await startTestApp();
  admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw', '&Events=off');
});
t.teardown(() => ta.close());

function once<T>(emitter: { once(name: string, f: (v: T) => void): unknown }, name: string): Promise<T> {
  return new Promise((resolve) => emitter.once(name, resolve));
}

t.test('simulator drops its connections mid-request', async (t) => {
  const sim = ta.app.sim!;
  const pool = ta.app.pool;
  // Hold every action so ours is still in flight when the connections go.
  sim.delayActions(60_000);
  const seen = new Promise<void>((resolve) => {
    const onAction = (msg: AmiMessage): void => {
      if (msg.get('Action') === 'Status') {
        sim.off('action', onAction);
        resolve();
      }
    };
    sim.on('action', onAction);
  });
  const inFlight = admin.get('/rawman?action=Status&ActionID=drop1');
  await seen;
  const down = once(pool, 'down');
  sim.dropAll();
  const r = await inFlight;
  t.equal(r.status, 200);
  const [msg] = messages(r.body);
  t.equal(field(msg!, 'Response'), 'Error');
  t.equal(field(msg!, 'ActionID'), 'drop1', "the client's own ActionID");
  t.equal(field(msg!, 'Message'), 'AMI connection lost');
  await down;

  // While nothing is connected: an immediate clear error, not a hang.
  sim.delayActions(0);
  if (!pool.ready) {
    const r2 = await admin.get('/rawman?action=Ping&ActionID=nc');
    const [m2] = messages(r2.body);
    t.equal(field(m2!, 'Response'), 'Error');
    t.equal(field(m2!, 'ActionID'), 'nc');
    t.match(field(m2!, 'Message'), /^AMI (not connected|connection lost)$/);
  }
  if (!pool.ready) await once(pool, 'ready');
  const ok = await admin.get('/rawman?action=Ping&ActionID=after');
  t.match(ok.body, /^Response: Success\r\nActionID: after\r\nPing: Pong\r\n/, 'works again after reconnect');
  // The HTTP session survived the AMI outage.
  const again = await admin.get('/rawman?action=Status&ActionID=s2');
  t.match(again.body, /^Response: Success\r\nActionID: s2\r\nEventList: start\r\n/);
});

t.test('/health follows the pool', async (t) => {
  const h = await fetch(`${ta.base}/health`);
  t.equal(h.status, 200);
  const j = (await h.json()) as { status: string; pool: { ready: boolean }; uws: string };
  t.equal(j.status, 'ok');
  t.equal(j.pool.ready, true);
  t.equal(j.uws, process.env.UWS_USE_FALLBACK === '1' ? 'fallback' : 'native');
});
