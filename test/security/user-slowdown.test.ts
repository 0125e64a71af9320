// Per-user slow-down (issue 7 §3): once a user has `authlimit` recent failures, its password checks
// take turns (`authuserstep` per failure past the limit, at most `authusermaxdelay` apart), at most
// `authuserqueue` waiting; more are refused at once, unchecked, with Asterisk's text. A stranger's
// storm from many addresses never keeps the real admin out of where it logged in before. Asserted
// on counts (the limiter's counters, the log, replies), never on durations.
import t from 'tap';
import { request } from 'node:http';
import { startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { captureLogs } from '../helpers/log.ts';
import { until } from '../helpers/until.ts';
import { digestResponse } from '../../lib/http/digest.ts';
import { SseClient } from '../helpers/push.ts';

const QUEUE = 4;
let ta: TestApp;
t.before(async () => {
  // Turns 250 ms apart per failure past the limit, at most 1 s: the storm test starts with enough
  // failures for 1 s, so the queue is still full when the stranger asks, even on a machine busy
  // with the whole suite (at 50 ms the first turn could come before); the others stay at 250 ms.
  ta = await startTestApp({
    general: `authlimit = 3\nauthuserstep = 250\nauthusermaxdelay = 1000\nauthuserqueue = ${QUEUE}\nallowbasic = yes`,
  });
});
t.teardown(() => ta.close());

interface Reply {
  status: number;
  body: string;
  cookie: string;
}

let nonceSeen = '';

/** One GET from a loopback address (127.0.0.0/8 is all ours), on its own connection. */
function getFrom(from: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ta.port, path, localAddress: from, headers, agent: false }, (res) => {
      nonceSeen = /nonce="([0-9a-f]+)"/.exec(String(res.headers['www-authenticate']))?.[1] ?? nonceSeen;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          cookie: /mansession_id="[0-9a-f]+"/.exec(String(res.headers['set-cookie']))?.[0] ?? '',
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const login = (from: string, secret: string): Promise<Reply> =>
  getFrom(from, `/rawman?action=Login&Username=admin&Secret=${encodeURIComponent(secret)}`);
const FAILED = 'Response: Error\r\nMessage: Authentication failed\r\n\r\n';
const ACCEPTED = /^Response: Success\r\nMessage: Authentication accepted\r\n/;
const HOME = '127.0.1.1';

/**
 * Ten wrong logins for admin at once from ten addresses of `net` (none reaches authlimit): admin's
 * turns are then 1 s apart, so a storm sent next fills the queue well before its first turn, even
 * on a machine busy with the whole suite. True when all ten were refused.
 */
async function slowDownAtCap(net: string): Promise<boolean> {
  const r = await Promise.all(Array.from({ length: 10 }, (_, i) => login(`${net}.${i + 1}`, `wrong${i}`)));
  return r.every((x) => x.body === FAILED);
}

t.test('a storm of wrong passwords for one user from many addresses: checked one turn at a time, the rest refused unchecked', async (t) => {
  const limiter = ta.app.limiter;
  t.match((await login(HOME, 'adminpw')).body, ACCEPTED, 'the real admin logs in from its usual place');
  t.ok(await slowDownAtCap('127.0.2'), 'ten failures: the slow-down is at its cap');
  const failures0 = limiter.totals.failures;
  const full0 = limiter.turns.queueFull;
  let storm: Reply[] = [];
  let home: Reply | undefined;
  let stranger: Reply | undefined;
  const records = await captureLogs('info', async () => {
    // 40 guesses at once, each from its own address (no address reaches authlimit).
    const guesses = Promise.all(Array.from({ length: 40 }, (_, i) => login(`127.0.3.${i + 1}`, `guess${i}`)));
    await until(() => limiter.queuedFor('admin') === QUEUE, 'the queue to fill');
    // While it is full: someone with the right secret from an address admin never used is refused,
    // unchecked; the real admin from its usual place gets in at once (which clears the slow-down).
    stranger = await login('127.0.4.1', 'adminpw');
    home = await login(HOME, 'adminpw');
    storm = await guesses;
  });
  t.ok(storm.every((r) => r.body === FAILED), 'every guess refused with Asterisk\'s text');
  t.match(home!.body, ACCEPTED, 'the real admin is never locked out of its usual place');
  t.equal(stranger!.body, FAILED, 'a new place waits for the storm to pass');
  t.equal(limiter.totals.failures - failures0, QUEUE, `only ${QUEUE} guesses (the queue) were checked`);
  t.equal(limiter.turns.queueFull - full0, 40 - QUEUE + 1, 'the rest (and the stranger) refused unchecked');
  const checked = records.filter((r) => r.msg === 'authentication failed' && String(r.address).startsWith('127.0.3.'));
  t.equal(checked.length, QUEUE, 'each checked guess logged once');
  t.equal(limiter.queuedFor('admin'), 0, 'the queue drained');
  t.match((await login('127.0.4.1', 'adminpw')).body, ACCEPTED, 'then the new place gets in too');
  // The session works upstream: what the simulator received comes from the real admin.
  ta.app.sim!.clearReceived();
  const ping = await getFrom(HOME, '/rawman?action=Ping', { cookie: home!.cookie });
  t.match(ping.body, /Ping: Pong/);
  t.same(ta.app.sim!.received.map((m) => m.get('Action')), ['Ping'], 'the simulator saw the admin\'s Ping, nothing of the storm');
});

t.test('Basic attempts take the same turns', async (t) => {
  const limiter = ta.app.limiter;
  await slowDownAtCap('127.0.5');
  const failures0 = limiter.totals.failures;
  const full0 = limiter.turns.queueFull;
  const basic = (secret: string): string => `Basic ${Buffer.from(`admin:${secret}`).toString('base64')}`;
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => getFrom(`127.0.6.${i + 1}`, '/rawman?action=Ping', { authorization: basic(`guess${i}`) })),
  );
  t.ok(replies.every((r) => r.status === 401), 'every wrong Basic attempt: 401');
  t.equal(limiter.totals.failures - failures0, QUEUE, `${QUEUE} checked`);
  t.equal(limiter.turns.queueFull - full0, 20 - QUEUE, 'the rest refused unchecked');
  const good = await getFrom(HOME, '/rawman?action=Ping', { authorization: basic('adminpw') });
  t.match(good.body, /Ping: Pong/, 'the right Basic from the usual place works');
});

t.test('digest attempts take the same turns', async (t) => {
  const limiter = ta.app.limiter;
  await slowDownAtCap('127.0.7');
  t.equal((await getFrom(HOME, '/arawman?action=Ping')).status, 401, 'a nonce');
  const nonce = nonceSeen;
  const digest = (secret: string, nc: number): string => {
    const a = { username: 'admin', realm: 'asterisk', nonce, uri: '/arawman?action=Ping', response: '', qop: 'auth', nc: nc.toString(16).padStart(8, '0'), cnonce: `c${nc}` };
    return `Digest username="admin", realm="asterisk", nonce="${nonce}", uri="${a.uri}", algorithm=MD5, response="${digestResponse(a, secret, 'GET')}", opaque="${nonce}", qop=auth, nc=${a.nc}, cnonce="${a.cnonce}"`;
  };
  const failures0 = limiter.totals.failures;
  const full0 = limiter.turns.queueFull;
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => getFrom(`127.0.8.${i + 1}`, '/arawman?action=Ping', { authorization: digest(`guess${i}`, i + 1) })),
  );
  t.ok(replies.every((r) => r.status === 401), 'every wrong digest: 401');
  t.equal(limiter.totals.failures - failures0, QUEUE, `${QUEUE} checked`);
  t.equal(limiter.turns.queueFull - full0, 20 - QUEUE, 'the rest refused unchecked');
});

t.test('a locked address takes no turn: its Basic and digest attempts never fill the user\'s queue', async (t) => {
  const limiter = ta.app.limiter;
  const LOCKED = '127.0.9.1';
  for (let i = 1; i <= 3; i++) await login(LOCKED, `wrong${i}`);
  t.ok(limiter.isLocked(LOCKED), 'the address is locked (and admin slowed down)');
  t.equal((await getFrom(HOME, '/arawman?action=Ping')).status, 401, 'a nonce');
  const nonce = nonceSeen;
  const digest = `Digest username="admin", realm="asterisk", nonce="${nonce}", uri="/arawman?action=Ping", algorithm=MD5, response="00000000000000000000000000000000", opaque="${nonce}", qop=auth, nc=00000001, cnonce="c"`;
  const basic = `Basic ${Buffer.from('admin:guess').toString('base64')}`;
  const waited0 = limiter.turns.waited;
  const full0 = limiter.turns.queueFull;
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? getFrom(LOCKED, '/rawman?action=Ping', { authorization: basic }) : getFrom(LOCKED, '/arawman?action=Ping', { authorization: digest }),
    ),
  );
  t.ok(replies.every((r) => r.status === 401), 'all refused');
  t.equal(limiter.turns.waited - waited0, 0, 'none of them waited for a turn');
  t.equal(limiter.turns.queueFull - full0, 0, 'none found the queue full: they never queued');
  t.match((await login('127.0.9.2', 'adminpw')).body, ACCEPTED, 'the real admin from a new place gets its turn');
});

t.test('Basic on /events and /ws cannot wait for a turn: while the user is slowed down, a guess there is refused unchecked', async (t) => {
  const limiter = ta.app.limiter;
  for (let i = 1; i <= 3; i++) await login(`127.0.10.${i}`, `wrong${i}`);
  const failures0 = limiter.totals.failures;
  const basic = (secret: string): string => `Basic ${Buffer.from(`admin:${secret}`).toString('base64')}`;
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => getFrom(`127.0.11.${i + 1}`, '/events', { authorization: basic(`guess${i}`) })),
  );
  t.ok(replies.every((r) => r.status === 401), 'every guess: 401');
  t.equal(limiter.totals.failures - failures0, 0, 'none of them was checked');
  // From the user's usual place the right secret opens the stream at once.
  const home = new SseClient(ta.port, '/events', { Authorization: basic('adminpw') }, HOME);
  t.teardown(() => home.socket.destroy());
  await home.ready();
  t.equal(home.status, 200);
});
