import t from 'tap';
import { md5Key } from '../../lib/auth/md5.ts';
import { rig } from '../helpers/session.ts';

const FULLY_BOOTED = 'Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 3600\r\nLastReload: 3600\r\nStatus: Fully Booted\r\n\r\n';

t.test('Login: plain secret, user lookup case-insensitive, FullyBooted for system read', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const res = await r.request(undefined, [['Action', 'Login'], ['Username', 'ADMIN'], ['Secret', 'admin']]);
  t.equal(res.text, 'Response: Success\r\nMessage: Authentication accepted\r\n\r\n' + FULLY_BOOTED, 'examples/login.rawman');
  t.ok(res.session.authenticated);
  t.equal(res.session.user!.name, 'admin');
  t.ok(res.session.cursor, 'cursor set at login');
  t.equal(res.session.eventMask, 0x7fffffff);

  const again = await r.request(res.session.id, [['Action', 'Login'], ['ActionID', 'x'], ['Username', 'admin'], ['Secret', 'nope']]);
  t.equal(again.text, 'Response: Success\r\nActionID: x\r\nMessage: Already authenticated\r\n\r\n');
  t.ok(again.session.authenticated);
});

t.test('Login without system read: no FullyBooted (capture http_15a); Events param masks', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const wb = await r.request(undefined, [['Action', 'Login'], ['Username', 'wallboard'], ['Secret', 'wb']]);
  t.equal(wb.text, 'Response: Success\r\nMessage: Authentication accepted\r\n\r\n');
  const off = await r.request(undefined, [['Action', 'Login'], ['ActionID', 'l1'], ['Username', 'admin'], ['Secret', 'admin'], ['Events', 'off']]);
  t.equal(off.text, 'Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n', 'Events: off → no FullyBooted');
  t.equal(off.session.eventMask, 0);
  const call = await r.request(undefined, [['Action', 'Login'], ['Username', 'wallboard'], ['Secret', 'wb'], ['Events', 'call,system']]);
  t.equal(call.session.eventMask, 2, 'readperm & mask');
});

t.test('failed logins: 1 s style delay, Authentication failed, session destroyed', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const cases: [string, [string, string][]][] = [
    ['wrong secret', [['Username', 'admin'], ['Secret', 'WRONG']]],
    ['unknown user', [['Username', 'ghost'], ['Secret', 'x']]],
    ['no username', [['Secret', 'admin']]],
    ['user without a secret', [['Username', 'nosecret'], ['Secret', '']]],
    ['secret is case-sensitive', [['Username', 'admin'], ['Secret', 'ADMIN']]],
    ['MD5 without a challenge', [['Username', 'admin'], ['AuthType', 'MD5'], ['Key', md5Key('', 'admin')]]],
  ];
  for (const [name, params] of cases) {
    const res = await r.request(undefined, [['Action', 'Login'], ['ActionID', 'bad1'], ...params]);
    t.equal(res.text, 'Response: Error\r\nActionID: bad1\r\nMessage: Authentication failed\r\n\r\n', name);
    t.ok(res.destroyed && res.session.destroyed, `${name}: destroyed`);
    t.equal(r.store.find(res.session.id), undefined);
  }
  const noId = await r.request(undefined, [['Action', 'Login'], ['Username', 'admin'], ['Secret', 'x']]);
  t.equal(noId.text, 'Response: Error\r\nMessage: Authentication failed\r\n\r\n', 'capture http_12a');
});

t.test('a failed login does not block the event loop', async (t) => {
  const r = rig({ failDelayMs: 200 });
  t.teardown(() => r.close());
  const slow = r.request(undefined, [['Action', 'Login'], ['Username', 'admin'], ['Secret', 'x']]);
  let order = '';
  const fast = r.login().then(() => (order += 'ok,'));
  await slow.then(() => (order += 'failed,'));
  await fast;
  t.equal(order, 'ok,failed,', 'a good login answers while the failed one waits');
});

t.test('ACL checked at login against the client address', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const bad = await r.request(undefined, [['Action', 'Login'], ['Username', 'remote'], ['Secret', 'r']], '10.0.0.9');
  t.match(bad.text, /Authentication failed/);
  const good = await r.request(undefined, [['Action', 'Login'], ['Username', 'remote'], ['Secret', 'r']], '10.0.0.8');
  t.match(good.text, /Authentication accepted/);
});

t.test('Challenge + MD5 Login', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const bad = await r.request(undefined, [['Action', 'Challenge'], ['ActionID', 'c0']]);
  t.equal(bad.text, 'Response: Error\r\nActionID: c0\r\nMessage: Must specify AuthType\r\n\r\n');
  const ch = await r.request(undefined, [['Action', 'Challenge'], ['ActionID', 'ch1'], ['AuthType', 'md5']]);
  const m = /^Response: Success\r\nActionID: ch1\r\nChallenge: (\d{1,9})\r\n\r\n$/.exec(ch.text);
  t.ok(m, 'tcp_09 layout, at most 9 digits');
  const sid = ch.session.id;
  const again = await r.request(sid, [['Action', 'Challenge'], ['AuthType', 'MD5']]);
  t.equal(again.text, `Response: Success\r\nChallenge: ${m![1]}\r\n\r\n`, 'same challenge until used');
  const wrong = await r.request(sid, [['Action', 'Login'], ['AuthType', 'MD5'], ['Username', 'admin'], ['Key', md5Key(m![1]!, 'other')]]);
  t.match(wrong.text, /Authentication failed/);
  t.ok(wrong.destroyed);

  const ch2 = await r.request(undefined, [['Action', 'Challenge'], ['AuthType', 'MD5']]);
  const c2 = /Challenge: (\d+)/.exec(ch2.text)![1]!;
  const ok = await r.request(ch2.session.id, [
    ['Action', 'Login'], ['ActionID', 'ch2'], ['AuthType', 'MD5'], ['Username', 'admin'], ['Key', md5Key(c2, 'admin')], ['Events', 'off'],
  ]);
  t.equal(ok.text, 'Response: Success\r\nActionID: ch2\r\nMessage: Authentication accepted\r\n\r\n');
  t.equal(ok.session, ch2.session, 'same cookie session');
  t.equal(ok.session.challenge, '', 'challenge used up');
});

t.test('allowmultiplelogin = no: Login Already In Use, for Login and Challenge', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const first = await r.login('single', 'one');
  const second = await r.request(undefined, [['Action', 'Login'], ['ActionID', 'm'], ['Username', 'single'], ['Secret', 'one']]);
  t.equal(second.text, 'Response: Error\r\nActionID: m\r\nMessage: Login Already In Use\r\n\r\n');
  t.ok(second.destroyed);
  const ch = await r.request(undefined, [['Action', 'Challenge'], ['AuthType', 'MD5'], ['Username', 'Single']]);
  t.equal(ch.text, 'Response: Error\r\nMessage: Login Already In Use\r\n\r\n');
  t.ok(r.store.find(first)!.authenticated, 'the first session is untouched');
  // Users allowing several logins are not limited.
  await r.login();
  await r.login();
  // Once the first session is gone the user may log in again.
  await r.request(first, [['Action', 'Logoff']]);
  await r.login('single', 'one');
});

t.test('Logoff: Goodbye, ends this session only; works unauthenticated', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const a = await r.login();
  const b = await r.login();
  const res = await r.request(a, [['Action', 'Logoff'], ['ActionID', 'lo']]);
  t.equal(res.text, 'Response: Goodbye\r\nActionID: lo\r\nMessage: Thanks for all the fish.\r\n\r\n');
  t.ok(res.destroyed);
  t.equal(r.store.find(a), undefined);
  t.ok(r.store.find(b), 'other session alive');
  const after = await r.request(a, [['Action', 'Ping']]);
  t.equal(after.text, 'Response: Error\r\nMessage: Permission denied\r\n\r\n', 'capture http_22');
  t.not(after.session.id, a, 'a new session');
  const unauth = await r.request(undefined, [['Action', 'Logoff']]);
  t.equal(unauth.text, 'Response: Goodbye\r\nMessage: Thanks for all the fish.\r\n\r\n', 'capture http_21 / tcp_04');
  t.equal(r.pool.sent.length, 0, 'none of it forwarded');
});

t.test('Events: this session only, On/Off/Invalid', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const a = await r.login('wallboard', 'wb');
  const b = await r.login('wallboard', 'wb');
  const off = await r.request(a, [['Action', 'Events'], ['ActionID', 'ev1'], ['EventMask', 'off']]);
  t.equal(off.text, 'Response: Success\r\nActionID: ev1\r\nEvents: Off\r\n\r\n', 'tcp_09');
  t.equal(off.session.eventMask, 0);
  t.equal(r.store.find(b)!.eventMask, 2 | 32 | 512, 'other session unchanged');
  const on = await r.request(a, [['Action', 'Events'], ['EventMask', 'call,system']]);
  t.equal(on.text, 'Response: Success\r\nEvents: On\r\n\r\n');
  t.equal(on.session.eventMask, 2, 'readperm & mask');
  const sys = await r.request(a, [['Action', 'Events'], ['EventMask', 'system']]);
  t.equal(sys.text, 'Response: Success\r\nEvents: On\r\n\r\n', 'On follows the mask asked for, as Asterisk');
  t.equal(sys.session.eventMask, 0);
  const all = await r.request(a, [['Action', 'Events'], ['EventMask', 'on']]);
  t.equal(all.session.eventMask, 2 | 32 | 512);
  const num = await r.request(a, [['Action', 'Events'], ['EventMask', '2']]);
  t.equal(num.session.eventMask, 2);
  const bad = await r.request(a, [['Action', 'Events']]);
  t.equal(bad.text, 'Response: Error\r\nMessage: Invalid event mask\r\n\r\n');
  t.equal(r.pool.sent.length, 0, 'never forwarded');
});

t.test('Filter: needs system write; Add only; rules are per session', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const wb = await r.login('wallboard', 'wb');
  const denied = await r.request(wb, [['Action', 'Filter'], ['ActionID', 'f'], ['Operation', 'Add'], ['Filter', 'Event: Hangup']]);
  t.equal(denied.text, 'Response: Error\r\nActionID: f\r\nMessage: Permission denied\r\n\r\n');
  const a = await r.login();
  const b = await r.login();
  const unknown = await r.request(a, [['Action', 'Filter'], ['Operation', 'Remove'], ['Filter', 'x']]);
  t.equal(unknown.text, 'Response: Error\r\nMessage: Unknown operation\r\n\r\n');
  const broken = await r.request(a, [['Action', 'Filter'], ['Operation', 'Add'], ['Filter', '(']]);
  t.equal(broken.text, 'Response: Error\r\nMessage: Filter did not compile.  Check the syntax of the filter given.\r\n\r\n');
  const ok = await r.request(a, [['Action', 'Filter'], ['ActionID', 'f2'], ['Operation', 'Add'], ['Filter', 'Event: Hangup']]);
  t.equal(ok.text, 'Response: Success\r\nActionID: f2\r\nMessage: Success\r\n\r\n');
  t.equal(ok.session.filters.length, 1);
  t.equal(r.store.find(b)!.filters.length, 0, 'other session unchanged');
  t.equal(r.users.get('admin')!.eventFilters.length, 0, 'the user is unchanged');
  t.equal(r.pool.sent.length, 0);
});
