// Brute force (issue 7 §3) through the whole stack: per-address lockout after `authlimit`
// failures, refused at once whatever the secret, for Login, Challenge and digest alike; per-user
// slow-down but never a lock; parallel storms counted before the failure delay; every failure and
// lockout logged once with address and user, never the secret; the hashed secret form.
import t from 'tap';
import { request } from 'node:http';
import { USERS, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { md5Key } from '../../lib/auth/md5.ts';
import { hashSecret } from '../../lib/auth/secret.ts';
import { digestResponse } from '../../lib/http/digest.ts';
import { captureLogs } from '../helpers/log.ts';

const USERS_HERE = `${USERS}
[hashed]
secret = ${hashSecret('long random secret')}
read = call
write = reporting
`;

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ users: USERS_HERE, general: 'authlimit = 5\nauthwindow = 60' });
});
t.teardown(() => ta.close());

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One GET from a given loopback address (127.0.0.0/8 is all ours), on its own connection. */
function getFrom(from: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ta.port, path, localAddress: from, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const login = (from: string, user: string, secret: string): Promise<Reply> =>
  getFrom(from, `/rawman?action=Login&Username=${user}&Secret=${encodeURIComponent(secret)}`);
const FAILED = 'Response: Error\r\nMessage: Authentication failed\r\n\r\n';
const ACCEPTED = /^Response: Success\r\nMessage: Authentication accepted\r\n/;

t.test('five failures lock the address: even the right secret is refused, other addresses are not', async (t) => {
  const from = '127.0.0.11';
  for (let i = 0; i < 5; i++) t.equal((await login(from, 'admin', `wrong${i}`)).body, FAILED, `failure ${i + 1}`);
  t.ok(ta.app.limiter.isLocked(from), 'locked');
  t.equal((await login(from, 'admin', 'adminpw')).body, FAILED, 'the right secret: refused while locked');
  t.equal((await login(from, 'wallboard', 'wallpw')).body, FAILED, 'any user: refused while locked');
  const ch = await getFrom(from, '/rawman?action=Challenge&AuthType=MD5&Username=admin');
  t.equal(ch.body, FAILED, 'Challenge refused too');
  t.notOk(ta.app.store.size > 10, 'refused attempts store no session');
  t.match((await login('127.0.0.12', 'admin', 'adminpw')).body, ACCEPTED, 'the real admin from elsewhere is not locked out');
});

t.test('digest attempts count and are refused when locked', async (t) => {
  const from = '127.0.0.13';
  const first = await getFrom(from, '/arawman?action=Ping');
  t.equal(first.status, 401);
  const nonce = /nonce="([0-9a-f]+)"/.exec(String(first.headers['www-authenticate']))![1]!;
  const auth = (secret: string, nc: number): string => {
    const a = { username: 'admin', realm: 'asterisk', nonce, uri: '/arawman?action=Ping', response: '', qop: 'auth', nc: nc.toString(16).padStart(8, '0'), cnonce: `c${nc}` };
    return `Digest username="admin", realm="asterisk", nonce="${nonce}", uri="${a.uri}", algorithm=MD5, response="${digestResponse(a, secret, 'GET')}", opaque="${nonce}", qop=auth, nc=${a.nc}, cnonce="${a.cnonce}"`;
  };
  for (let i = 1; i <= 5; i++) {
    t.equal((await getFrom(from, '/arawman?action=Ping', { authorization: auth('nope', i) })).status, 401, `bad digest ${i}`);
  }
  t.ok(ta.app.limiter.isLocked(from));
  const good = await getFrom(from, '/arawman?action=Ping', { authorization: auth('adminpw', 6) });
  t.equal(good.status, 401, 'the right digest is refused while the address is locked');
});

t.test('a parallel storm is counted before the delay: five failures logged, one lockout, the rest refused', async (t) => {
  const from = '127.0.0.14';
  let storm: Reply[] = [];
  const records = await captureLogs('info', async () => {
    storm = await Promise.all(Array.from({ length: 200 }, (_, i) => login(from, 'admin', `guess${i}`)));
  });
  t.ok(storm.every((r) => r.body === FAILED), 'all refused with Asterisk\'s text');
  const mine = records.filter((r) => r.address === from);
  t.equal(mine.filter((r) => r.msg === 'authentication failed').length, 5, 'each counted failure logged once');
  t.equal(mine.filter((r) => r.msg.includes('locked out')).length, 1, 'the lockout logged once');
  t.ok(mine.every((r) => r.user === 'admin'), 'with the user');
  const text = JSON.stringify(records);
  t.notOk(/guess\d|adminpw|mansession_id/.test(text), 'never a secret, key or cookie');
  t.match((await login('127.0.0.15', 'admin', 'adminpw')).body, ACCEPTED, 'the real admin still gets in from a clean address');
});

t.test('MD5 login failures count too and never log the Key', async (t) => {
  const from = '127.0.0.16';
  let key = '';
  let r: Reply | undefined;
  const records = await captureLogs('info', async () => {
    const ch = await getFrom(from, '/rawman?action=Challenge&AuthType=MD5&Username=admin');
    const cookie = /mansession_id="[0-9a-f]+"/.exec(String(ch.headers['set-cookie']))![0];
    const challenge = /Challenge: (\d+)/.exec(ch.body)![1]!;
    key = md5Key(challenge, 'wrong');
    r = await getFrom(from, `/rawman?action=Login&AuthType=MD5&Username=admin&Key=${key}`, { cookie });
  });
  t.equal(r!.body, FAILED);
  t.equal(records.filter((l) => l.address === from && l.how === 'login-md5').length, 1);
  t.notOk(JSON.stringify(records).includes(key), 'no Key in the log');
});

t.test('hashed secret: plain login works, MD5 cannot', async (t) => {
  const from = '127.0.0.17';
  t.match((await login(from, 'hashed', 'long random secret')).body, ACCEPTED, 'sha256: form accepted with the plain secret');
  t.equal((await login(from, 'hashed', 'sha256:' + 'x')).body, FAILED, 'the stored form itself is no password');
  const ch = await getFrom(from, '/rawman?action=Challenge&AuthType=MD5&Username=hashed');
  const cookie = /mansession_id="[0-9a-f]+"/.exec(String(ch.headers['set-cookie']))![0];
  const challenge = /Challenge: (\d+)/.exec(ch.body)![1]!;
  const r = await getFrom(from, `/rawman?action=Login&AuthType=MD5&Username=hashed&Key=${md5Key(challenge, 'long random secret')}`, { cookie });
  t.equal(r.body, FAILED, 'an MD5 login needs the plain secret on our side');
});
