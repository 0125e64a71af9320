// The simulator against the real Asterisk 22.10.1 captures, byte for byte after normalising the
// values that must differ (ids, times, ports, challenge).
import t from 'tap';
import { createHash } from 'node:crypto';
import { AmiSimulator, type SimUser } from '../../lib/sim/index.ts';
import { Replay, normalise } from '../helpers/capture.ts';

// The captures' users and secrets.
const USERS: SimUser[] = [
  { username: 'admin', secret: 'adminpw', read: 'all', write: 'all' },
  { username: 'proxy', secret: 'proxypw', read: 'all', write: 'all' },
  { username: 'wallboard', secret: 'wallpw', read: 'call,agent,reporting', write: 'reporting' },
];

const sim = new AmiSimulator({ users: USERS, callDurationMs: 600 });
const open: Replay[] = [];
t.before(async () => {
  await sim.listen();
});
t.teardown(async () => {
  for (const r of open) r.destroy();
  await sim.close();
});

async function replay(name: string): Promise<Replay> {
  const r = await Replay.open(sim.port, name);
  open.push(r);
  return r;
}

/** [what the simulator sent, what Asterisk sent], both normalised. */
function both(r: Replay): [string, string] {
  return [normalise(r.received.toString()), normalise(r.expectedBytes().toString())];
}

// Each capture on its own (fresh channel counters do not matter: suffixes are normalised).
for (const name of [
  'tcp_01_login_ping_logoff',
  'tcp_02_failed_login',
  'tcp_03_unknown_user',
  'tcp_04_action_before_login',
  'tcp_05_status_idle',
  'tcp_06_command_uptime',
  'tcp_07_originate_events',
  'tcp_10_waitevent_over_tcp',
  'tcp_http_driver_orig1',
  'tcp_http_driver_orig2',
]) {
  t.test(name, async (tt) => {
    const r = await replay(name);
    await r.run();
    tt.equal(...both(r), 'same bytes as the capture (normalised)');
    if (r.closedAtEnd) tt.ok(r.closed, 'server closed the connection');
    // Calls an originate started run on after Logoff: let them end before the next capture.
    while (sim.activeCalls > 0) await new Promise((res) => setTimeout(res, 20));
  });
}

t.test('tcp_09 MD5 challenge login with Events: off, then Events off', async (tt) => {
  const r = await replay('tcp_09_md5_challenge_login_events_off');
  r.rewrite = (send, got) => {
    const m = /Challenge: (\d+)\r\n/.exec(got.toString());
    if (m === null) return send;
    const key = createHash('md5').update(m[1]! + 'adminpw').digest('hex');
    return Buffer.from(send.toString().replace(/Key: [0-9a-f]+/, `Key: ${key}`));
  };
  await r.run();
  tt.equal(...both(r), 'same bytes as the capture (normalised)');
  tt.match(r.received.toString(), /Challenge: \d+\r\n/, 'numeric challenge');
});

t.test('tcp_08 wallboard: denials, QueueSummary, call events of an originate by another session', async (tt) => {
  const wall = await replay('tcp_08_wallboard_perms_events');
  const last = wall.steps.length - 1;
  // Login, Originate (denied), Command (denied); then QueueSummary, whose step also holds the call events.
  await wall.run(0, last - 1);
  const done = wall.step(last - 1);
  // The proxy connection (tcp_08b) fires the Originate once the QueueSummary reply is in.
  await wall.waitFor(() => wall.received.includes('QueueSummaryComplete'), 'QueueSummary');
  const proxy = await replay('tcp_08b_admin_originate_for_wallboard');
  await proxy.run(0, 3);
  await done;
  await proxy.run(3);
  await wall.run(last);
  tt.equal(...both(wall), 'wallboard sees the capture (call class only, no dialplan/cdr/system/security)');
  tt.equal(...both(proxy), 'proxy connection as captured (Events: off: nothing unsolicited)');
  // The originated call may outlive the capture: let it end so the next test sees no channels.
  while (sim.activeCalls > 0) await new Promise((res) => setTimeout(res, 20));
});

t.test('tcp_07 mid-call Status lists both Local channels; CoreShowChannels too', async (tt) => {
  const r = await replay('tcp_07_originate_events');
  await r.run();
  const text = r.received.toString();
  tt.match(text, /Event: StatusComplete\r\nActionID: S2\r\nEventList: Complete\r\nListItems: 2\r\nItems: 2\r\n/);
  tt.match(text, /Event: CoreShowChannelsComplete\r\nActionID: CSC\r\nEventList: Complete\r\nListItems: 2\r\n/);
  tt.equal(sim.channels.size, 0, 'channels gone after the call');
});
