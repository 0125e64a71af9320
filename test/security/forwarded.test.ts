// `[general] trustproxy` (issue 7 §5): X-Forwarded-For / X-Forwarded-Proto are believed only from
// the listed peers; then ACLs and the brute-force limiter use the forwarded address. Loopback has
// all of 127.0.0.0/8, so tests connect FROM different 127.x addresses to be different clients.
import t from 'tap';
import { RawClient, get, header } from '../helpers/http.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { lanUsers } from '../helpers/lan-users.ts';
import { TrustedProxies } from '../../lib/http/forwarded.ts';
import { loadConfig } from '../../lib/config/config.ts';
import { startApp } from '../../lib/app.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('TrustedProxies: rightmost untrusted hop, only from trusted peers', async (t) => {
  const tp = new TrustedProxies('127.0.0.1, 10.0.0.0/8, ::1');
  t.equal(tp.clientAddress('192.0.2.9', '203.0.113.1'), '192.0.2.9', 'untrusted peer: the header is ignored');
  t.equal(tp.clientAddress('127.0.0.1', ''), '127.0.0.1', 'no header: the peer');
  t.equal(tp.clientAddress('127.0.0.1', '203.0.113.1'), '203.0.113.1');
  t.equal(tp.clientAddress('127.0.0.1', '198.51.100.7, 203.0.113.1'), '203.0.113.1', 'a client-written hop on the left is not believed');
  t.equal(tp.clientAddress('127.0.0.1', '203.0.113.1, 10.1.2.3'), '203.0.113.1', 'trusted hops on the right are skipped');
  t.equal(tp.clientAddress('127.0.0.1', '10.0.0.1 , 10.1.2.3'), '10.0.0.1', 'all trusted: the leftmost');
  t.equal(tp.clientAddress('::1', '2001:DB8::1'), '2001:db8::1', 'IPv6, lower-cased');
  t.equal(tp.clientAddress('127.0.0.1', '::ffff:203.0.113.1'), '203.0.113.1', 'IPv4-mapped as plain IPv4');
  t.equal(tp.clientAddress('::ffff:127.0.0.1', '203.0.113.1'), '203.0.113.1', 'a mapped peer address counts');
  for (const bad of ['unknown', '203.0.113.1:8080', '203.0.113.1,', ', 10.1.2.3', '10.0.0.0/8', '203.0.113.1, <script>']) {
    t.equal(tp.clientAddress('127.0.0.1', bad), null, `malformed: ${JSON.stringify(bad)}`);
  }
  t.equal(tp.clientAddress('192.0.2.9', 'garbage'), '192.0.2.9', 'an untrusted peer never gets a 400 for it');
  t.equal(tp.clientAddress('127.0.0.1', 'garbage, 203.0.113.1'), '203.0.113.1', 'hops left of the client are never read');
  t.ok(tp.forwardedHttps('127.0.0.1', 'HTTPS'));
  t.ok(tp.forwardedHttps('127.0.0.1', 'https, http'), 'the first proxy saw what the client used');
  t.notOk(tp.forwardedHttps('127.0.0.1', 'http'));
  t.notOk(tp.forwardedHttps('192.0.2.9', 'https'), 'untrusted: ignored');
  t.throws(() => new TrustedProxies('10.0.0.0/8, nonsense', 'x.conf:3: trustproxy'), /x\.conf:3: trustproxy: invalid IP address 'nonsense'/);
});

const USERS = lanUsers();

let trusting: TestApp;
let distrusting: TestApp;
t.before(async () => {
  trusting = await startTestApp({ users: USERS, general: 'trustproxy = 127.0.0.2\nauthlimit = 2' });
  distrusting = await startTestApp({ users: USERS, general: 'trustproxy = 10.9.9.9\nauthlimit = 2' });
});
t.teardown(async () => {
  await trusting.close();
  await distrusting.close();
});

async function from(app: TestApp, local: string, path: string, extra = ''): Promise<{ status: number; body: string; cookie: string | undefined }> {
  const c = new RawClient(app.port, '127.0.0.1', local);
  try {
    const r = await c.request(get(path, extra));
    return { status: r.status, body: r.body.toString(), cookie: header(r, 'Set-Cookie') };
  } finally {
    c.close();
  }
}

const login = (user: string, secret: string): string => `/rawman?action=Login&Username=${user}&Secret=${secret}`;

t.test("from a trusted peer, the user's ACL sees the forwarded address", async (t) => {
  const ok = await from(trusting, '127.0.0.2', login('lan', 'lanpw'), 'X-Forwarded-For: 127.0.0.3\r\n');
  t.match(ok.body, /Authentication accepted/, 'forwarded 127.0.0.3 is permitted');
  const no = await from(trusting, '127.0.0.2', login('lan', 'lanpw'), 'X-Forwarded-For: 127.0.0.4\r\n');
  t.match(no.body, /Authentication failed/, 'forwarded 127.0.0.4 is not');
  const spoof = await from(trusting, '127.0.0.2', login('lan', 'lanpw'), 'X-Forwarded-For: 127.0.0.3, 127.0.0.4\r\n');
  t.match(spoof.body, /Authentication failed/, 'a hop left of an untrusted one is not believed');
});

t.test('from an untrusted peer the headers are ignored', async (t) => {
  const spoof = await from(trusting, '127.0.0.4', login('lan', 'lanpw'), 'X-Forwarded-For: 127.0.0.3\r\nX-Forwarded-Proto: https\r\n');
  t.match(spoof.body, /Authentication failed/, 'the peer 127.0.0.4 is what counts');
  t.notMatch(spoof.cookie ?? '', /Secure/, 'X-Forwarded-Proto ignored');
  const direct = await from(distrusting, '127.0.0.3', login('lan', 'lanpw'), 'X-Forwarded-For: 192.0.2.1\r\n');
  t.match(direct.body, /Authentication accepted/, 'the real peer 127.0.0.3, not the header');
});

t.test('X-Forwarded-Proto: https from a trusted peer marks the cookie Secure', async (t) => {
  const r = await from(trusting, '127.0.0.2', login('admin', 'adminpw'), 'X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: https\r\n');
  t.match(r.cookie ?? '', /; Secure$/);
  const plain = await from(trusting, '127.0.0.2', login('admin', 'adminpw'), 'X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: http\r\n');
  t.notMatch(plain.cookie ?? '', /Secure/);
});

t.test('the limiter keys on the forwarded address', async (t) => {
  const limiter = trusting.app.limiter;
  for (let i = 0; i < 2; i++) {
    const r = await from(trusting, '127.0.0.2', login('admin', 'wrong'), 'X-Forwarded-For: 198.51.100.20\r\n');
    t.match(r.body, /Authentication failed/);
  }
  t.ok(limiter.isLocked('198.51.100.20'), 'the forwarded client is locked out');
  t.notOk(limiter.isLocked('127.0.0.2'), 'the proxy itself is not');
  const other = await from(trusting, '127.0.0.2', login('admin', 'adminpw'), 'X-Forwarded-For: 198.51.100.21\r\n');
  t.match(other.body, /Authentication accepted/, 'another client behind the same proxy still logs in');
  const locked = await from(trusting, '127.0.0.2', login('admin', 'adminpw'), 'X-Forwarded-For: 198.51.100.20\r\n');
  t.match(locked.body, /Authentication failed/, 'the locked one is refused even with the right secret');

  // From an untrusted peer a spoofed header cannot lock someone else out.
  for (let i = 0; i < 2; i++) await from(distrusting, '127.0.0.5', login('admin', 'wrong'), 'X-Forwarded-For: 198.51.100.30\r\n');
  t.notOk(distrusting.app.limiter.isLocked('198.51.100.30'), 'the spoofed address is not touched');
  t.ok(distrusting.app.limiter.isLocked('127.0.0.5'), 'the real peer is locked');
});

t.test('a malformed X-Forwarded-For from a trusted peer is a 400; nothing runs', async (t) => {
  const before = trusting.app.sim!.received.length;
  const r = await from(trusting, '127.0.0.2', '/rawman?action=Ping&Marker=badxff', 'X-Forwarded-For: not-an-address\r\n');
  t.equal(r.status, 400);
  t.match(r.body, /Invalid X-Forwarded-For/);
  t.equal(trusting.app.sim!.received.length, before);
});

t.test('a bad trustproxy value stops the start naming file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ajam-xff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'u.conf'), '[admin]\nsecret = a\nread = all\nwrite = all\n');
  writeFileSync(join(dir, 'c.conf'), '[general]\nusers = u.conf\ntrustproxy = 10.0.0.0/8, proxy.example\n[asterisk]\nsimulate = yes\n');
  const config = loadConfig(join(dir, 'c.conf'));
  config.general.bindport = 0;
  await t.rejects(startApp(config, { simulateCalls: false }), { message: /c\.conf:3: trustproxy: invalid IP address 'proxy\.example'/ });
});
