import t from 'tap';
import { AmiMessage } from '../../lib/ami/message.ts';
import { ActionRequest, badParameter } from '../../lib/session/request.ts';
import { rig } from '../helpers/session.ts';

t.test('ActionRequest: first non-empty Action, first ActionID, case-insensitive lookups', async (t) => {
  const r = new ActionRequest([['action', ''], ['ACTIONID', 'a1'], ['Action', 'Ping'], ['ActionID', 'a2'], ['Action', 'Status']]);
  t.equal(r.action, 'Ping');
  t.equal(r.actionId, 'a1');
  t.equal(r.get('actionid'), 'a1');
  t.equal(r.get('missing'), '');
  t.ok(r.has('ACTION'));
  t.equal(new ActionRequest([]).action, '');
  t.equal(badParameter([['a', 'b'], ['c', 'd\re']]), 1);
  t.equal(badParameter([['a\n', 'b']]), 0);
  t.equal(badParameter([['a', 'b\0']]), 0);
  t.equal(badParameter([['a', 'b']]), -1);
});

t.test('missing action', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  t.equal((await r.request(undefined, [])).text, 'Response: Error\r\nMessage: Missing action in request\r\n\r\n');
  const sid = await r.login();
  const res = await r.request(sid, [['Action', ''], ['ActionID', '7']]);
  t.equal(res.text, 'Response: Error\r\nActionID: 7\r\nMessage: Missing action in request\r\n\r\n');
  t.equal(r.pool.sent.length, 0);
});

t.test('unauthenticated: only Login, Logoff, Challenge; the rest is Permission denied', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const res = await r.request(undefined, [['Action', 'Ping']]);
  t.equal(res.text, 'Response: Error\r\nMessage: Permission denied\r\n\r\n', 'capture http_11a / examples/denied.rawman');
  t.notOk(res.session.authenticated);
  t.notOk(r.store.find(res.session.id), 'nothing is kept for a request without a session (issue 7 §2)');
  t.equal(r.store.size, 0);
  for (const action of ['Status', 'WaitEvent', 'Events', 'Filter', 'Originate', 'NoSuchThing']) {
    const d = await r.request(undefined, [['Action', action], ['ActionID', 'pre']]);
    t.equal(d.text, 'Response: Error\r\nActionID: pre\r\nMessage: Permission denied\r\n\r\n', action);
  }
  const bogus = await r.request('f'.repeat(32), [['action', 'ping']]);
  t.equal(bogus.text, 'Response: Error\r\nMessage: Permission denied\r\n\r\n', 'capture http_11c');
  t.equal(r.pool.sent.length, 0);
  t.equal(r.store.size, 0, 'still nothing kept');
  const ch = await r.request(undefined, [['Action', 'Challenge'], ['AuthType', 'MD5']]);
  t.ok(r.store.find(ch.session.id), 'Challenge keeps its session (the challenge must survive)');
});

t.test('authenticated actions go through the pool with the caller params, replies in order', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  const ping = await r.request(sid, [['Action', 'Ping'], ['ActionID', '1']]);
  t.equal(ping.text, 'Response: Success\r\nActionID: 1\r\nPing: Pong\r\nTimestamp: 1.000000\r\n\r\n');
  t.same(r.pool.sent[0], [['Action', 'Ping'], ['ActionID', '1']]);
  await r.request(sid, [['action', '\t Ping'], ['actionid', ' 7']]);
  t.same(r.pool.sent[1], [['Action', 'Ping'], ['ActionID', '7']], 'leading blanks skipped, as Asterisk reads them');
  r.pool.sent.splice(1, 1);
  const status = await r.request(sid, [['action', 'status'], ['actionid', '42']]);
  t.equal(
    status.text,
    'Response: Success\r\nActionID: 42\r\nEventList: start\r\nMessage: Channel status will follow\r\n\r\n' +
      'Event: StatusComplete\r\nActionID: 42\r\nEventList: Complete\r\nListItems: 0\r\nItems: 0\r\n\r\n',
  );
  const dup = await r.request(sid, [['Action', 'Originate'], ['Variable', 'a=1'], ['Variable', 'b=2']]);
  t.match(dup.text, /did Originate/);
  t.same(r.pool.sent[2], [['Action', 'Originate'], ['Variable', 'a=1'], ['Variable', 'b=2']], 'duplicates and order kept');
  await r.request(sid, [['Action', ''], ['ActionID', 'e'], ['action', 'Ping'], ['Action', 'Status']]);
  t.same(r.pool.sent[3], [['Action', 'Ping'], ['ActionID', 'e']], 'exactly one Action line, the normalized one; other Action lines dropped');
  const before = r.pool.sent.length;
  const unknown = await r.request(sid, [['Action', 'NoSuchAction'], ['ActionID', 'u']]);
  t.equal(
    unknown.text,
    'Response: Error\r\nActionID: u\r\nMessage: Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.\r\n\r\n',
    'unknown actions: answered here with Asterisk\'s text (http_16a), even for write = all',
  );
  t.equal(r.pool.sent.length, before, 'and never forwarded');
});

t.test('write classes, any-of, denied exactly like Asterisk (captures http_15b/c)', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const wb = await r.login('wallboard', 'wb');
  const sent = r.pool.sent.length;
  for (const action of ['Originate', 'Command', 'Hangup', 'Redirect', 'ModuleLoad']) {
    const d = await r.request(wb, [['Action', action]]);
    t.equal(d.text, 'Response: Error\r\nMessage: Permission denied\r\n\r\n', action);
  }
  const withId = await r.request(wb, [['Action', 'Originate'], ['ActionID', 'o1']]);
  t.equal(withId.text, 'Response: Error\r\nActionID: o1\r\nMessage: Permission denied\r\n\r\n');
  t.equal(r.pool.sent.length, sent, 'nothing forwarded');
  // Status needs system, call or reporting: reporting is enough. QueueStatus / Ping need nothing.
  for (const action of ['Status', 'QueueStatus', 'Ping', 'CoreShowChannels']) {
    const ok = await r.request(wb, [['Action', action]]);
    t.match(ok.text, /^Response: Success/, action);
  }
  t.equal(r.pool.sent.length, sent + 4);
});

t.test('argument checks of Asterisk are made for the HTTP user', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  r.users.set('orig', {
    ...r.users.get('wallboard')!,
    name: 'orig',
    secret: 'o',
    write: 4096 | 2, // originate, call
    allows: () => true,
  });
  const sid = await r.login('orig', 'o');
  const res = await r.request(sid, [['Action', 'Originate'], ['Application', 'System'], ['Data', 'rm -rf /']]);
  t.equal(res.text, 'Response: Error\r\nMessage: Originate Access Forbidden: app or data blacklisted\r\n\r\n');
  t.equal(r.pool.sent.length, 0);
  await r.request(sid, [['Action', 'Originate'], ['Application', 'Playback'], ['Data', 'hello']]);
  t.equal(r.pool.sent.length, 1);
});

t.test("the user's setvar lines are added to Originate", async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  r.users.set('sv', { ...r.users.get('admin')!, name: 'sv', secret: 's', setvar: [['FOO', 'bar']] });
  const sid = await r.login('sv', 's');
  await r.request(sid, [['Action', 'Originate'], ['Channel', 'Local/1@x']]);
  t.same(r.pool.sent[0], [['Action', 'Originate'], ['Channel', 'Local/1@x'], ['Variable', 'FOO=bar']]);
  await r.request(sid, [['Action', 'Ping']]);
  t.same(r.pool.sent[1], [['Action', 'Ping']], 'only Originate');
});

t.test('CR, LF or NUL in any parameter: error, nothing forwarded', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  const inj = await r.request(sid, [['Action', 'Ping'], ['ActionID', 'x'], ['Channel', 'a\r\nAction: Originate']]);
  t.equal(inj.text, 'Response: Error\r\nActionID: x\r\nMessage: Invalid character in parameter Channel\r\n\r\n');
  const inName = await r.request(sid, [['Action', 'Ping'], ['Bad\r\nName', 'v']]);
  t.equal(inName.text, 'Response: Error\r\nMessage: Invalid character in parameter Bad\\r\\nName\r\n\r\n', 'shown escaped');
  const inId = await r.request(sid, [['Action', 'Ping'], ['ActionID', 'a\nb']]);
  t.equal(inId.text, 'Response: Error\r\nMessage: Invalid character in parameter ActionID\r\n\r\n', 'a dirty ActionID is not echoed');
  const nul = await r.request(sid, [['Action', 'Ping\0']]);
  t.match(nul.text, /Invalid character in parameter Action\r\n/);
  const login = await r.request(undefined, [['Action', 'Login'], ['Username', 'admin'], ['Secret', 'admin\r\n']]);
  t.match(login.text, /Invalid character in parameter Secret/, 'checked before local actions too');
  t.notOk(login.session.authenticated);
  t.equal(r.pool.sent.length, 0);
});

t.test('several requests on one session run at once', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  const pending: Array<(m: AmiMessage[]) => void> = [];
  r.pool.send = (pairs) => {
    r.pool.sent.push(pairs);
    const id = pairs.find(([k]) => k === 'ActionID')![1];
    return new Promise((resolve) => pending.push(() => resolve([AmiMessage.from([['Response', 'Success'], ['ActionID', id]])])));
  };
  const replies = [1, 2, 3].map((i) => r.request(sid, [['Action', 'Ping'], ['ActionID', `c${i}`]]));
  while (pending.length < 3) await new Promise((res) => setImmediate(res));
  t.equal(r.store.find(sid)!.inFlight, 3);
  // Answer out of order.
  pending[2]!([]);
  pending[0]!([]);
  pending[1]!([]);
  const texts = (await Promise.all(replies)).map((x) => x.text);
  t.same(texts, [1, 2, 3].map((i) => `Response: Success\r\nActionID: c${i}\r\n\r\n`));
  t.equal(r.store.find(sid)!.inFlight, 0);
});

t.test('a throwing pool still gives a clean AMI error', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  r.pool.send = () => Promise.reject(new Error('boom\r\nx'));
  const res = await r.request(sid, [['Action', 'Ping'], ['ActionID', 'e']]);
  t.equal(res.text, 'Response: Error\r\nActionID: e\r\nMessage: Internal error: boom\\r\\nx\r\n\r\n');
});
