// Several Asterisk servers: two simulators as `[asterisk:east]` and `[asterisk:west]`. Routing by
// the `Server` parameter (default: the first server the user may reach), `Server:` on every reply
// and event in every format, per-user `servers = …` limits, and isolation (one stopped, the other
// unaffected). Assertions on what each simulator RECEIVED.
import t from 'tap';
import { AjamClient, field, messages, type TestApp } from '../helpers/app.ts';
import { startTwoServerApp } from '../helpers/two-servers.ts';
import { CALL } from '../../lib/sim/perms.ts';
import type { AmiSimulator } from '../../lib/sim/index.ts';
import { SseClient } from '../helpers/push.ts';
import { withoutProbes } from '../helpers/probes.ts';

let ta: TestApp;
let east: AmiSimulator;
let west: AmiSimulator;
t.before(async () => {
  ({ ta, east, west } = await startTwoServerApp('httptimeout = 30'));
});
t.teardown(() => ta.close());

/** Actions named `name` each simulator received (not the pool's own Pings). */
function got(sim: AmiSimulator, name: string): Array<ReturnType<AmiSimulator['received']['at']>> {
  return withoutProbes(sim.received).filter((m) => m.get('Action') === name);
}

t.test('an action goes to the server its Server parameter names, or to the first; replies say which', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login('admin', 'adminpw', '&Events=off');
  east.clearReceived();
  west.clearReceived();

  let [m] = messages((await c.get('/rawman?action=Ping&ActionID=w1&Server=west')).body);
  t.equal(field(m!, 'Response'), 'Success');
  t.equal(field(m!, 'Server'), 'west');
  t.equal(field(m!, 'ActionID'), 'w1');
  t.equal(got(west, 'Ping').length, 1);
  t.equal(got(east, 'Ping').length, 0);
  t.notOk(got(west, 'Ping')[0]!.has('Server'), 'the routing parameter is never sent to Asterisk');

  [m] = messages((await c.get('/rawman?action=Ping&ActionID=e1')).body);
  t.equal(field(m!, 'Server'), 'east', 'no Server parameter: the first server');
  t.equal(got(east, 'Ping').length, 1);

  [m] = messages((await c.get('/rawman?action=Ping&ActionID=W2&server=WEST')).body);
  t.equal(field(m!, 'Server'), 'west', 'name and key in any case');

  // Every format carries it, lists included.
  const mxml = (await c.get('/mxml?action=Ping&Server=west')).body;
  t.match(mxml, /server='west'/i);
  const json = JSON.parse((await c.get('/json?action=Ping&Server=west')).body) as unknown;
  t.match(JSON.stringify(json), /"Server":"west"/);
  const list = messages((await c.get('/rawman?action=CoreShowChannels&Server=west')).body);
  t.ok(list.length >= 2);
  t.ok(list.every((x) => field(x, 'Server') === 'west'), 'every message of a list');
});

t.test('an unknown server is a clear error and nothing is sent', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login('admin', 'adminpw', '&Events=off');
  east.clearReceived();
  west.clearReceived();
  const [m] = messages((await c.get('/rawman?action=Ping&ActionID=n1&Server=north')).body);
  t.equal(field(m!, 'Response'), 'Error');
  t.equal(field(m!, 'ActionID'), 'n1');
  t.equal(field(m!, 'Message'), "Unknown server 'north' (servers: east, west)");
  t.equal(withoutProbes(east.received).length + withoutProbes(west.received).length, 0);
});

t.test('events of both servers reach a session, each tagged with its server', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login('wallboard', 'wallpw');
  await c.get('/rawman?action=WaitEvent&Timeout=0');
  east.emitEvent([['Event', 'TestMark'], ['N', 'e']], CALL);
  west.emitEvent([['Event', 'TestMark'], ['N', 'w']], CALL);
  const seen: Array<Array<[string, string]>> = [];
  while (seen.length < 2) {
    const r = await c.get('/rawman?action=WaitEvent&Timeout=5');
    seen.push(...messages(r.body).filter((m) => field(m, 'Event') === 'TestMark'));
  }
  t.same(seen.map((m) => [field(m, 'N'), field(m, 'Server')]).sort(), [['e', 'east'], ['w', 'west']]);
});

t.test('Server-Sent Events carry the "Server" field too', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login('admin', 'adminpw');
  const s = new SseClient(ta.port, '/events', { Cookie: c.cookie! });
  await s.ready();
  west.emitEvent([['Event', 'SseMark']], CALL);
  const r = await s.record((x) => x.event === 'SseMark', 'the west event');
  t.same(JSON.parse(r.data), { Event: 'SseMark', Server: 'west', Privilege: 'call,all' });
  s.close();
});

t.test('servers = west: actions go there by default, east is refused, only west events arrive', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login('westonly', 'westpw');
  await c.get('/rawman?action=WaitEvent&Timeout=0');
  east.clearReceived();
  west.clearReceived();
  let [m] = messages((await c.get('/rawman?action=Ping&ActionID=d')).body);
  t.equal(field(m!, 'Server'), 'west', 'the first server this user may reach');
  [m] = messages((await c.get('/rawman?action=Ping&ActionID=x&Server=east')).body);
  t.equal(field(m!, 'Response'), 'Error');
  t.equal(field(m!, 'Message'), "Permission denied: server 'east' is not allowed for this user");
  t.equal(got(east, 'Ping').length, 0, 'east received nothing');
  t.equal(got(west, 'Ping').length, 1);

  east.emitEvent([['Event', 'TestMark'], ['N', 'e']], CALL);
  west.emitEvent([['Event', 'TestMark'], ['N', 'w']], CALL);
  const r = await c.get('/rawman?action=WaitEvent&Timeout=5');
  let marks = messages(r.body).filter((x) => field(x, 'Event') === 'TestMark');
  // Both were appended in this turn; one more short poll catches a straggler if any.
  const r2 = await c.get('/rawman?action=WaitEvent&Timeout=0');
  marks = marks.concat(messages(r2.body).filter((x) => field(x, 'Event') === 'TestMark'));
  t.same(marks.map((x) => field(x, 'N')), ['w']);
});

t.test('one server stopped: the other keeps answering and delivering events', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login('admin', 'adminpw');
  await c.get('/rawman?action=WaitEvent&Timeout=0');
  const eastPool = ta.app.servers.list[0]!.pool;
  const down = new Promise<void>((resolve) => eastPool.once('down', () => resolve()));
  await east.close();
  await down;

  let [m] = messages((await c.get('/rawman?action=Ping&ActionID=e&Server=east')).body);
  t.equal(field(m!, 'Response'), 'Error');
  t.equal(field(m!, 'Message'), 'AMI not connected');
  t.equal(field(m!, 'Server'), 'east');
  [m] = messages((await c.get('/rawman?action=Ping&ActionID=w&Server=west')).body);
  t.equal(field(m!, 'Response'), 'Success');
  t.equal(field(m!, 'Server'), 'west');

  west.emitEvent([['Event', 'TestMark'], ['N', 'after']], CALL);
  let marks: string[] = [];
  while (!marks.includes('after')) {
    const r = await c.get('/rawman?action=WaitEvent&Timeout=5');
    marks = marks.concat(messages(r.body).filter((x) => field(x, 'Event') === 'TestMark').map((x) => field(x, 'N')!));
  }
  t.ok(ta.app.servers.list[1]!.pool.eventsReady, 'west untouched');
  const metrics = await (await fetch(`${ta.base}/metrics`)).text();
  t.match(metrics, /^ajam_ami_connections\{server="west",state="ready"\} 2$/m, 'per-server metrics');
  t.notMatch(metrics, /^ajam_ami_connections\{server="east",state="ready"\}/m);
  t.match(metrics, /^ajam_actions_in_flight\{server="east"\} 0$/m);
  t.match(metrics, /^ajam_ami_reconnects_total\{server="east"\} [1-9]/m);
  const ready = await fetch(`${ta.base}/readyz`);
  t.equal(ready.status, 200, 'still ready: one server is up');
});
