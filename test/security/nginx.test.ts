// ajam-proxy behind a real nginx (issue 7 §5), configured from the shipped conf/nginx/ajam-proxy.conf
// (only its listen and upstream ports changed): login, actions, WaitEvent and a bearer token go
// through nginx at the /asterisk/ prefix; with `trustproxy` set to nginx's address, ACLs and the
// brute-force limiter see the client's address; a spoofed X-Forwarded-For is not believed, through
// nginx or straight to the proxy. WebSocket and Server-Sent Events pass through it too. Clients
// connect FROM different 127.x addresses.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RawClient, get, header } from '../helpers/http.ts';
import { startTestApp, messages, field, type TestApp } from '../helpers/app.ts';
import { freePort, startNginx, type TestNginx } from '../helpers/nginx.ts';
import { lanUsers } from '../helpers/lan-users.ts';
import { newToken } from '../../lib/auth/tokens.ts';
import { DEFAULTS } from '../../lib/config/defaults.ts';
import { SseClient, WsClient } from '../helpers/push.ts';

const SHIPPED = readFileSync(fileURLToPath(new URL('../../conf/nginx/ajam-proxy.conf', import.meta.url)), 'utf8');
const token = newToken();

const USERS = lanUsers(token.line);

let ta: TestApp;
let nginx: TestNginx;
t.before(async () => {
  ta = await startTestApp({ users: USERS, general: 'prefix = asterisk\ntrustproxy = 127.0.0.1\nauthlimit = 3\nhttptimeout = 60\nmetricspermit = 127.0.0.1' });
  const port = await freePort();
  const site = SHIPPED.replace('server 127.0.0.1:8088;', `server 127.0.0.1:${ta.port};`).replace('listen 80;', `listen 127.0.0.1:${port};`);
  if (site.includes('127.0.0.1:8088') || !site.includes(`listen 127.0.0.1:${port};`)) throw new Error('conf/nginx/ajam-proxy.conf no longer has the listen/upstream lines this test adapts');
  nginx = await startNginx(site, port);
});
t.teardown(async () => {
  await nginx?.close();
  await ta?.close();
});

interface Reply {
  status: number;
  body: string;
  setCookie: string | undefined;
}

/** One request from `local` to `port` (nginx's or the proxy's). */
async function from(local: string, port: number, path: string, extra = ''): Promise<Reply> {
  const c = new RawClient(port, '127.0.0.1', local);
  try {
    const r = await c.request(get(path, extra));
    return { status: r.status, body: r.body.toString(), setCookie: header(r, 'Set-Cookie') };
  } finally {
    c.close();
  }
}

const viaNginx = (local: string, path: string, extra = ''): Promise<Reply> => from(local, nginx.port, `/asterisk${path}`, extra);
const login = (user: string, secret: string): string => `/rawman?action=Login&Username=${user}&Secret=${secret}`;
const cookieOf = (r: Reply): string => `Cookie: ${r.setCookie!.split(';')[0]}\r\n`;
const received = (marker: string): string[] => ta.app.sim!.received.filter((m) => m.get('Marker') === marker).map((m) => m.get('Action') ?? '');

t.test('the shipped site: long-poll timeouts above the WaitEvent maximum, forwarding headers, no buffering', async (t) => {
  const timeout = (name: string): number => Number(new RegExp(`^\\s*${name}\\s+(\\d+)s;`, 'm').exec(SHIPPED)?.[1]);
  const waitEventMaxS = DEFAULTS.httptimeoutMs / 1000 - 10;
  t.ok(timeout('proxy_read_timeout') > waitEventMaxS, 'proxy_read_timeout > WaitEvent maximum');
  t.ok(timeout('proxy_send_timeout') > waitEventMaxS, 'proxy_send_timeout > WaitEvent maximum');
  t.match(SHIPPED, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  t.match(SHIPPED, /proxy_set_header Upgrade \$http_upgrade;/);
  t.match(SHIPPED, /proxy_buffering off;/);
});

t.test('login, actions and the cookie through nginx at /asterisk/', async (t) => {
  const l = await viaNginx('127.0.0.3', login('lan', 'lanpw'));
  t.equal(l.status, 200, nginx.errors());
  t.match(l.body, /Authentication accepted/, "lan's ACL permits the forwarded 127.0.0.3");
  t.match(l.setCookie ?? '', /Path=\/asterisk;/, 'the cookie lives under the prefix');
  const ping = await viaNginx('127.0.0.3', '/rawman?action=Ping&Marker=ngx-ping&ActionID=n1', cookieOf(l));
  t.match(ping.body, /Response: Success\r\nActionID: n1\r\nPing: Pong/);
  t.same(received('ngx-ping'), ['Ping'], 'the simulator got it');
  const ev = await viaNginx('127.0.0.3', '/mxml?action=UserEvent&UserEvent=ThroughNginx&Marker=ngx-ue', cookieOf(l));
  t.match(ev.body, /<ajax-response>/);
  t.same(received('ngx-ue'), ['UserEvent']);
  const b = await viaNginx('127.0.0.9', '/rawman?action=Ping&Marker=ngx-bearer', `Authorization: Bearer ${token.token}\r\n`);
  t.match(b.body, /Pong/, 'a bearer token through nginx');
  t.equal(b.setCookie, undefined);
  t.same(received('ngx-bearer'), ['Ping']);
});

t.test('WaitEvent through nginx', async (t) => {
  const l = await viaNginx('127.0.0.8', login('admin', 'adminpw'));
  await viaNginx('127.0.0.8', '/rawman?action=WaitEvent&Timeout=0', cookieOf(l));
  const watchers = ta.app.events.waiterCount;
  const pending = viaNginx('127.0.0.8', '/rawman?action=WaitEvent&Timeout=40&ActionID=w', cookieOf(l));
  for (let i = 0; ta.app.events.waiterCount === watchers; i++) {
    if (i > 2000) throw new Error('WaitEvent never parked');
    await new Promise((r) => setTimeout(r, 5));
  }
  ta.app.sim!.emitEvent([['Event', 'ViaNginx'], ['Seq', '7']], 'call');
  const r = await pending;
  t.equal(r.status, 200);
  const got = messages(r.body).filter((m) => field(m, 'Event') === 'ViaNginx');
  t.equal(got.length, 1, 'the event arrived through nginx');
  t.match(r.body, /Event: WaitEventComplete\r\nActionID: w\r\n\r\n$/);
});

t.test('a spoofed X-Forwarded-For is not believed', async (t) => {
  const through = await viaNginx('127.0.0.4', login('lan', 'lanpw'), 'X-Forwarded-For: 127.0.0.3\r\n');
  t.match(through.body, /Authentication failed/, 'nginx appends the real 127.0.0.4; the client-written hop is ignored');
  const direct = await from('127.0.0.4', ta.port, `/asterisk${login('lan', 'lanpw')}`, 'X-Forwarded-For: 127.0.0.3\r\n');
  t.match(direct.body, /Authentication failed/, 'straight to the proxy from an untrusted peer: the header is ignored');
});

t.test('the limiter keys on the forwarded address, not on nginx', async (t) => {
  const limiter = ta.app.limiter;
  for (let i = 0; i < 3; i++) {
    const r = await viaNginx('127.0.0.6', login('admin', 'wrong'));
    t.match(r.body, /Authentication failed/);
  }
  t.ok(limiter.isLocked('127.0.0.6'), 'the client behind nginx is locked out');
  t.notOk(limiter.isLocked('127.0.0.1'), 'nginx is not');
  const locked = await viaNginx('127.0.0.6', login('admin', 'adminpw'));
  t.match(locked.body, /Authentication failed/, 'refused whatever the secret');
  const other = await viaNginx('127.0.0.7', login('admin', 'adminpw'));
  t.match(other.body, /Authentication accepted/, 'another client through the same nginx still logs in');
});

t.test('WebSocket through nginx (Upgrade headers): a bearer token, actions and events', async (t) => {
  const url = `ws://127.0.0.1:${nginx.port}/asterisk/ws`;
  const c = await WsClient.open(url, { authorization: `Bearer ${token.token}` }, '127.0.0.9');
  t.teardown(() => c.close());
  c.send({ Action: 'Ping', ActionID: 'wsn', Marker: 'ngx-ws' });
  t.equal((await c.reply('wsn')).messages![0]!.Ping, 'Pong');
  t.same(received('ngx-ws'), ['Ping']);
  ta.app.sim!.emitEvent([['Event', 'WsViaNginx']], 'call');
  await c.event('WsViaNginx');

  // A wrong token at the upgrade is a failed login of the forwarded client, not of nginx.
  const limiter = ta.app.limiter;
  for (let i = 0; i < 3; i++) {
    const bad = new WsClient(url, { authorization: 'Bearer wrong' }, '127.0.0.10');
    const status = await new Promise<number>((resolve) => bad.ws.once('unexpected-response', (_q, res) => resolve(res.statusCode!)));
    t.equal(status, 401);
  }
  t.ok(limiter.isLocked('127.0.0.10'), 'the client behind nginx is locked out');
  t.notOk(limiter.isLocked('127.0.0.1'), 'nginx is not');
});

t.test('Server-Sent Events through nginx arrive as they happen (proxy_buffering off)', async (t) => {
  const s = new SseClient(nginx.port, '/asterisk/events', { Authorization: `Bearer ${token.token}` }, '127.0.0.11');
  t.teardown(() => s.socket.destroy());
  await s.ready();
  t.equal(s.status, 200, nginx.errors());
  ta.app.sim!.emitEvent([['Event', 'SseViaNginx']], 'call');
  const r = await s.record((rec) => rec.data.includes('SseViaNginx'), 'the event through nginx');
  t.match(r.data, /"Event":"SseViaNginx"/);
});

t.test('metricspermit sees the client behind nginx, not nginx', async (t) => {
  const through = await viaNginx('127.0.0.12', '/metrics');
  t.equal(through.status, 403, 'the client 127.0.0.12 is not in metricspermit, whatever nginx (127.0.0.1) is');
  const direct = await from('127.0.0.1', ta.port, '/asterisk/metrics');
  t.equal(direct.status, 200, 'a local scrape straight to the proxy still works');
});
