// Ways around the per-address limits (issue 7 §2, §3) that an attacker tries first, through the whole
// stack: a good login with an account of one's own between guesses must not wipe the guesses
// counted against someone else, and a client with an IPv6 network (a /64 holds 2^64 addresses)
// must not get a fresh count per address. IPv6 clients come through a trusted proxy's
// X-Forwarded-For, since loopback has only ::1.
import t from 'tap';
import { request } from 'node:http';
import { USERS, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ users: USERS, general: 'authlimit = 5\nauthwindow = 60\ntrustproxy = 127.0.0.2\nmaxunauthperaddress = 2\nunauthrate = 0' });
});
t.teardown(() => ta.close());

interface Reply {
  status: number;
  body: string;
}

/** One GET from a given loopback address, on its own connection. */
function getFrom(from: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ta.port, path, localAddress: from, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const loginPath = (user: string, secret: string): string =>
  `/rawman?action=Login&Username=${user}&Secret=${encodeURIComponent(secret)}`;
const login = (from: string, user: string, secret: string): Promise<Reply> => getFrom(from, loginPath(user, secret));
/** A login that reaches the proxy through the trusted proxy 127.0.0.2 on behalf of `client`. */
const loginAs = (client: string, user: string, secret: string): Promise<Reply> =>
  getFrom('127.0.0.2', loginPath(user, secret), { 'X-Forwarded-For': client });

const ACCEPTED = /Authentication accepted/;
const FAILED = /Authentication failed/;

t.test("a good login with one's own account between guesses does not reset the address", async (t) => {
  const from = '127.0.0.31';
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 2; i++) t.match((await login(from, 'admin', `guess${round}${i}`)).body, FAILED);
    t.match((await login(from, 'wallboard', 'wallpw')).body, ACCEPTED, `round ${round}: the attacker's own account logs in`);
  }
  t.match((await login(from, 'admin', 'guess-last')).body, FAILED);
  t.ok(ta.app.limiter.isLocked(from), 'five guesses at admin lock the address, own logins in between or not');
  t.match((await login(from, 'admin', 'adminpw')).body, FAILED, 'even the right secret is refused now');
});

t.test('a user who mistyped their own secret and then got it right starts over', async (t) => {
  const from = '127.0.0.32';
  for (let i = 0; i < 4; i++) t.match((await login(from, 'wallboard', `typo${i}`)).body, FAILED);
  t.match((await login(from, 'wallboard', 'wallpw')).body, ACCEPTED);
  t.match((await login(from, 'wallboard', 'typo-again')).body, FAILED);
  t.notOk(ta.app.limiter.isLocked(from), 'the earlier typos were forgiven by the good login');
});

t.test('IPv6: every address of one /64 is one client for the limiter', async (t) => {
  await Promise.all([1, 2, 3, 4, 5].map((i) => loginAs(`2001:db8:1:2::${i}`, 'admin', `wrong${i}`)));
  const other = await loginAs('2001:db8:1:2:ffff:ffff:ffff:fffe', 'admin', 'adminpw');
  t.match(other.body, FAILED, 'another address of the same /64 is refused, right secret or not');
  const neighbour = await loginAs('2001:db8:1:3::1', 'admin', 'adminpw');
  t.match(neighbour.body, ACCEPTED, 'the next /64 is somebody else');
});

t.test('IPv4 written as IPv4-mapped IPv6 is the same client', async (t) => {
  await Promise.all([1, 2, 3, 4, 5].map((i) => loginAs('198.51.100.40', 'admin', `wrong${i}`)));
  t.match((await loginAs('::ffff:198.51.100.40', 'admin', 'adminpw')).body, FAILED, 'mapped form: still locked');
  t.match((await loginAs('::ffff:c633:6428', 'admin', 'adminpw')).body, FAILED, 'hex-mapped form: still locked');
  t.match((await loginAs('198.51.100.41', 'admin', 'adminpw')).body, ACCEPTED, 'the next address is not');
});

t.test('IPv6: unauthenticated sessions are capped per /64, not per address', async (t) => {
  const challenge = (client: string): Promise<Reply> =>
    getFrom('127.0.0.2', '/rawman?action=Challenge&AuthType=MD5', { 'X-Forwarded-For': client });
  for (const i of [1, 2]) t.match((await challenge(`2001:db8:7:7::${i}`)).body, /Challenge: /, `challenge ${i} kept`);
  t.match((await challenge('2001:db8:7:7::3')).body, /Too many unauthenticated sessions from this address/, 'a third address of the /64 is the same client');
  t.match((await challenge('2001:db8:7:8::1')).body, /Challenge: /, 'the next /64 is somebody else');
});
