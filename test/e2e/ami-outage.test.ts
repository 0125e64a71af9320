// Outages are visible: while no AMI connection is up, Login works but its reply says so
// (ProxyAMIDown instead of FullyBooted); a drop of the AMI link reaches every session with events
// on as ProxyAMIDown, whatever its classes, and the reconnect as ProxyAMIUp with Asterisk's own
// Uptime; a refused AMI login backs off (doubling to a cap) and is logged once, not per attempt.
import t from 'tap';
import { AjamClient, messages, field, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { captureLogs } from '../helpers/log.ts';
import { ErrorCodes, type AjamError } from '../../lib/errors.ts';
import { until } from '../helpers/until.ts';

/** WaitEvent until an event named `name` arrives; returns its fields. */
async function waitFor(c: AjamClient, name: string): Promise<Array<[string, string]>> {
  for (let i = 0; i < 100; i++) {
    const r = await c.get('/rawman?action=WaitEvent&Timeout=2');
    const hit = messages(r.body).find((m) => field(m, 'Event') === name);
    if (hit !== undefined) return hit;
  }
  throw new Error(`no ${name}`);
}

function stopAsterisk(ta: TestApp): void {
  ta.app.sim!.refuse(true);
  ta.app.sim!.dropAll();
}

t.test('Login while no AMI connection is up: accepted, with ProxyAMIDown instead of FullyBooted', async (t) => {
  const ta = await startTestApp();
  t.teardown(() => ta.close());
  const up = await new AjamClient(ta.base).login();
  t.match(up.body, /Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: \d+\r\nLastReload: \d+\r\nStatus: Fully Booted/);
  const uptime = Number(/Uptime: (\d+)/.exec(up.body)![1]);
  t.ok(Math.abs(uptime - ta.app.sim!.uptime) <= 1, "Uptime is Asterisk's, from its FullyBooted");

  stopAsterisk(ta);
  await until(() => !ta.app.pool.ready, 'the pool to go down', 60_000);
  for (const [user, secret] of [['admin', 'adminpw'], ['wallboard', 'wallpw']] as const) {
    const c = new AjamClient(ta.base);
    const r = await c.login(user, secret);
    t.match(r.body, 'Message: Authentication accepted', `${user}: logged in`);
    t.match(r.body, /Event: ProxyAMIDown\r\nStatus: Not connected\r\nReason: [^\r]+\r\n\r\n/, `${user}: told that Asterisk is not reachable`);
    t.notMatch(r.body, 'FullyBooted', `${user}: no FullyBooted while Asterisk is not up`);
    const ping = await c.get('/rawman?action=ping');
    t.match(ping.body, 'Response: Error', 'actions fail meanwhile');
  }
  // mxml carries the same block.
  const x = await new AjamClient(ta.base).get('/mxml?action=login&username=admin&secret=adminpw');
  t.match(x.body, /<generic event='ProxyAMIDown' status='Not connected'/);

  ta.app.sim!.refuse(false);
  await until(() => ta.app.pool.bootInfo() !== undefined, 'FullyBooted on the events connection', 60_000);
  t.match((await new AjamClient(ta.base).login()).body, 'Event: FullyBooted', 'FullyBooted again once Asterisk is back');
});

t.test('ready() called while Asterisk is away resolves once it is back', async (t) => {
  const ta = await startTestApp();
  t.teardown(() => ta.close());
  await ta.app.ready();
  stopAsterisk(ta);
  await until(() => !ta.app.pool.ready, 'the pool to go down', 60_000);
  let resolved = false;
  const ready = ta.app.ready().then(() => (resolved = true));
  await new Promise((r) => setTimeout(r, 50));
  t.equal(resolved, false, 'not ready while no AMI connection is up');
  ta.app.sim!.refuse(false);
  await ready;
  t.ok(ta.app.pool.ready, 'resolved with the pool logged in again');
});

t.test('a drop reaches every session as ProxyAMIDown, the reconnect as ProxyAMIUp', async (t) => {
  const ta = await startTestApp();
  t.teardown(() => ta.close());
  const admin = new AjamClient(ta.base);
  await admin.login();
  // No system class, and an eventfilter-free read of call,agent,reporting only: still told.
  const wall = new AjamClient(ta.base);
  await wall.login('wallboard', 'wallpw');
  for (const c of [admin, wall]) await c.get('/rawman?action=WaitEvent&Timeout=0');

  stopAsterisk(ta);
  for (const [who, c] of [['admin', admin], ['wallboard', wall]] as const) {
    const down = await waitFor(c, 'ProxyAMIDown');
    t.equal(field(down, 'Status'), 'Down', `${who}: ProxyAMIDown`);
    t.match(field(down, 'Reason'), 'reconnecting');
    t.notMatch(field(down, 'Reason'), /127\.0\.0\.1|:\d+/, 'no addresses in what HTTP users see');
  }
  t.equal(ta.app.sim!.connectionCount, 0, 'the simulator really has no AMI connection');

  ta.app.sim!.refuse(false);
  for (const [who, c] of [['admin', admin], ['wallboard', wall]] as const) {
    const upEv = await waitFor(c, 'ProxyAMIUp');
    t.equal(field(upEv, 'Status'), 'Up', `${who}: ProxyAMIUp`);
  }
  // The same events through the JSON endpoint's WaitEvent are the same entries: checked by format tests.
  const ping = await admin.get('/rawman?action=ping');
  t.match(ping.body, 'Ping: Pong', 'actions work again');
});

t.test('a refused AMI login backs off, doubling to the cap, and is logged once', async (t) => {
  const ta = await startTestApp({
    asterisk: '[asterisk]\nsimulate = yes\nusername = proxy\nsecret = proxypw\nconnections = 2\nactiontimeout = 5\nauthbackoff = 0.05\nauthbackoffmax = 0.1\n',
  });
  t.teardown(() => ta.close());
  const conn = ta.app.pool.connections[0]!;
  const refused: number[] = [];
  const onDown = (err: AjamError, retryInMs: number): void => {
    if (err.code === ErrorCodes.AMI_ERR_LOGIN) refused.push(retryInMs);
  };
  conn.on('down', onDown);
  t.teardown(() => conn.off('down', onDown));

  const logs = await captureLogs('debug', async () => {
    // The PBX's account now has another secret: every login the proxy tries is refused.
    ta.app.sim!.findUser('proxy')!.secret = 'changed-on-the-pbx';
    ta.app.sim!.dropAll();
    await until(() => refused.length >= 3, 'three refused logins', 60_000);
    ta.app.sim!.findUser('proxy')!.secret = 'proxypw';
    await until(() => conn.ready, 'the login to work again', 60_000);
  });
  // 50 ms, doubled, capped at 100 ms; each wait is 75-100 % of its step (jitter).
  const steps = [50, 100, 100];
  steps.forEach((step, i) => t.ok(refused[i]! >= step * 0.75 && refused[i]! <= step, `wait ${i + 1}: ${refused[i]} ms of ${step}`));
  const errors = logs.filter((r) => r.msg.startsWith('AMI login failed:'));
  t.equal(errors.length, 1, 'one error line for the whole run of refusals (both connections)');
  t.equal(errors[0]?.firstRetryS, 0.05);
  t.ok(logs.some((r) => r.msg === 'AMI login accepted again'), 'and one line when it works again');
  const drops = logs.filter((r) => r.msg === 'AMI connection down' && r.level >= 40).length;
  t.equal(drops, ta.app.pool.connections.length, 'the drop itself: one warning per connection, none per refused retry');
});

t.test('authbackoff defaults: a minute, doubling to ten', async (t) => {
  const ta = await startTestApp();
  t.teardown(() => ta.close());
  const conn = ta.app.pool.connections[0]!;
  t.equal(conn.authBackoffInitialMs, 60_000);
  t.equal(conn.authBackoffMaxMs, 600_000);
  t.equal(conn.backoffMaxMs, 30_000, 'other failures keep their shorter schedule');
});
