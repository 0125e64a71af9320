// An action table per Asterisk server: two simulators behind one proxy, `west` without app_queue
// (its Queue* actions not registered, as an Asterisk that does not load the module). Each server's
// ListCommands is read into its own table; an action is checked against the table of the server it
// goes to (its `Server` parameter, else the first the user may reach) and ListCommands is answered
// per server and per user. Assertions on what each simulator RECEIVED.
import t from 'tap';
import { AmiSimulator } from '../../lib/sim/index.ts';
import { ACTIONS } from '../../lib/sim/registry.ts';
import { AjamClient, USERS, field, messages, startTestApp, type TestApp } from '../helpers/app.ts';
import { withoutProbes } from '../helpers/probes.ts';
import { until } from '../helpers/until.ts';

const APP_QUEUE = ACTIONS.filter((a) => a.name.startsWith('Queue')).map((a) => a.name);
const PROXY = { username: 'proxy', secret: 'proxypw', read: 'all', write: 'all' };
const WEST_ONLY = `
[westonly]
secret = westpw
read = all
write = all
servers = west
`;

let ta: TestApp;
let east: AmiSimulator;
let west: AmiSimulator;
t.before(async () => {
  east = new AmiSimulator({ users: [PROXY] });
  west = new AmiSimulator({ users: [PROXY], missingActions: APP_QUEUE });
  await Promise.all([east.listen(), west.listen()]);
  const section = (name: string, sim: AmiSimulator): string =>
    `[asterisk:${name}]\nhost = 127.0.0.1\nport = ${sim.port}\nusername = proxy\nsecret = proxypw\nconnections = 2\nactiontimeout = 5\n`;
  ta = await startTestApp({ asterisk: `${section('east', east)}\n${section('west', west)}`, users: USERS + WEST_ONLY });
  // Both tables read (app.ready() waits for the first only).
  await until(() => ta.app.serverPermissions.every((p) => p.learned), 'both action tables');
});
t.teardown(async () => {
  await ta.close();
  await Promise.all([east.close(), west.close()]);
});

function got(sim: AmiSimulator, action: string): number {
  return withoutProbes(sim.received).filter((m) => m.get('Action')?.toLowerCase() === action.toLowerCase()).length;
}

t.test('the simulator without app_queue: ListCommands leaves it out, the action is unknown there', async (t) => {
  t.equal(west.actions.length, ACTIONS.length - APP_QUEUE.length);
  t.equal(west.findAction('queuesummary'), undefined);
  t.ok(east.findAction('QueueSummary'));
  t.throws(() => new AmiSimulator({ missingActions: ['NoSuchAction'] }), { code: 'AJAM_ERR_INVALID_ARG' });
});

t.test('each server has its own table: route and deny by the server the action goes to', async (t) => {
  const [eastTable, westTable] = ta.app.serverPermissions as [(typeof ta.app.serverPermissions)[0], (typeof ta.app.serverPermissions)[0]];
  t.equal(eastTable.required('QueueSummary'), 0);
  t.equal(westTable.required('QueueSummary'), undefined, 'west does not have it');
  t.equal(ta.app.permissions, eastTable, 'app.permissions is the first server\'s');

  const c = new AjamClient(ta.base);
  await c.login('admin', 'adminpw', '&Events=off');
  east.clearReceived();
  west.clearReceived();

  let [m] = messages((await c.get('/rawman?action=QueueSummary&ActionID=w1&Server=west')).body);
  t.equal(field(m!, 'Response'), 'Error');
  t.equal(field(m!, 'ActionID'), 'w1');
  t.equal(field(m!, 'Message'), 'Invalid/unknown command: QueueSummary. Use Action: ListCommands to show available commands.');
  t.equal(got(west, 'QueueSummary'), 0, 'answered by the proxy, never sent to west');

  const list = messages((await c.get('/rawman?action=QueueSummary&ActionID=e1&Server=east')).body);
  t.equal(field(list[0]!, 'Response'), 'Success', 'east has it');
  t.equal(field(list[0]!, 'Server'), 'east');
  t.equal(got(east, 'QueueSummary'), 1);

  [m] = messages((await c.get('/rawman?action=QueueSummary&ActionID=d1')).body);
  t.equal(field(m!, 'Response'), 'Success', 'no Server parameter: the first server, east, has it');
  t.equal(got(east, 'QueueSummary'), 2);

  // A user limited to west: without a Server parameter its actions go to west, and west's table decides.
  const w = new AjamClient(ta.base);
  await w.login('westonly', 'westpw', '&Events=off');
  [m] = messages((await w.get('/rawman?action=QueueStatus&ActionID=l1')).body);
  t.equal(field(m!, 'Message'), 'Invalid/unknown command: QueueStatus. Use Action: ListCommands to show available commands.');
  [m] = messages((await w.get('/rawman?action=QueueStatus&ActionID=l2&Server=east')).body);
  t.equal(field(m!, 'Message'), "Permission denied: server 'east' is not allowed for this user", 'the server limit comes first');
  t.equal(got(west, 'QueueStatus') + got(east, 'QueueStatus'), 0, 'nothing reached either simulator');
  [m] = messages((await w.get('/rawman?action=Ping&ActionID=l3')).body);
  t.equal(field(m!, 'Server'), 'west', 'what west has goes to west');
  t.equal(got(west, 'Ping'), 1);
});

t.test('ListCommands per server and per user', async (t) => {
  const names = (body: string): string[] =>
    messages(body)[0]!.map(([k]) => k).filter((k) => !['Response', 'ActionID', 'Server'].includes(k));
  const admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw', '&Events=off');
  const eastAll = names((await admin.get('/rawman?action=ListCommands&Server=east')).body);
  const westAll = names((await admin.get('/rawman?action=ListCommands&Server=west')).body);
  t.equal(eastAll.length, ACTIONS.length, 'east: every captured action');
  t.same(westAll, eastAll.filter((n) => !APP_QUEUE.includes(n)), 'west: the same without app_queue');

  const wall = new AjamClient(ta.base);
  await wall.login('wallboard', 'wallpw', '&Events=off');
  const eastWall = names((await wall.get('/rawman?action=ListCommands&Server=east')).body);
  const westWall = names((await wall.get('/rawman?action=ListCommands&Server=west')).body);
  t.ok(eastWall.includes('QueueSummary'), 'east: a queue action anyone may run');
  t.notOk(westWall.includes('QueueSummary'), 'west: not there');
  t.notOk(eastWall.includes('Originate') || westWall.includes('Originate'), 'the user\'s own classes still filter');
  t.ok(eastWall.length < eastAll.length && westWall.length < westAll.length);
});
