// Cookie sessions through the whole stack (spec §2): cookie forms, unknown cookies, login/logoff,
// failed logins, allowmultiplelogin, ACL, MD5 challenge, one session shared by the three formats.
import t from 'tap';
import { createHash } from 'node:crypto';
import { get, header, rawRequest } from '../helpers/http.ts';
import type { RawResponse } from '../helpers/http.ts';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp();
});
t.teardown(() => ta.close());

function idOf(r: RawResponse): string {
  return /mansession_id="([0-9a-f]{32})"/.exec(header(r, 'Set-Cookie')!)![1]!;
}

async function ping(cookieLines: string): Promise<RawResponse> {
  return rawRequest(ta.port, get('/rawman?action=Ping&ActionID=k', cookieLines));
}

const PONG = /^Response: Success\r\nActionID: k\r\nPing: Pong\r\n/;
const DENIED = 'Response: Error\r\nActionID: k\r\nMessage: Permission denied\r\n\r\n';

t.test('cookie forms', async (t) => {
  const login = await rawRequest(ta.port, get('/rawman?action=login&username=admin&secret=adminpw'));
  t.match(login.body.toString(), /^Response: Success\r\nMessage: Authentication accepted\r\n\r\n/);
  const id = idOf(login);
  t.match(id, /^[0-9a-f]{32}$/, '128-bit hex id');

  const ok = async (lines: string, why: string): Promise<void> => {
    const r = await ping(lines);
    t.match(r.body.toString(), PONG, why);
    t.equal(idOf(r), id, `${why}: same session in Set-Cookie`);
  };
  await ok(`Cookie: mansession_id="${id}"\r\n`, 'quoted');
  await ok(`Cookie: mansession_id=${id}\r\n`, 'unquoted');
  await ok(`Cookie: theme=dark; Mansession_ID="${id.toUpperCase()}"; lang=en\r\n`, 'any case, among others');
  await ok(`Cookie: mansession_id="00000000000000000000000000000000"; mansession_id=${id}\r\n`, 'last one in the header wins');
  await ok(`Cookie: mansession_id=${'f'.repeat(32)}\r\nCookie: mansession_id="${id}"\r\n`, 'last Cookie header wins');

  const lost = await ping(`Cookie: mansession_id="${id}"; mansession_id="${'0'.repeat(32)}"\r\n`);
  t.equal(lost.body.toString(), DENIED, 'a later unknown id wins too');
  t.not(idOf(lost), id);
});

t.test('unknown or missing cookie: Permission denied and a fresh session', async (t) => {
  const ids = new Set<string>();
  for (const lines of ['', 'Cookie: mansession_id="deadbeef"\r\n', `Cookie: mansession_id=${'a'.repeat(32)}\r\n`, 'Cookie: other=1\r\n']) {
    const r = await ping(lines);
    t.equal(r.status, 200);
    t.equal(r.body.toString(), DENIED, JSON.stringify(lines));
    const id = idOf(r);
    t.not(id, 'a'.repeat(32), 'never adopts a client-chosen id');
    ids.add(id);
  }
  t.equal(ids.size, 4, 'each gets its own fresh id');
  // Nothing was kept for the denied request (issue 7 §2): its id names nothing; a Login with it
  // gets a fresh session, whose cookie then works.
  const r = await ping('');
  const id = idOf(r);
  const login = await rawRequest(ta.port, get('/rawman?action=login&username=admin&secret=adminpw', `Cookie: mansession_id="${id}"\r\n`));
  t.not(idOf(login), id, 'the denied request\'s id was never stored');
  t.match((await ping(`Cookie: mansession_id="${idOf(login)}"\r\n`)).body.toString(), PONG);
});

t.test('Login, Challenge and Logoff are the only actions before login', async (t) => {
  const c = new AjamClient(ta.base);
  t.equal((await c.get('/rawman?action=Status')).body, 'Response: Error\r\nMessage: Permission denied\r\n\r\n');
  t.equal((await c.get('/rawman?action=WaitEvent&Timeout=0')).body, 'Response: Error\r\nMessage: Permission denied\r\n\r\n');
  t.equal((await c.get('/rawman?action=Challenge&AuthType=md5')).status, 200);
  t.match((await c.get('/rawman?action=Logoff')).body, /^Response: Goodbye\r\nMessage: Thanks for all the fish\.\r\n/);
});

t.test('one session across /rawman, /mxml and /manager', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login();
  const id = c.cookie;
  t.match((await c.get('/mxml?action=Ping')).body, "<generic response='Success' ping='Pong'");
  t.match((await c.get('/manager?action=Ping')).body, '<tr><td>Ping</td><td>Pong</td></tr>');
  t.equal(c.cookie, id);
});

t.test('failed login: error, and that session is gone', async (t) => {
  const c = new AjamClient(ta.base);
  await c.get('/rawman?action=Ping');
  const first = c.cookie;
  const bad = await c.get('/rawman?action=Login&Username=admin&Secret=nope&ActionID=b');
  t.equal(bad.body, 'Response: Error\r\nActionID: b\r\nMessage: Authentication failed\r\n\r\n');
  t.not(c.cookie, first, 'the Ping stored nothing: the Login got its own (now dead) id');
  const dead = c.cookie;
  const after = await c.get('/rawman?action=Ping');
  t.not(c.cookie, dead, 'the next request gets a new session');
  t.equal(after.body, 'Response: Error\r\nMessage: Permission denied\r\n\r\n');
  const unknown = await new AjamClient(ta.base).get('/rawman?action=Login&Username=nobody&Secret=x');
  t.equal(unknown.body, 'Response: Error\r\nMessage: Authentication failed\r\n\r\n');
});

t.test('logoff ends one session only', async (t) => {
  const a = new AjamClient(ta.base);
  const b = new AjamClient(ta.base);
  await a.login();
  await b.login();
  const bye = await a.get('/rawman?action=Logoff&ActionID=z');
  t.equal(bye.body, 'Response: Goodbye\r\nActionID: z\r\nMessage: Thanks for all the fish.\r\n\r\n');
  t.match((await b.get('/rawman?action=Ping')).body, /^Response: Success/, 'the other session lives on');
  t.equal((await a.get('/rawman?action=Ping')).body, 'Response: Error\r\nMessage: Permission denied\r\n\r\n');
  t.ok(ta.app.pool.ready, 'the shared AMI connections were not logged off');
});

t.test('allowmultiplelogin = no', async (t) => {
  const a = new AjamClient(ta.base);
  t.match((await a.login('single', 'singlepw')).body, /Authentication accepted/);
  const b = new AjamClient(ta.base);
  t.equal((await b.login('single', 'singlepw')).body, 'Response: Error\r\nMessage: Login Already In Use\r\n\r\n');
  await a.get('/rawman?action=Logoff');
  t.match((await new AjamClient(ta.base).login('single', 'singlepw')).body, /Authentication accepted/, 'free again after logoff');
});

t.test('user ACL checked at login against the client address', async (t) => {
  const r = await new AjamClient(ta.base).login('remote', 'remotepw');
  t.equal(r.body, 'Response: Error\r\nMessage: Authentication failed\r\n\r\n', 'remote is only permitted from 10/8');
});

t.test('MD5 challenge login', async (t) => {
  const c = new AjamClient(ta.base);
  const ch = await c.get('/rawman?action=Challenge&AuthType=MD5&ActionID=c1');
  const m = /^Response: Success\r\nActionID: c1\r\nChallenge: (\d{1,9})\r\n\r\n$/.exec(ch.body);
  t.ok(m, ch.body);
  const key = createHash('md5').update(m![1]! + 'adminpw').digest('hex');
  const login = await c.get(`/rawman?action=Login&AuthType=MD5&Username=admin&Key=${key}&Events=off`);
  t.equal(login.body, 'Response: Success\r\nMessage: Authentication accepted\r\n\r\n');
  t.match((await c.get('/rawman?action=Ping')).body, /^Response: Success/);
  t.equal((await c.get('/rawman?action=Challenge')).body, 'Response: Error\r\nMessage: Must specify AuthType\r\n\r\n');
});
