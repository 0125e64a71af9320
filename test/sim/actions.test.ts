// Simulator actions beyond the captured sessions: ListCommands, permissions and event filtering,
// astdb, variables, UserEvent, Hangup, sync Originate, the pre-14 Command form, the call generator.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmiSimulator } from '../../lib/sim/index.ts';
import { ACTIONS } from '../../lib/sim/registry.ts';
import { TestClient } from '../helpers/sim-client.ts';
import { CAPTURES } from '../helpers/capture.ts';

const sim = new AmiSimulator({ callDurationMs: 400 });
const clients: TestClient[] = [];

t.before(async () => {
  await sim.listen();
});
t.teardown(async () => {
  for (const c of clients) c.close();
  await sim.close();
});

async function login(user = 'admin', secret = user === 'admin' ? 'admin' : 'wallpw', events?: 'on' | 'off'): Promise<TestClient> {
  const c = await TestClient.login(sim.port, user, secret, events);
  clients.push(c);
  return c;
}

/** The body of a curl -i capture (after the blank line ending the HTTP headers). */
function httpBody(name: string): string {
  const raw = readFileSync(join(CAPTURES, name), 'latin1');
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}

t.test('ListCommands', async (t) => {
  const admin = await login('admin', 'admin', 'off');
  const [r] = await admin.action([['Action', 'ListCommands'], ['ActionID', 'lc']]);
  t.equal(r!.count, ACTIONS.length + 2, 'every registered action for admin');
  const want = httpBody('http_16b_rawman_listcommands.txt');
  const [plain] = await (async () => {
    const from = admin.messages.length;
    admin.write('Action: ListCommands\r\n\r\n');
    await admin.waitFor(() => admin.messages.length > from, 'ListCommands without ActionID');
    return admin.messages.slice(from);
  })();
  t.equal(Buffer.from(plain!.raw).toString('latin1'), want, 'byte-identical to Asterisk (http_16b)');
  const wall = await login('wallboard', 'wallpw', 'off');
  const [w] = await wall.action([['Action', 'ListCommands']]);
  const names = [...w!].map(([k]) => k).slice(2);
  t.ok(names.includes('QueueSummary') && names.includes('Status') && names.includes('CoreShowChannels'));
  t.notOk(names.includes('Originate') || names.includes('Command') || names.includes('DBPut'), 'only what wallboard may run');
  t.match(w!.get('Status')!, /\(Priv: system,call,reporting,all\)$/);
});

t.test('unknown action: exact text, RequestBadFormat to security readers', async (t) => {
  const watcher = await login();
  const c = await login('admin', 'admin', 'off');
  const [r] = await c.action([['Action', 'NoSuchAction'], ['ActionID', 'abc123']]);
  const want = 'Response: Error\r\nActionID: abc123\r\nMessage: Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.\r\n\r\n';
  t.equal(r!.raw.toString(), want);
  t.equal(want, httpBody('http_16a_rawman_actionid_and_unknown_action.txt'), 'as http_16a');
  const ev = await watcher.next((m) => m.event === 'RequestBadFormat', 'RequestBadFormat');
  t.equal(ev.get('RequestType'), 'Action: NoSuchAction');
  t.equal(ev.get('Privilege'), 'security,all');
  t.equal(ev.get('AccountID'), 'admin');
});

t.test('permissions: wallboard denied Originate/Command/DBPut; any-of classes', async (t) => {
  const wall = await login('wallboard', 'wallpw', 'off');
  for (const a of ['Originate', 'Command', 'DBPut', 'Setvar', 'UserEvent']) {
    const [r] = await wall.action([['Action', a], ['ActionID', a]]);
    t.equal(r!.raw.toString(), `Response: Error\r\nActionID: ${a}\r\nMessage: Permission denied\r\n\r\n`, a);
  }
  // Status needs system, call or reporting: reporting is enough.
  const st = await wall.action([['Action', 'Status']]);
  t.equal(st[0]!.response, 'Success');
  const [gv] = await wall.action([['Action', 'Getvar'], ['Variable', 'X']]);
  t.equal(gv!.response, 'Success', 'Getvar: call or reporting');
});

t.test('events: read classes need all bits; Events action masks', async (t) => {
  const admin = await login();
  const wall = await login('wallboard', 'wallpw');
  const quiet = await login('admin', 'admin', 'off');
  const a0 = admin.messages.length;
  const w0 = wall.messages.length;
  const q0 = quiet.messages.length;
  sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'u1']], 'user,all');
  sim.emitEvent([['Event', 'Newstate'], ['Channel', 'x']], 'call,all');
  sim.emitEvent([['Event', 'Mixed'], ['X', '1']], 'call,dialplan,all');
  await admin.waitFor(() => admin.messages.length >= a0 + 3, 'admin gets all three');
  const [p] = await wall.action([['Action', 'Ping']]);
  t.ok(p);
  t.same(wall.messages.slice(w0).filter((m) => m.event !== undefined).map((m) => m.event), ['Newstate'], 'wallboard: call only');
  t.equal(quiet.messages.length, q0 + 0, 'Events: off gets nothing');

  const [on] = await quiet.action([['Action', 'Events'], ['EventMask', 'user'], ['ActionID', 'e1']]);
  t.equal(on!.raw.toString(), 'Response: Success\r\nActionID: e1\r\nEvents: On\r\n\r\n');
  const q1 = quiet.messages.length;
  sim.emitEvent([['Event', 'Newstate'], ['Channel', 'y']], 'call,all');
  sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'u2']], 'user,all');
  await quiet.next((m) => m.event === 'UserEvent', 'user event', q1);
  t.same(quiet.events().slice(-1).map((m) => m.get('UserEvent')), ['u2']);
  t.notOk(quiet.messages.slice(q1).some((m) => m.event === 'Newstate'), 'call masked out');
  const [bad] = await quiet.action([['Action', 'Events'], ['EventMask', '']]);
  t.equal(bad!.get('Message'), 'Invalid event mask');
  const [off] = await quiet.action([['Action', 'Events'], ['EventMask', 'off']]);
  t.equal(off!.get('Events'), 'Off');
});

t.test('astdb: DBPut, DBGet, DBGetTree, DBDel', async (t) => {
  const c = await login('admin', 'admin', 'off');
  const [put] = await c.action([['Action', 'DBPut'], ['Family', 'fam'], ['Key', 'k1'], ['Val', 'v: 1'], ['ActionID', 'p']]);
  t.equal(put!.raw.toString(), 'Response: Success\r\nActionID: p\r\nMessage: Updated database successfully\r\n\r\n');
  const got = await c.action([['Action', 'DBGet'], ['Family', 'fam'], ['Key', 'k1'], ['ActionID', 'g']]);
  t.same(
    got.map((m) => m.raw.toString()),
    [
      'Response: Success\r\nActionID: g\r\nEventList: start\r\nMessage: Result will follow\r\n\r\n',
      'Event: DBGetResponse\r\nFamily: fam\r\nKey: k1\r\nVal: v: 1\r\nActionID: g\r\n\r\n',
      'Event: DBGetComplete\r\nActionID: g\r\nEventList: Complete\r\nListItems: 1\r\n\r\n',
    ],
  );
  const [miss] = await c.action([['Action', 'DBGet'], ['Family', 'fam'], ['Key', 'nope']]);
  t.equal(miss!.get('Message'), 'Database entry not found');
  const [nofam] = await c.action([['Action', 'DBGet'], ['Key', 'x']]);
  t.equal(nofam!.get('Message'), 'No family specified.');
  await c.action([['Action', 'DBPut'], ['Family', 'fam'], ['Key', 'k2'], ['Val', 'two']]);
  const tree = await c.action([['Action', 'DBGetTree'], ['Family', 'fam']]);
  t.same(tree.slice(1, -1).map((m) => [m.get('Key'), m.get('Val')]), [['/fam/k1', 'v: 1'], ['/fam/k2', 'two']]);
  t.equal(tree.at(-1)!.get('ListItems'), '2');
  const [del] = await c.action([['Action', 'DBDel'], ['Family', 'fam'], ['Key', 'k1']]);
  t.equal(del!.get('Message'), 'Key deleted successfully');
});

t.test('Getvar / Setvar, global and on a channel', async (t) => {
  const c = await login('admin', 'admin', 'off');
  const [set] = await c.action([['Action', 'Setvar'], ['Variable', 'G1'], ['Value', 'gv']]);
  t.equal(set!.get('Message'), 'Variable Set');
  const [get] = await c.action([['Action', 'Getvar'], ['Variable', 'G1'], ['ActionID', 'gv']]);
  t.equal(get!.raw.toString(), 'Response: Success\r\nActionID: gv\r\nVariable: G1\r\nValue: gv\r\n\r\n');
  const [nochan] = await c.action([['Action', 'Getvar'], ['Variable', 'G1'], ['Channel', 'Local/none-1;1']]);
  t.equal(nochan!.get('Message'), 'No such channel');
  const [novar] = await c.action([['Action', 'Getvar']]);
  t.equal(novar!.get('Message'), 'No variable specified');
  // A channel of a live call.
  const call = sim.originate({ channel: 'Local/100@test', variables: [['FOO', 'bar']] });
  const [foo] = await c.action([['Action', 'Getvar'], ['Channel', call.one.name], ['Variable', 'FOO']]);
  t.equal(foo!.get('Value'), 'bar');
  await c.action([['Action', 'Setvar'], ['Channel', call.two.name], ['Variable', 'X'], ['Value', 'y']]);
  t.equal(call.two.vars.get('X'), 'y');
  call.hangup(call.one, 16);
});

t.test('UserEvent: headers copied as received, ActionID included', async (t) => {
  const admin = await login();
  const c = await login('admin', 'admin', 'off');
  const from = admin.messages.length;
  const [r] = await c.action([['Action', 'UserEvent'], ['UserEvent', 'Wallboard'], ['Foo', 'a: b'], ['ActionID', 'ue']]);
  t.equal(r!.raw.toString(), 'Response: Success\r\nActionID: ue\r\nMessage: Event Sent\r\n\r\n');
  const ev = await admin.next((m) => m.event === 'UserEvent' && m.get('UserEvent') === 'Wallboard', 'UserEvent', from);
  t.equal(ev.raw.toString(), 'Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Wallboard\r\nFoo: a: b\r\nActionID: ue\r\n\r\n');
});

t.test('Hangup of a sim channel ends the call with Hangup and Cdr events', async (t) => {
  const long = new AmiSimulator({ callDurationMs: 60000 });
  const port = await long.listen();
  const c = await TestClient.login(port, 'admin', 'admin');
  t.teardown(async () => {
    c.close();
    await long.close();
  });
  const [q] = await c.action([['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '200'], ['Async', 'true']]);
  t.equal(q!.get('Message'), 'Originate successfully queued');
  await c.next((m) => m.event === 'Newexten' && m.get('Application') === 'Wait', 'call up');
  const st = await c.action([['Action', 'Status']]);
  t.equal(st.length, 4, 'two channels listed');
  const name = st[2]!.get('Channel')!;
  const from = c.messages.length;
  const [h] = await c.action([['Action', 'Hangup'], ['Channel', name]]);
  t.equal(h!.get('Message'), 'Channel Hungup');
  await c.next((m) => m.event === 'Cdr', 'Cdr', from);
  const names = c.messages.slice(from).map((m) => m.event).filter((e) => e !== undefined);
  t.same(names.slice(0, 7), ['SoftHangupRequest', 'HangupRequest', 'Hangup', 'SoftHangupRequest', 'Hangup', 'Cdr', 'Cdr']);
  t.equal(long.channels.size, 0);
  const [none] = await c.action([['Action', 'Hangup'], ['Channel', name]]);
  t.equal(none!.get('Message'), 'No such channel');
});

t.test('Originate without Async answers once the call is answered, no OriginateResponse', async (t) => {
  const c = await login();
  const from = c.messages.length;
  const [r] = await c.action([['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'Wait'], ['Data', '1'], ['ActionID', 'sync']]);
  t.equal(r!.raw.toString(), 'Response: Success\r\nActionID: sync\r\nMessage: Originate successfully queued\r\n\r\n');
  const seq = c.messages.slice(from).map((m) => m.event ?? m.response);
  t.ok(seq.indexOf('DialEnd') < seq.indexOf('Success'), 'reply after DialEnd');
  await c.next((m) => m.event === 'Cdr', 'call over', from);
  t.notOk(c.messages.slice(from).some((m) => m.event === 'OriginateResponse'), 'no OriginateResponse');
  // Failures: a technology the simulator has no channels for.
  const [f] = await c.action([['Action', 'Originate'], ['Channel', 'PJSIP/nobody'], ['Exten', '1']]);
  t.equal(f!.get('Message'), 'Originate failed');
  const [qa] = await c.action([['Action', 'Originate'], ['Channel', 'PJSIP/nobody'], ['Exten', '1'], ['Async', 'yes'], ['ActionID', 'fa']]);
  t.equal(qa!.get('Message'), 'Originate successfully queued');
  const ev = await c.next((m) => m.event === 'OriginateResponse' && m.actionId === 'fa', 'failure response');
  t.equal(ev.get('Response'), 'Failure');
  const [nochan] = await c.action([['Action', 'Originate']]);
  t.equal(nochan!.get('Message'), 'Channel not specified');
});

t.test('Command: 14+ Output lines, errors, blacklist, and the pre-14 Follows form', async (t) => {
  const c = await login('admin', 'admin', 'off');
  const [up] = await c.action([['Action', 'Command'], ['Command', 'core show uptime'], ['ActionID', 'c1']]);
  t.match(up!.raw.toString(), /^Response: Success\r\nActionID: c1\r\nMessage: Command output follows\r\nOutput: System uptime: \d+ seconds?\r\nOutput: Last reload: \d+ seconds?\r\n\r\n$/);
  const [bl] = await c.action([['Action', 'Command'], ['Command', 'module unload chan_pjsip.so']]);
  t.equal(bl!.get('Message'), 'Command blacklisted');
  const call = sim.originate({ channel: 'Local/100@test' });
  const [ch] = await c.action([['Action', 'Command'], ['Command', 'core show channels']]);
  const out = ch!.getAll('Output');
  t.match(out[0]!, /^Channel {57} Location {24} State {3}Application\(Data\) {13}$/);
  t.equal(out.at(-3), '2 active channels');
  t.equal(out.at(-2), '1 active call');
  call.hangup(call.one, 16);

  const old = new AmiSimulator({ followsCommand: true });
  const port = await old.listen();
  const o = await TestClient.login(port, 'admin', 'admin', 'off');
  t.teardown(async () => {
    o.close();
    await old.close();
  });
  const [f] = await o.action([['Action', 'Command'], ['Command', 'core show version'], ['ActionID', 'v']]);
  t.equal(f!.raw.toString(), 'Response: Follows\r\nPrivilege: Command\r\nActionID: v\r\nAsterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-26 10:07:57 UTC\n--END COMMAND--\r\n\r\n');
  t.equal(f!.body, 'Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-26 10:07:57 UTC\n', 'parser sees the body');
});

t.test('QueueStatus and QueueSummary as captured', async (t) => {
  const c = await login('admin', 'admin', 'off');
  const from = c.messages.length;
  c.write('Action: QueueStatus\r\n\r\n');
  await c.waitFor(() => c.messages.some((m, i) => i >= from && m.event === 'QueueStatusComplete'), 'QueueStatus');
  const got = c.messages.slice(from).map((m) => m.raw.toString()).join('').replace(/LoginTime: \d+/, 'LoginTime: N');
  t.equal(got, httpBody('http_16d_rawman_queuestatus.txt').replace(/LoginTime: \d+/, 'LoginTime: N'), 'as http_16d');
  const sum = await c.action([['Action', 'QueueSummary'], ['ActionID', 'W4']]);
  t.equal(sum.length, 3);
  t.equal(sum[1]!.get('Queue'), 'support');
});

t.test('call generator: cps and concurrency', async (t) => {
  const gen = new AmiSimulator({ callDurationMs: 200 });
  const port = await gen.listen();
  const c = await TestClient.login(port, 'admin', 'admin');
  t.teardown(async () => {
    c.close();
    await gen.close();
  });
  let max = 0;
  gen.on('action', () => {});
  gen.startCalls({ cps: 200, concurrency: 3 });
  const sample = setInterval(() => (max = Math.max(max, gen.activeCalls)), 5);
  await c.waitFor(() => c.events('Cdr').length >= 10, 'five calls done');
  clearInterval(sample);
  gen.stopCalls();
  t.ok(max <= 3, `at most 3 concurrent (saw ${max})`);
  const first = c.events('Newchannel')[0]!;
  t.match(first.get('Channel')!, /^Local\/1\d\d@test-[0-9a-f]{8};1$/);
  t.notOk(c.events('OriginateResponse').length, 'unsolicited calls have no OriginateResponse');
  await c.waitFor(() => gen.activeCalls === 0, 'calls finish after stop');
  t.equal(gen.channels.size, 0);
});

t.test('failed logins: MD5 with a wrong key, wrong secret; security events to readers', async (t) => {
  const fast = new AmiSimulator({ loginFailDelayMs: 10 });
  const port = await fast.listen();
  const watcher = await TestClient.login(port, 'admin', 'admin');
  t.teardown(async () => {
    watcher.close();
    await fast.close();
  });
  const md5 = await TestClient.open(port);
  const [ch] = await md5.action([['Action', 'Challenge'], ['AuthType', 'md5'], ['ActionID', 'c']]);
  t.match(ch!.get('Challenge')!, /^\d+$/);
  const [again] = await md5.action([['Action', 'Challenge'], ['AuthType', 'MD5']]);
  t.equal(again!.get('Challenge'), ch!.get('Challenge'), 'one challenge per session');
  const [bad] = await md5.action([['Action', 'Login'], ['AuthType', 'MD5'], ['Username', 'admin'], ['Key', '0'.repeat(32)], ['ActionID', 'k']]);
  t.equal(bad!.raw.toString(), 'Response: Error\r\nActionID: k\r\nMessage: Authentication failed\r\n\r\n');
  await md5.whenClosed();
  const plain = await TestClient.open(port);
  const [pw] = await plain.action([['Action', 'Login'], ['Username', 'admin'], ['Secret', 'nope']]);
  t.equal(pw!.get('Message'), 'Authentication failed');
  await plain.whenClosed();
  await watcher.next((m) => m.event === 'InvalidPassword', 'InvalidPassword');
  t.ok(watcher.events('ChallengeResponseFailed').length === 1);
  const noType = await TestClient.open(port);
  const [nt] = await noType.action([['Action', 'Challenge']]);
  t.equal(nt!.get('Message'), 'Must specify AuthType');
  noType.close();
  // Denied actions of a logged-in user are reported too.
  const wall = await TestClient.login(port, 'wallboard', 'wallpw', 'off');
  await wall.action([['Action', 'Originate'], ['Channel', 'Local/1@test']]);
  const ev = await watcher.next((m) => m.event === 'RequestNotAllowed', 'RequestNotAllowed');
  t.equal(ev.get('AccountID'), 'wallboard');
  t.equal(ev.get('RequestType'), 'Originate');
  wall.close();
});
