// The proxy's own AMI account ([asterisk] username: read/write all on Asterisk) is never an HTTP
// login, even when the users file holds it (a users file that is Asterisk's manager.conf does):
// cookie Login, MD5 Login, Digest and Basic all refuse it, nothing reaches the simulator for it, and
// the start-up log says so. Also the users file's [general]: httptimeout and its precedence.
import t from 'tap';
import { createHash } from 'node:crypto';
import { RawClient, header } from '../helpers/http.ts';
import { AjamClient, USERS, startTestApp } from '../helpers/app.ts';
import { captureLogs } from '../helpers/log.ts';
import { digestResponse } from '../../lib/http/digest.ts';

// startTestApp logs in to the simulator as proxy / proxypw.
const WITH_PROXY = `${USERS}
[proxy]
secret = proxypw
read = all
write = all
`;

function actionsReceived(ta: Awaited<ReturnType<typeof startTestApp>>, action: string): number {
  return ta.app.sim!.received.filter((m) => m.get('Action')?.toLowerCase() === action.toLowerCase()).length;
}

t.test('every way of logging in refuses the AMI account; the simulator gets nothing for it', async (t) => {
  let ta!: Awaited<ReturnType<typeof startTestApp>>;
  const logs = await captureLogs('warn', async () => {
    ta = await startTestApp({ users: WITH_PROXY, general: 'allowbasic = yes\nauthlimit = 1000' });
  });
  t.teardown(() => ta.close());
  const warned = logs.find((r) => r.msg.includes("proxy's own AMI account"));
  t.ok(warned !== undefined, 'start-up warns that the users file holds it');
  t.equal(warned?.user, 'proxy');

  const commandsBefore = actionsReceived(ta, 'Command');

  // Cookie Login (plain), then an action with that cookie.
  const c = new AjamClient(ta.base);
  const login = await c.login('proxy', 'proxypw');
  t.match(login.body, 'Message: Authentication failed');
  const cmd = await c.get('/rawman?action=command&command=core%20show%20version');
  t.match(cmd.body, 'Message: Permission denied');
  // Any capitalisation is the same user.
  t.match((await new AjamClient(ta.base).login('PROXY', 'proxypw')).body, 'Message: Authentication failed');

  // MD5: Challenge, then Login with the right key.
  const m = new AjamClient(ta.base);
  const ch = await m.get('/rawman?action=challenge&authtype=md5&username=proxy');
  const challenge = /Challenge: (\d+)/.exec(ch.body)?.[1] ?? '';
  const key = createHash('md5').update(challenge + 'proxypw').digest('hex');
  t.match((await m.get(`/rawman?action=login&authtype=md5&username=proxy&key=${key}`)).body, 'Message: Authentication failed');

  // Digest with the right secret.
  const raw = new RawClient(ta.port);
  t.teardown(() => raw.close());
  const first = await raw.request('GET /arawman?action=command&command=core%20show%20version HTTP/1.1\r\nHost: x\r\n\r\n');
  t.equal(first.status, 401);
  const nonce = /nonce="([0-9a-f]+)"/.exec(header(first, 'WWW-authenticate') ?? '')?.[1] ?? '';
  const uri = '/arawman?action=command&command=core%20show%20version';
  const a = { username: 'proxy', realm: 'asterisk', nonce, uri, response: '', qop: 'auth', nc: '00000001', cnonce: 'c1' };
  const auth = `Digest username="proxy", realm="asterisk", nonce="${nonce}", uri="${uri}", algorithm=MD5, response="${digestResponse(a, 'proxypw', 'GET')}", opaque="${nonce}", qop=auth, nc=00000001, cnonce="c1"`;
  const digest = await raw.request(`GET ${uri} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`);
  t.equal(digest.status, 401, 'digest with the right secret: 401');

  // Basic (allowed for other users here).
  const basic = await fetch(`${ta.base}${uri}`, { headers: { authorization: `Basic ${Buffer.from('proxy:proxypw').toString('base64')}` } });
  t.not(basic.status, 200, 'Basic with the right secret is refused');
  const adminBasic = await fetch(`${ta.base}/rawman?action=ping`, { headers: { authorization: `Basic ${Buffer.from('admin:adminpw').toString('base64')}` } });
  t.match(await adminBasic.text(), 'Ping: Pong', 'Basic works for an HTTP user (the refusal is about the account)');

  t.equal(actionsReceived(ta, 'Command'), commandsBefore, 'the simulator received no Command');
  // The other users are untouched.
  t.match((await new AjamClient(ta.base).login('admin', 'adminpw')).body, 'Message: Authentication accepted');
});

t.test('a users file whose only user is the AMI account stops the start', async (t) => {
  await t.rejects(startTestApp({ users: '[proxy]\nsecret = proxypw\nread = all\nwrite = all\n' }), /its only user is \[proxy\], the proxy's own AMI account/);
});

t.test("httptimeout: the users file's [general] applies unless ajam-proxy.conf sets its own", async (t) => {
  const fromUsers = await startTestApp({ users: USERS.replace('[general]\n', '[general]\nhttptimeout = 600\nport = 5038\nenabled = yes\n') });
  t.teardown(() => fromUsers.close());
  t.equal(fromUsers.app.config.general.httptimeout, 600);
  const c = new AjamClient(fromUsers.base);
  t.match((await c.login()).headers.get('set-cookie') ?? '', /Max-Age=600/, 'cookie lives as long as manager.conf says');

  let both!: Awaited<ReturnType<typeof startTestApp>>;
  const logs = await captureLogs('warn', async () => {
    both = await startTestApp({ general: 'httptimeout = 30', users: USERS.replace('[general]\n', '[general]\nhttptimeout = 600\n') });
  });
  t.teardown(() => both.close());
  t.equal(both.app.config.general.httptimeout, 30, 'ajam-proxy.conf wins');
  t.match((await new AjamClient(both.base).login()).headers.get('set-cookie') ?? '', /Max-Age=30/);
  t.ok(
    logs.some((r) => r.msg.startsWith('httptimeout: ajam-proxy.conf sets its own')),
    'the overridden value is named in the log',
  );

  const plain = await startTestApp();
  t.teardown(() => plain.close());
  t.equal(plain.app.config.general.httptimeout, 60, 'neither: 60');
});

t.test("the users file's other [general] keys are listed as ignored at start", async (t) => {
  let ta!: Awaited<ReturnType<typeof startTestApp>>;
  const logs = await captureLogs('info', async () => {
    ta = await startTestApp({ users: USERS.replace('[general]\n', '[general]\nenabled = yes\nport = 5038\nbindaddr = 0.0.0.0\n') });
  });
  t.teardown(() => ta.close());
  const r = logs.find((l) => l.msg.includes('ignored by the proxy'));
  t.equal(r?.keys, 'enabled,port,bindaddr');
});

t.test('displayconnects: a user (or [general]) with no keeps its logins out of the log', async (t) => {
  const users = USERS.replace('[wallboard]\n', '[wallboard]\ndisplayconnects = no\n');
  let ta!: Awaited<ReturnType<typeof startTestApp>>;
  const logs = await captureLogs('info', async () => {
    ta = await startTestApp({ users });
    await new AjamClient(ta.base).login('admin', 'adminpw');
    await new AjamClient(ta.base).login('wallboard', 'wallpw');
  });
  t.teardown(() => ta.close());
  const logins = logs.filter((r) => r.msg === 'login').map((r) => r.user);
  t.same(logins, ['admin'], 'admin logged (Asterisk default yes), wallboard not');

  let quiet!: Awaited<ReturnType<typeof startTestApp>>;
  const none = await captureLogs('info', async () => {
    quiet = await startTestApp({ users: USERS.replace('[general]\n', '[general]\ndisplayconnects = no\n') });
    await new AjamClient(quiet.base).login('admin', 'adminpw');
  });
  t.teardown(() => quiet.close());
  t.same(none.filter((r) => r.msg === 'login'), [], "[general] displayconnects = no: nobody's logins");
});
