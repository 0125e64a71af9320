// Stateless auth (issue 7 §4): `Authorization: Bearer <token>` on every AJAM endpoint and, with
// allowbasic, `Authorization: Basic`. Each case checks the reply AND what the simulator received,
// and that nothing was stored (no session, no cookie).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawRequest, get, post, header } from '../helpers/http.ts';
import { AjamClient, field, messages, startTestApp, USERS } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { newToken, tokenLine } from '../../lib/auth/tokens.ts';
import { hashSecret } from '../../lib/auth/secret.ts';
import { StatelessAuth } from '../../lib/auth/stateless.ts';
import { AuthLimiter } from '../../lib/auth/limiter.ts';
import { usersFromSections } from '../../lib/auth/users.ts';
import { parseConf } from '../../lib/config/conf.ts';
import { until } from '../helpers/until.ts';

const admin = newToken();
const admin2 = newToken();
const wall = newToken();
const remote = newToken();
const proxyOwn = newToken();
const filtered = newToken();

// The shipped test users plus tokens; `proxy` is the proxy's own AMI login (startTestApp's
// [asterisk] username) and must never be accepted over HTTP, token or not.
const users = USERS.replace('[admin]\n', `[admin]\n${admin.line}\n${admin2.line}\n`)
  .replace('[wallboard]\n', `[wallboard]\n${wall.line}\n`)
  .replace('[remote]\n', `[remote]\n${remote.line}\n`) +
  `
[proxy]
secret = proxypw
read = all
write = all
${proxyOwn.line}

[hashed]
secret = ${hashSecret('hashedpw')}
read = all
write = all

[quiet]
secret = quietpw
read = all
write = all
eventfilter = !Event: Noisy
${filtered.line}
`;

let ta: TestApp;
let basic: TestApp;
t.before(async () => {
  // Many deliberate failures from 127.0.0.1 below: a high authlimit keeps these apps unlocked
  // (the lockout itself has its own app).
  ta = await startTestApp({ users, general: 'authlimit = 100000' });
  basic = await startTestApp({ users, general: 'allowbasic = yes\nauthlimit = 100000' });
});
t.teardown(async () => {
  await ta.close();
  await basic.close();
});

const bearer = (token: string): string => `Authorization: Bearer ${token}\r\n`;
const basicAuth = (user: string, secret: string): string => `Authorization: Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}\r\n`;

/** Actions the simulator received with this ActionID (the proxy rewrites it, so match the suffix-free value via our own marker header). */
function receivedWith(app: TestApp, marker: string): string[] {
  return app.app.sim!.received.filter((m) => m.get('Marker') === marker).map((m) => m.get('Action') ?? '');
}

t.test('a token authenticates one request on every endpoint; nothing is stored', async (t) => {
  const routes = ['rawman', 'mxml', 'manager', 'arawman', 'amxml', 'amanager', 'json', 'ajson'];
  for (const route of routes) {
    const before = ta.app.store.size;
    const marker = `every-${route}`;
    const r = await rawRequest(ta.port, get(`/${route}?action=Ping&Marker=${marker}&ActionID=p1`, bearer(admin.token)));
    t.equal(r.status, 200, route);
    t.match(r.body.toString(), /Pong/, `${route}: the Ping ran`);
    t.equal(header(r, 'Set-Cookie'), undefined, `${route}: no cookie`);
    t.equal(header(r, 'WWW-authenticate'), undefined, `${route}: no challenge`);
    t.equal(ta.app.store.size, before, `${route}: no session stored`);
    t.same(receivedWith(ta, marker), ['Ping'], `${route}: the simulator got the Ping`);
  }
});

t.test('every token line of a user works; POST bodies too', async (t) => {
  const r = await rawRequest(ta.port, post('/rawman', 'action=Ping&Marker=post2', 'application/x-www-form-urlencoded', bearer(admin2.token)));
  t.equal(r.status, 200);
  t.match(r.body.toString(), /Pong/);
  t.same(receivedWith(ta, 'post2'), ['Ping']);
});

t.test('wrong, empty, or malformed tokens: 401, nothing forwarded, nothing stored', async (t) => {
  const before = ta.app.store.size;
  const bad = [
    bearer(admin.token.slice(0, -1) + (admin.token.endsWith('A') ? 'B' : 'A')),
    bearer(''),
    bearer(admin.line), // the stored hash line is not a token
    bearer(admin.line.slice('token = sha256:'.length)), // nor the hash itself
    `Authorization: Bearer  ${admin.token}x\r\n`,
  ];
  for (const [i, h] of bad.entries()) {
    for (const route of ['rawman', 'arawman']) {
      const r = await rawRequest(ta.port, get(`/${route}?action=Ping&Marker=bad${i}${route}`, h));
      t.equal(r.status, 401, `${i} ${route}`);
      t.match(header(r, 'WWW-authenticate') ?? '', /^Bearer realm="asterisk"$/, `${i} ${route}: bearer challenge`);
      t.equal(header(r, 'Set-Cookie'), undefined);
      t.same(receivedWith(ta, `bad${i}${route}`), [], `${i} ${route}: nothing reached the simulator`);
    }
  }
  t.equal(ta.app.store.size, before, 'no session stored');
});

t.test('hostile Authorization headers', async (t) => {
  const before = ta.app.store.size;
  // Two Authorization headers: a front proxy could check one while we used the other.
  for (const route of ['rawman', 'arawman', 'json']) {
    const r = await rawRequest(ta.port, get(`/${route}?action=Ping&Marker=dup-${route}`, bearer('wrong') + bearer(admin.token)));
    t.equal(r.status, 400, `${route}: two Authorization headers`);
    t.match(r.body.toString(), /More than one Authorization header/);
    t.same(receivedWith(ta, `dup-${route}`), []);
  }
  const sse = await rawRequest(ta.port, get('/events', bearer(admin.token) + bearer(admin.token)));
  t.equal(sse.status, 400, '/events too');
  const ws = await rawRequest(
    ta.port,
    get('/ws', 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' + bearer('wrong') + bearer(admin.token)),
  );
  t.equal(ws.status, 400, '/ws upgrade too');
  t.match(ws.body.toString(), /More than one Authorization header/);
  const long = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=long', bearer('x'.repeat(3000))));
  t.equal(long.status, 401, 'a long token is just a wrong one');
  // Inside the token (uWS 20.30 trims bytes >= 0x80 at the END of a header value as if blanks, so
  // a non-ASCII tail would be cut off before we see it; documented in README).
  const mid = admin.token.length >> 1;
  const utf8 = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=utf8', `Authorization: Bearer ${admin.token.slice(0, mid)}\u00e9${admin.token.slice(mid)}\r\n`));
  t.equal(utf8.status, 401, 'a token with a non-ASCII byte inside');
  const lower = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=lower', `authorization: bEaReR ${admin.token}\r\n`));
  t.match(lower.body.toString(), /Pong/, 'scheme and header name are case-insensitive');
  const tab = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=tab', `Authorization: Bearer\t${admin.token}\r\n`));
  t.match(tab.body.toString(), /Permission denied/, 'not a Bearer header: an anonymous request, nothing granted');
  t.same(receivedWith(ta, 'long').concat(receivedWith(ta, 'utf8'), receivedWith(ta, 'tab')), []);
  t.same(receivedWith(ta, 'lower'), ['Ping']);
  t.equal(ta.app.store.size, before, 'nothing stored');
});

t.test('a valid token beside a cookie: the token decides', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login('wallboard', 'wallpw');
  const r = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=both', `Cookie: ${c.cookie}\r\n` + bearer(admin.token)));
  t.equal(header(r, 'Set-Cookie'), undefined);
  t.match(r.body.toString(), /Pong/);
  // wallboard may not run Command; admin's token may.
  const cmd = await rawRequest(ta.port, get('/rawman?action=Command&command=core%20show%20version&Marker=both-cmd', `Cookie: ${c.cookie}\r\n` + bearer(admin.token)));
  t.match(cmd.body.toString(), /Response: (Success|Follows)/);
  t.same(receivedWith(ta, 'both-cmd'), ['Command']);
});

t.test("the request runs with the token user's write classes", async (t) => {
  const r = await rawRequest(
    ta.port,
    get('/rawman?action=Originate&Channel=Local/1@x&Application=Playback&Data=x&Marker=wall-orig&ActionID=o1', bearer(wall.token)),
  );
  t.equal(r.status, 200);
  t.match(r.body.toString(), /Response: Error\r\nActionID: o1\r\nMessage: Permission denied/);
  t.same(receivedWith(ta, 'wall-orig'), [], 'Originate never reached the simulator');
  const ok = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=wall-ping', bearer(wall.token)));
  t.match(ok.body.toString(), /Pong/);
});

t.test("the user's ACL applies: a token from a refused address is a 401", async (t) => {
  const r = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=remote', bearer(remote.token)));
  t.equal(r.status, 401);
  t.same(receivedWith(ta, 'remote'), []);
});

t.test("the proxy's own AMI username is never an HTTP login, even with a token line", async (t) => {
  const r = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=own', bearer(proxyOwn.token)));
  t.equal(r.status, 401);
  t.same(receivedWith(ta, 'own'), []);
  const b = await rawRequest(basic.port, get('/rawman?action=Ping&Marker=own-basic', basicAuth('proxy', 'proxypw')));
  t.equal(b.status, 401);
  t.same(receivedWith(basic, 'own-basic'), []);
});

t.test("every server's AMI username is reserved (several [asterisk:NAME] sections)", async (t) => {
  const one = newToken();
  const two = newToken();
  const users = usersFromSections(
    parseConf(`[pbx1]\nsecret = a\nread = all\nwrite = all\n${one.line}\n[PBX2]\nsecret = b\nread = all\nwrite = all\n${two.line}\n[ok]\nsecret = c\nread = all\nwrite = all\n`, 'u.conf'),
  );
  const auth = new StatelessAuth({ users, allowBasic: true, amiUsernames: ['pbx1', 'pbx2'], failDelayMs: 0 });
  const basicOf = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  t.equal(auth.authenticateHeader(`Bearer ${one.token}`, '127.0.0.1'), 'invalid');
  t.equal(auth.authenticateHeader(`Bearer ${two.token}`, '127.0.0.1'), 'invalid', 'case-insensitive');
  t.equal(auth.authenticateHeader(basicOf('pbx2', 'b'), '127.0.0.1'), 'invalid');
  t.equal((auth.authenticateHeader(basicOf('ok', 'c'), '127.0.0.1') as { name: string }).name, 'ok');
  t.equal(auth.authenticateHeader('Digest username="ok"', '127.0.0.1'), undefined, 'other schemes are not ours');
});

t.test('the client address is decoded only when needed, and the outcome is the same', async (t) => {
  let clock = 1_000_000;
  const limiter = new AuthLimiter({ limit: 2, windowMs: 60_000, maxLockMs: 120_000, now: () => clock });
  const tk = newToken();
  const users = usersFromSections(parseConf(`[open]\nsecret = a\nread = all\nwrite = all\n${tk.line}\n`, 'u.conf'));
  const auth = new StatelessAuth({ users, allowBasic: false, amiUsernames: [], limiter, failDelayMs: 0 });
  let reads = 0;
  const client = {
    get address(): string {
      reads++;
      return '192.0.2.1';
    },
  };
  t.ok(limiter.quiet(), 'no failure yet');
  t.equal((auth.authenticateHeader(`Bearer ${tk.token}`, client) as { name: string }).name, 'open');
  t.equal(reads, 0, 'no ACL, no failure on record: the address is never read');
  t.equal(auth.authenticateHeader('Bearer wrong', client), 'invalid');
  t.equal(auth.authenticateHeader('Bearer wrong', client), 'invalid');
  t.ok(limiter.isLocked('192.0.2.1'), 'failures are recorded against the address');
  reads = 0;
  t.equal(auth.authenticateHeader(`Bearer ${tk.token}`, client), 'invalid', 'locked: refused');
  t.ok(reads > 0, 'after a failure the address is checked');
  clock += 100_000;
  t.notOk(limiter.quiet(), 'still within the longest lockout since the last failure');
  clock += 20_001;
  t.ok(limiter.quiet(), 'quiet once the window and the longest lockout have passed');
  reads = 0;
  t.equal((auth.authenticateHeader(`Bearer ${tk.token}`, client) as { name: string }).name, 'open');
  t.equal(reads, 0);
});

t.test('Login/Logoff on a stateless request: nothing to log in or out', async (t) => {
  const login = await rawRequest(ta.port, get('/rawman?action=Login&username=admin&secret=adminpw', bearer(wall.token)));
  t.match(login.body.toString(), /Response: Success\r\nMessage: Already authenticated/);
  t.equal(header(login, 'Set-Cookie'), undefined);
  const before = ta.app.store.size;
  const logoff = await rawRequest(ta.port, get('/rawman?action=Logoff', bearer(wall.token)));
  t.match(logoff.body.toString(), /Response: Goodbye/);
  t.equal(ta.app.store.size, before);
  const again = await rawRequest(ta.port, get('/rawman?action=Ping', bearer(wall.token)));
  t.match(again.body.toString(), /Pong/, 'the token still works');
});

t.test('WaitEvent with a token returns the events that arrive while it waits', async (t) => {
  // An event from before the request is not delivered: nothing is kept between requests.
  ta.app.sim!.emitEvent([['Event', 'Before'], ['Seq', '0']], 'call');
  await until(() => ta.app.events.get(ta.app.events.nextSeq - 1)?.name === 'Before', 'Before in the log');
  const now = await rawRequest(ta.port, get('/rawman?action=WaitEvent&Timeout=0&ActionID=w0', bearer(admin.token)));
  t.equal(now.body.toString(), 'Response: Success\r\nActionID: w0\r\nMessage: Waiting for Event completed.\r\n\r\nEvent: WaitEventComplete\r\nActionID: w0\r\n\r\n');

  const watchers = ta.app.events.waiterCount;
  const pending = rawRequest(ta.port, get('/rawman?action=WaitEvent&Timeout=30&ActionID=w1', bearer(admin.token)));
  await until(() => ta.app.events.waiterCount === watchers + 1, 'the WaitEvent to park');
  ta.app.sim!.emitEvent([['Event', 'During'], ['Seq', '1']], 'call');
  const r = await pending;
  const evs = messages(r.body.toString()).filter((m) => field(m, 'Event') === 'During');
  t.equal(evs.length, 1, 'the event that arrived during the wait');
  t.equal(header(r, 'Set-Cookie'), undefined);
});

t.test("WaitEvent with a token applies the user's eventfilters", async (t) => {
  const watchers = ta.app.events.waiterCount;
  const pending = rawRequest(ta.port, get('/rawman?action=WaitEvent&Timeout=30', bearer(filtered.token)));
  await until(() => ta.app.events.waiterCount === watchers + 1, 'the WaitEvent to park');
  ta.app.sim!.emitEvent([['Event', 'Noisy']], 'call');
  ta.app.sim!.emitEvent([['Event', 'Wanted']], 'call');
  const r = await pending;
  const names = messages(r.body.toString()).map((m) => field(m, 'Event')).filter((n) => n !== undefined);
  t.notOk(names.includes('Noisy'), 'the filtered event is not delivered');
  t.ok(names.includes('Wanted'));
});

t.test('a client that goes away ends its stateless WaitEvent at once', async (t) => {
  const watchers = ta.app.events.waiterCount;
  const { RawClient } = await import('../helpers/http.ts');
  const c = new RawClient(ta.port);
  c.socket.write(get('/rawman?action=WaitEvent&Timeout=30', bearer(admin.token)));
  await until(() => ta.app.events.waiterCount === watchers + 1, 'the WaitEvent to park');
  c.close();
  await until(() => ta.app.events.waiterCount === watchers, 'the parked wait to end');
  t.pass('no waiter left behind');
});

t.test('Basic: ignored unless allowbasic = yes', async (t) => {
  const off = await rawRequest(ta.port, get('/rawman?action=Ping&Marker=basic-off', basicAuth('admin', 'adminpw')));
  t.match(off.body.toString(), /Permission denied/, 'treated as an anonymous cookie request');
  t.same(receivedWith(ta, 'basic-off'), []);

  const before = basic.app.store.size;
  const on = await rawRequest(basic.port, get('/rawman?action=Ping&Marker=basic-on', basicAuth('admin', 'adminpw')));
  t.match(on.body.toString(), /Pong/);
  t.equal(header(on, 'Set-Cookie'), undefined);
  t.equal(basic.app.store.size, before);
  t.same(receivedWith(basic, 'basic-on'), ['Ping']);

  const hashed = await rawRequest(basic.port, get('/rawman?action=Ping&Marker=basic-hashed', basicAuth('hashed', 'hashedpw')));
  t.match(hashed.body.toString(), /Pong/, 'a sha256: secret works with Basic as with Login');
  t.same(receivedWith(basic, 'basic-hashed'), ['Ping']);
  const hashText = await rawRequest(basic.port, get('/rawman?action=Ping', basicAuth('hashed', hashSecret('hashedpw'))));
  t.equal(hashText.status, 401, 'the stored hash is not the secret');

  const digest = await rawRequest(basic.port, get('/amxml?action=Ping&Marker=basic-amxml', basicAuth('admin', 'adminpw')));
  t.equal(digest.status, 200, 'Basic also works on the digest endpoints');
  t.same(receivedWith(basic, 'basic-amxml'), ['Ping']);

  for (const [i, h] of [
    basicAuth('admin', 'wrong'),
    basicAuth('nobody', 'adminpw'),
    basicAuth('ADMIN', 'ADMINPW'),
    'Authorization: Basic not*base64\r\n',
    `Authorization: Basic ${Buffer.from('nocolon').toString('base64')}\r\n`,
  ].entries()) {
    const r = await rawRequest(basic.port, get(`/rawman?action=Ping&Marker=basic-bad${i}`, h));
    t.equal(r.status, 401, `bad basic ${i}`);
    t.equal(header(r, 'WWW-authenticate'), 'Bearer realm="asterisk", Basic realm="asterisk"');
    t.same(receivedWith(basic, `basic-bad${i}`), []);
  }
  t.equal(basic.app.store.size, before);
});

t.test('wrong tokens and secrets are failed logins: the address is locked, then even a valid token is refused', async (t) => {
  const lim = await startTestApp({ users, general: 'allowbasic = yes\nauthlimit = 3' });
  t.teardown(() => lim.close());
  const limiter = lim.app.limiter;
  await rawRequest(lim.port, get('/rawman?action=Ping', bearer('nope')));
  await rawRequest(lim.port, get('/rawman?action=Ping', basicAuth('admin', 'wrong')));
  t.notOk(limiter.isLocked('127.0.0.1'), 'two failures: not yet');
  const ok = await rawRequest(lim.port, get('/rawman?action=Ping&Marker=before-lock', bearer(admin.token)));
  t.match(ok.body.toString(), /Pong/, 'a good token still works');
  // A refused ACL is a failure too (remote may only come from 10/8).
  await rawRequest(lim.port, get('/rawman?action=Ping', bearer(remote.token)));
  await rawRequest(lim.port, get('/rawman?action=Ping', bearer('nope2')));
  await rawRequest(lim.port, get('/rawman?action=Ping', bearer('nope3')));
  t.ok(limiter.isLocked('127.0.0.1'), 'locked after authlimit failures');
  for (const [i, h] of [bearer(admin.token), basicAuth('admin', 'adminpw')].entries()) {
    const r = await rawRequest(lim.port, get(`/rawman?action=Ping&Marker=locked${i}`, h));
    t.equal(r.status, 401, `locked out: refused whatever the credentials (${i})`);
    t.same(receivedWith(lim, `locked${i}`), []);
  }
  // Login and the stateless path share the limiter: a cookie Login is refused too.
  const c = new AjamClient(lim.base);
  const login = await c.login();
  t.match(login.body, /Authentication failed/);
});

t.test('a users reload (SIGHUP) revokes removed token lines and accepts new ones at once', async (t) => {
  const before = newToken();
  const after = newToken();
  const r = await startTestApp({ users: `[script]\nsecret = s\nread = all\nwrite = all\n${before.line}\n`, general: 'authlimit = 100000' });
  t.teardown(() => r.close());
  const ping = async (tk: string): Promise<number> => (await rawRequest(r.port, get('/rawman?action=Ping', bearer(tk)))).status;
  t.equal(await ping(before.token), 200);
  t.equal(await ping(before.token), 200, 'again (now from the remembered tokens, no SHA-256)');
  t.equal(await ping(after.token), 401);
  t.equal(r.app.stateless.rememberedTokens, 1, 'only the token that matched is remembered');
  writeFileSync(join(r.dir, 'users.conf'), `[script]\nsecret = s\nread = all\nwrite = all\n${after.line}\n`);
  t.ok(r.app.reloadUsers().ok);
  t.equal(r.app.stateless.rememberedTokens, 0, 'the reload forgets remembered tokens');
  t.equal(await ping(before.token), 401, 'the removed line no longer works');
  t.equal(await ping(after.token), 200, 'the new line works');
});

t.test('the users file refuses a token line that is not sha256:<64 hex>', async (t) => {
  const raw = newToken().token;
  await t.rejects(
    startTestApp({ users: `[u]\nsecret = x\nread = all\nwrite = all\ntoken = ${raw}\n` }),
    { message: /token: expected sha256:<64 hex digits>/ },
  );
  // The bad value (maybe a raw token pasted by mistake) is not echoed.
  await startTestApp({ users: `[u]\nsecret = x\nread = all\nwrite = all\ntoken = ${raw}\n` }).catch((err: Error) => {
    t.notOk(err.message.includes(raw), 'the raw token is not in the error');
  });
  t.equal(tokenLine('abc'), 'token = sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'SHA-256 of the token, hex');
});
