// An Asterisk that stops answering while nobody asks it anything (TCP open, nothing read, nothing
// answered) is found by the stall probe of idle connections, with the keepalive off: /readyz turns
// 503, a session with events on is told ProxyAMIDown, and when Asterisk answers again all comes
// back (ProxyAMIUp, readyz 200). No timing is asserted; the bound (stalltimeout) is the pool's
// (test/mux/failover.test.ts drives the same probe at the pool level).
import t from 'tap';
import { AjamClient, field, messages, startTestApp } from '../helpers/app.ts';
import { until } from '../helpers/until.ts';
import { setLogLevel } from '../../lib/log.ts';

// The stall and the reconnects are logged as warnings by design; they are what this test causes.
if (process.env.AJAM_LOG === undefined) setLogLevel('error');

t.test('an idle stalled Asterisk: readyz 503 and ProxyAMIDown, then back', async (t) => {
  const ta = await startTestApp({
    asterisk: '[asterisk]\nsimulate = yes\nusername = proxy\nsecret = proxypw\nconnections = 2\nkeepalive = 0\nstalltimeout = 1\n',
    general: 'httptimeout = 60',
  });
  t.teardown(() => ta.close());
  const sim = ta.app.sim!;
  const readyz = async (): Promise<number> => (await fetch(`${ta.base}/readyz`)).status;
  t.equal(await readyz(), 200);
  const c = new AjamClient(ta.base);
  await c.login('admin', 'adminpw');
  await c.get('/rawman?action=WaitEvent&Timeout=0');
  t.equal(ta.app.pool.pendingCount, 0, 'nothing in flight: only an idle probe can notice');

  sim.stall(true);
  await until(async () => (await readyz()) === 503, 'readyz 503 after the idle stall', 30_000);
  const down = messages((await c.get('/rawman?action=WaitEvent&Timeout=5')).body);
  t.ok(down.some((m) => field(m, 'Event') === 'ProxyAMIDown'), 'sessions are told');

  sim.stall(false);
  await until(async () => (await readyz()) === 200, 'readyz 200 once Asterisk answers', 30_000);
  const seen: Array<Array<[string, string]>> = [];
  while (!seen.some((m) => field(m, 'Event') === 'ProxyAMIUp')) seen.push(...messages((await c.get('/rawman?action=WaitEvent&Timeout=5')).body));
  t.pass('ProxyAMIUp after the stall');
});
