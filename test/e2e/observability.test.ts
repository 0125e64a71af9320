// What an operator watches, over real sockets: /metrics changes as traffic flows (scrape, act,
// scrape again) and is refused outside metricspermit; /healthz answers while the process lives;
// /readyz flips to 503 (with the reason) when the Asterisk side goes away and back to 200 when it
// returns; /health keeps answering as before.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config/config.ts';
import { startApp, type RunningApp } from '../../lib/app.ts';
import { AmiSimulator } from '../../lib/sim/index.ts';
import { AjamClient, USERS } from '../helpers/app.ts';

const dir = mkdtempSync(join(tmpdir(), 'ajam-obs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function startSim(port = 0): Promise<AmiSimulator> {
  const sim = new AmiSimulator({ port, users: [{ username: 'proxy', secret: 'proxypw', read: 'all', write: 'all' }], record: false });
  await sim.listen();
  return sim;
}

async function startProxy(name: string, simPort: number, general = '', processMetrics = false): Promise<RunningApp> {
  writeFileSync(join(dir, 'users.conf'), USERS);
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    `[general]\nbindaddr = 127.0.0.1\nusers = users.conf\nhttptimeout = 30\n${general}\n` +
      `[asterisk]\nhost = 127.0.0.1\nport = ${simPort}\nusername = proxy\nsecret = proxypw\nconnections = 2\n`,
  );
  const config = loadConfig(file);
  config.general.bindport = 0;
  const app = await startApp(config, { loginFailDelayMs: 10, processMetrics });
  await app.ready();
  return app;
}

/** `name{labels} value` lines → value of the sample whose labels include every given pair (0 if absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const kv of (m[2] ?? '').split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0) have.set(kv.slice(0, eq), JSON.parse(kv.slice(eq + 1)) as string);
    }
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return 0;
}

async function scrape(base: string): Promise<string> {
  const r = await fetch(`${base}/metrics`);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  t.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return r.text();
}

t.test('metrics change as traffic flows', async (t) => {
  const sim = await startSim();
  const app = await startProxy('metrics', sim.port);
  t.teardown(async () => {
    await app.close();
    await sim.close();
  });
  const base = `http://127.0.0.1:${app.port}`;

  const before = await scrape(base);
  t.equal(sample(before, 'ajam_ami_connections', { state: 'ready' }), 2, 'both AMI connections ready');
  t.equal(sample(before, 'ajam_sessions', { state: 'authenticated' }), 0);

  const admin = new AjamClient(base);
  t.match((await admin.login()).body, /Authentication accepted/);
  t.match((await admin.get('/rawman?action=Ping')).body, /Pong/);
  t.match((await admin.get('/rawman?action=Ping')).body, /Pong/);
  const bad = new AjamClient(base);
  t.match((await bad.login('admin', 'wrong')).body, /Authentication failed/);
  // An event from Asterisk, then a WaitEvent that takes it.
  await admin.get('/rawman?action=UserEvent&UserEvent=Obs');
  const waited = await admin.get('/rawman?action=WaitEvent&Timeout=5');
  t.match(waited.body, /UserEvent: Obs/);

  const after = await scrape(base);
  const rawman200 = { endpoint: 'rawman', status: '200' };
  t.equal(sample(after, 'ajam_http_requests_total', rawman200) - sample(before, 'ajam_http_requests_total', rawman200), 6, 'six rawman requests answered 200');
  t.equal(sample(after, 'ajam_http_request_duration_seconds_count', { endpoint: 'rawman' }), 6, 'each timed');
  t.equal(sample(after, 'ajam_action_duration_seconds_count', { action: 'ping' }), 2, 'two pings timed');
  t.equal(sample(after, 'ajam_action_duration_seconds_count', { action: 'userevent' }), 1);
  t.equal(sample(after, 'ajam_logins_total', { result: 'success' }), 1);
  t.equal(sample(after, 'ajam_logins_total', { result: 'failure' }), 1);
  t.equal(sample(after, 'ajam_login_failures_total', { reason: 'auth' }), 1);
  t.equal(sample(after, 'ajam_auth_failures_total'), 1, 'the limiter counted it too');
  t.equal(sample(after, 'ajam_sessions', { state: 'authenticated' }), 1);
  t.ok(sample(after, 'ajam_events_in_total') > sample(before, 'ajam_events_in_total'), 'events in grew');
  t.ok(sample(after, 'ajam_events_out_total') >= 1, 'the UserEvent went out');
  t.ok(sample(after, 'ajam_event_ring_entries') >= 1);
  t.equal(sample(after, 'ajam_event_ring_capacity'), 10000);
  t.ok(sample(after, 'ajam_event_ring_bytes') > sample(before, 'ajam_event_ring_bytes'), 'ring bytes grew');
  t.equal(sample(after, 'ajam_actions_in_flight'), 0);
  t.equal(sample(after, 'ajam_http_requests_total', { endpoint: 'metrics', status: '200' }), 1, 'the first scrape counted');
  t.notMatch(after, /process_cpu/, 'process metrics off when asked');

  // A parked long-poll shows as a waiting client while it waits.
  const parked = admin.get('/rawman?action=WaitEvent&Timeout=20');
  let waiting = 0;
  for (let i = 0; i < 200 && waiting === 0; i++) {
    waiting = sample(await scrape(base), 'ajam_event_clients', { kind: 'waitevent' });
    if (waiting === 0) await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(waiting, 1, 'one parked WaitEvent');
  await admin.get('/rawman?action=UserEvent&UserEvent=Release');
  t.match((await parked).body, /UserEvent: Release/);
  t.equal(sample(await scrape(base), 'ajam_event_clients', { kind: 'waitevent' }), 0);

  // Two apps in one process keep their own registries (nothing collided at start either).
  const other = await startProxy('metrics2', sim.port);
  t.teardown(() => other.close());
  const fresh = await scrape(`http://127.0.0.1:${other.port}`);
  t.equal(sample(fresh, 'ajam_http_requests_total', rawman200), 0, 'a second app starts from zero');
});

t.test('metricspermit refuses other addresses; the default process metrics are there', async (t) => {
  const sim = await startSim();
  const denied = await startProxy('denied', sim.port, 'metricspermit = 10.0.0.0/8');
  const open = await startProxy('open', sim.port, '', true);
  t.teardown(async () => {
    await denied.close();
    await open.close();
    await sim.close();
  });
  const r = await fetch(`http://127.0.0.1:${denied.port}/metrics`);
  t.equal(r.status, 403, 'loopback is not in 10.0.0.0/8');
  t.notMatch(await r.text(), /ajam_/);
  // The default (loopback only) lets the test in, with Node's process metrics.
  const text = await scrape(`http://127.0.0.1:${open.port}`);
  t.match(text, /^ajam_process_cpu_user_seconds_total \d/m);
  t.match(text, /^ajam_nodejs_eventloop_lag_seconds \d/m);
});

t.test('healthz, readyz and health follow the AMI side', async (t) => {
  let sim = await startSim();
  const simPort = sim.port;
  const app = await startProxy('ready', simPort);
  t.teardown(async () => {
    await app.close();
    await sim.close();
  });
  const base = `http://127.0.0.1:${app.port}`;
  const get = async (path: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(base + path);
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  t.same(await get('/healthz'), { status: 200, json: { status: 'ok' } });
  t.same(await get('/readyz'), { status: 200, json: { status: 'ready', ready: true } });
  t.equal((await get('/health')).status, 200, '/health kept as it was');

  const down = new Promise((resolve) => app.pool.once('down', resolve));
  await sim.close();
  await down;
  const notReady = await get('/readyz');
  t.equal(notReady.status, 503);
  t.equal(notReady.json.ready, false);
  t.equal(notReady.json.reason, 'no AMI connection is logged in');
  t.equal((await get('/healthz')).status, 200, 'the process is alive all the same');
  t.equal((await get('/health')).status, 503);
  const metrics = await scrape(base);
  t.equal(sample(metrics, 'ajam_ami_connections', { state: 'ready' }), 0);
  t.ok(sample(metrics, 'ajam_ami_reconnects_total', { server: 'default' }) >= 2, 'both connections counted as lost');
  t.equal(sample(metrics, 'ajam_ami_outages_total', { server: 'default' }), 1, 'one outage');

  // Asterisk comes back on the same port: the pool reconnects and readyz turns 200.
  sim = await startSim(simPort);
  const up = new Promise((resolve) => app.pool.once('ready', resolve));
  await up;
  let ready = await get('/readyz');
  for (let i = 0; i < 100 && ready.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    ready = await get('/readyz');
  }
  t.equal(ready.status, 200, 'ready again');
  const back = await scrape(base);
  t.ok(sample(back, 'ajam_ami_outage_seconds_total', { server: 'default' }) > 0, 'its length counted once it ended');
  t.equal((await get('/health')).status, 200);
});

t.test('a bad metricspermit stops the start, naming file and line', async (t) => {
  await t.rejects(startProxy('badpermit', 1, 'metricspermit = 127.0.0.1, nowhere'), /badpermit\.conf:\d+: metricspermit: invalid IP address 'nowhere'/);
});

t.test('an events failover shows in the metrics', async (t) => {
  const sim = await startSim();
  const app = await startProxy('failover', sim.port);
  t.teardown(async () => {
    await app.close();
    await sim.close();
  });
  const base = `http://127.0.0.1:${app.port}`;
  const before = await scrape(base);
  t.equal(sample(before, 'ajam_events_failovers_total'), 0);
  const gap = new Promise<void>((resolve) => app.pool.once('eventsGap', () => resolve()));
  t.equal(sim.dropEventSessions(), 1);
  await gap;
  const after = await scrape(base);
  t.ok(sample(after, 'ajam_events_failovers_total', { server: 'default' }) >= 1, 'the events moved');
  t.equal(sample(after, 'ajam_events_gaps_total', { server: 'default' }), 1, 'one gap');
  t.ok(sample(after, 'ajam_events_gap_seconds_total', { server: 'default' }) >= 0);
  t.ok(sample(after, 'ajam_ami_reconnects_total', { server: 'default' }) >= 1, 'the dropped connection counted');
});

t.test('requests refused before routing are counted as endpoint "other"', async (t) => {
  const sim = await startSim();
  const app = await startProxy('other', sim.port);
  t.teardown(async () => {
    await app.close();
    await sim.close();
  });
  const base = `http://127.0.0.1:${app.port}`;
  t.equal((await fetch(`${base}/rawman?x=${'a'.repeat(5000)}`)).status, 400, 'request line too long');
  t.equal((await fetch(`${base}/rawman`, { method: 'PUT' })).status, 501);
  t.equal((await fetch(`${base}/nowhere`)).status, 404);
  const m = await scrape(base);
  t.equal(sample(m, 'ajam_http_requests_total', { endpoint: 'other', status: '400' }), 1);
  t.equal(sample(m, 'ajam_http_requests_total', { endpoint: 'other', status: '501' }), 1);
  t.equal(sample(m, 'ajam_http_requests_total', { endpoint: 'other', status: '404' }), 1);
});
