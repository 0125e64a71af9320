// The HTTP layer over real loopback sockets with a recording dispatcher (no AMI behind it):
// routing, methods, limits, parameters, headers, cookies, HEAD, POST, static, health, commit.
import t from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpServer } from '../../lib/http/server.ts';
import type { AjamDispatcher } from '../../lib/http/ajam.ts';
import { uwsNative } from '../../lib/http/uws.ts';
import { SessionStore } from '../../lib/session/store.ts';
import type { Session } from '../../lib/session/session.ts';
import { addressOf, type ActionResult, type ClientAddress } from '../../lib/session/types.ts';
import { RawClient, get, header, headerNames, post, rawRequest } from '../helpers/http.ts';
import { setLogLevel } from '../../lib/log.ts';

if (process.env.AJAM_LOG === undefined) setLogLevel('silent');

const SERVER = 'ajam-proxy/test';

interface Call {
  session: Session;
  pairs: Array<readonly [string, string]>;
  address: string;
}

/** Echoes the parameters as an AMI message; `action=hold` parks until released. */
class RecordingDispatcher implements AjamDispatcher {
  calls: Call[] = [];
  commits = 0;
  held: Array<() => void> = [];

  handle(session: Session, pairs: ReadonlyArray<readonly [string, string]>, client: ClientAddress): ActionResult | Promise<ActionResult> {
    // Read at once: the HTTP layer's address source is only valid until the reply is written.
    this.calls.push({ session, pairs: [...pairs], address: addressOf(client) });
    let text = 'Response: Success\r\n';
    for (const [k, v] of pairs) text += `X-${k}: ${v}\r\n`;
    const result: ActionResult = { output: [Buffer.from(text + '\r\n')], commit: () => this.commits++ };
    const action = pairs.find(([k]) => k.toLowerCase() === 'action')?.[1];
    if (action === 'login') {
      // As the real Login: the session is kept only once it logs in.
      store.admitLogin(session, 'tester');
      session.authenticated = true;
    }
    if (action === 'throw') throw new Error('boom');
    if (action === 'hold') return new Promise((resolve) => this.held.push(() => resolve(result)));
    if (action === 'big') return { output: [Buffer.alloc(8 << 20, 0x41)], commit: () => this.commits++ };
    return result;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ajam-static-'));
mkdirSync(join(dir, 'private'));
mkdirSync(join(dir, 'sub'));
writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>');
writeFileSync(join(dir, 'app.js'), 'x=1');
mkdirSync(join(dir, 'sub', 'p'), { recursive: true });
writeFileSync(join(dir, 'sub', 'p', 'a.txt'), 'a');
mkdirSync(join(dir, 'x', 'private'), { recursive: true });
writeFileSync(join(dir, 'x', 'private', 'secret.txt'), 'secret');

const store = new SessionStore({ httptimeout: 60 });
const dispatcher = new RecordingDispatcher();
let ready = true;
const server = new HttpServer({
  host: '127.0.0.1',
  port: 0,
  prefix: '',
  servername: SERVER,
  staticDir: dir,
  store,
  dispatcher,
  health: () => ({ ready, pool: { ready } }),
});
const prefixed = new HttpServer({ host: '127.0.0.1', port: 0, prefix: 'asterisk', servername: '', store, dispatcher });

t.before(async () => {
  await server.listen();
  await prefixed.listen();
});
t.teardown(() => {
  server.close();
  prefixed.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOT_FOUND =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n<title>404 Not Found</title>\r\n</head><body>\r\n' +
  '<h1>Not Found</h1>\r\n<p>The requested URL was not found on this server.</p>\r\n<hr />\r\n' +
  `<address>${SERVER}</address>\r\n</body></html>\r\n`;

// UWS_USE_FALLBACK=1 runs this whole file on the node:http compatibility layer (see uws-compat.test.ts).
const FALLBACK = process.env.UWS_USE_FALLBACK === '1';

t.test('uws native binary is in use unless the fallback is forced', async (t) => {
  t.equal(uwsNative, !FALLBACK);
});

t.test('404 page for unknown paths', async (t) => {
  // `/` redirects to the static page when static is served (test/e2e/first-run.test.ts).
  for (const path of ['/foo', '/rawman/x', '/arawman', '/httpstatus', '/rawmanx']) {
    const r = await rawRequest(server.port, get(path));
    t.equal(r.statusLine, 'HTTP/1.1 404 Not Found', path);
    t.equal(r.body.toString(), NOT_FOUND);
    t.same(headerNames(r), ['Server', 'Cache-Control', 'Content-type', 'Content-Length']);
    t.equal(header(r, 'Content-type'), 'text/html');
    t.equal(header(r, 'Set-Cookie'), undefined, 'no cookie on error pages');
  }
  t.equal(dispatcher.calls.length, 0);
});

t.test('501 for other methods, even on unknown paths', async (t) => {
  for (const m of ['PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    for (const path of ['/rawman', '/nowhere']) {
      const r = await rawRequest(server.port, `${m} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      t.equal(r.statusLine, 'HTTP/1.1 501 Not Implemented', `${m} ${path}`);
      t.match(r.body.toString(), '<p>Attempt to use unimplemented / unsupported method</p>');
    }
  }
  t.equal(dispatcher.calls.length, 0);
});

t.test('path matching', async (t) => {
  for (const path of ['/rawman', '/rawman/', '/RAWMAN', '/RawMan/?action=ping', '/mxml', '/Manager/']) {
    const r = await rawRequest(server.port, get(path));
    t.equal(r.status, 200, path);
  }
  const r1 = await rawRequest(prefixed.port, get('/asterisk/rawman?action=ping'));
  t.equal(r1.status, 200);
  t.match(header(r1, 'Set-Cookie'), /; Path=\/asterisk; HttpOnly; SameSite=Strict$/);
  t.equal(header(r1, 'Server'), undefined, 'blank servername omits Server');
  const r2 = await rawRequest(prefixed.port, get('/rawman?action=ping'));
  t.equal(r2.status, 404);
  t.notMatch(r2.body.toString(), '<address>', 'blank servername omits <address>');
  const r3 = await rawRequest(prefixed.port, get('/ASTERISK/Mxml/'));
  t.equal(r3.status, 200);
});

t.test('AJAM reply headers in Asterisk order and the cookie', async (t) => {
  const r = await rawRequest(server.port, get('/rawman?action=Ping&ActionID=1'));
  t.equal(r.statusLine, 'HTTP/1.1 200 OK');
  // Asterisk: Server, Date, Cache-Control, Content-type, Set-Cookie, Pragma, Content-Length.
  // uWS writes Date (and uWebSockets) just before Content-Length: documented deviation.
  t.same(headerNames(r), ['Server', 'Cache-Control', 'Content-type', 'Set-Cookie', 'Pragma', 'Content-Length']);
  t.equal(header(r, 'Server'), SERVER);
  t.equal(header(r, 'Cache-Control'), 'no-cache, no-store');
  t.equal(header(r, 'Content-type'), 'text/plain');
  t.equal(header(r, 'Pragma'), 'SuppressEvents');
  t.match(header(r, 'Set-Cookie'), /^mansession_id="[0-9a-f]{32}"; Version=1; Max-Age=60; Path=\/; HttpOnly; SameSite=Strict$/);
  t.equal(r.body.toString(), 'Response: Success\r\nX-action: Ping\r\nX-ActionID: 1\r\n\r\n');
  t.equal(Number(header(r, 'Content-Length')), r.body.length);
  t.equal(r.headers.filter(([k]) => k === 'Date').length, 1, 'exactly one Date');

  const x = await rawRequest(server.port, get('/mxml?action=Ping'));
  t.equal(header(x, 'Content-type'), 'text/xml');
  t.equal(
    x.body.toString(),
    "<ajax-response>\n<response type='object' id='unknown'><generic response='Success' x_action='Ping' /></response>\n</ajax-response>\n",
  );
  const h = await rawRequest(server.port, get('/manager?action=Ping'));
  t.equal(header(h, 'Content-type'), 'text/html');
  t.match(h.body.toString(), '<tr><td>X-action</td><td>Ping</td></tr>\n<tr><td colspan="2"><hr></td></tr>\r\n</table></body>\r\n');
});

t.test('mxml ajaxdest/ajaxobjtype: the last of each', async (t) => {
  const r = await rawRequest(server.port, get('/mxml?action=Ping&ajaxdest=a&AJAXDEST=pingdiv&ajaxobjtype=pong'));
  t.match(r.body.toString(), "<response type='object' id='pingdiv'><pong response='Success'");
});

t.test('parameters reach the dispatcher decoded, in order, duplicates kept', async (t) => {
  dispatcher.calls = [];
  await rawRequest(server.port, get('/rawman?action=Originate&Variable=a%3D1&Variable=b=2&x=hello+w%6Frld&flag&=y&%zz=%4'));
  t.same(dispatcher.calls[0]!.pairs, [
    ['action', 'Originate'],
    ['Variable', 'a=1'],
    ['Variable', 'b=2'],
    ['x', 'hello world'],
    ['flag', ''],
    ['%zz', '%4'],
  ]);
  t.equal(dispatcher.calls[0]!.address, '127.0.0.1');
});

t.test('limits', async (t) => {
  dispatcher.calls = [];
  const many = Array.from({ length: 129 }, (_, i) => `k${i}=v`).join('&');
  const r = await rawRequest(server.port, get('/rawman?' + many));
  t.equal(r.statusLine, 'HTTP/1.1 400 Bad Request');
  t.match(r.body.toString(), '<p>Too many parameters</p>');
  const ok = await rawRequest(server.port, get('/rawman?' + Array.from({ length: 128 }, (_, i) => `k${i}=v`).join('&')));
  t.equal(ok.status, 200, '128 parameters are fine');

  const path = '/rawman?a=' + 'x'.repeat(4096 - 'GET /rawman?a='.length);
  t.equal(('GET ' + path).length, 4096);
  t.equal((await rawRequest(server.port, get(path))).status, 200, 'request line of 4096 bytes');
  const long = await rawRequest(server.port, get(path + 'x'));
  t.equal(long.statusLine, 'HTTP/1.1 400 Bad Request');
  t.match(long.body.toString(), '<title>400 Bad Request</title>');
  t.match(long.body.toString(), '<p>Request line too long</p>');

  const body = 'action=ping&x=' + 'y'.repeat(40960 - 14);
  t.equal(body.length, 40960);
  t.equal((await rawRequest(server.port, post('/rawman', body))).status, 200, 'body of 40960 bytes');
  const bc = new RawClient(server.port);
  const big = await bc.request(post('/rawman', body + 'y'));
  t.equal(big.statusLine, 'HTTP/1.1 413 Request Entity Too Large');
  t.equal(header(big, 'Connection'), 'close');
  t.match(big.body.toString(), '<p>Body too large</p>');
  await bc.waitClosed();
  t.pass('connection closed after 413');

  // chunked: no Content-Length up front, the cap applies while reading
  const chunk = 'z'.repeat(30000);
  const chunked =
    'POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n' +
    `${chunk.length.toString(16)}\r\n${chunk}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
  const c = await rawRequest(server.port, chunked);
  t.equal(c.status, 413);

  // An invalid Content-Length: uWS drops the connection itself before we see the request.
  const before = dispatcher.calls.length;
  const badCl = await rawRequest(
    server.port,
    'POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1x\r\n\r\n',
  ).catch((e: Error) => e);
  if (badCl instanceof Error) t.match(badCl.message, 'connection closed');
  else t.equal(badCl.status, 400);
  t.equal(dispatcher.calls.length, before);
  t.equal(dispatcher.calls.filter((c) => c.pairs.length > 200).length, 0);
});

t.test('POST', async (t) => {
  dispatcher.calls = [];
  const r = await rawRequest(server.port, post('/rawman?action=ignored&ajaxdest=q', 'action=Ping&ActionID=p%201'));
  t.equal(r.status, 200);
  t.same(dispatcher.calls[0]!.pairs, [
    ['action', 'Ping'],
    ['ActionID', 'p 1'],
  ], 'query string ignored');
  await rawRequest(server.port, post('/rawman', 'action=Ping', 'Application/X-WWW-Form-URLEncoded; charset=utf-8'));
  t.same(dispatcher.calls[1]!.pairs, [['action', 'Ping']]);
  await rawRequest(server.port, post('/rawman?action=Ping', 'action=Ping', 'text/plain'));
  t.same(dispatcher.calls[2]!.pairs, [], 'other content types give no parameters');
  await rawRequest(server.port, post('/rawman?action=Ping', '', 'application/x-www-form-urlencoded'));
  t.same(dispatcher.calls[3]!.pairs, [], 'empty body');
  const chunked =
    'POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '7\r\naction=\r\n4\r\nPing\r\n0\r\n\r\n';
  t.equal((await rawRequest(server.port, chunked)).status, 200);
  t.same(dispatcher.calls[4]!.pairs, [['action', 'Ping']], 'chunked body');
});

t.test('HEAD runs the action and keeps Content-Length', async (t) => {
  dispatcher.calls = [];
  const full = await rawRequest(server.port, get('/rawman?action=Ping'));
  const c = new RawClient(server.port);
  const r = await c.request('HEAD /rawman?action=Ping HTTP/1.1\r\nHost: x\r\n\r\n', true);
  t.equal(r.status, 200);
  t.equal(r.body.length, 0);
  t.equal(header(r, 'Content-Length'), String(full.body.length));
  t.equal(dispatcher.calls.length, 2, 'HEAD ran the action');
  // keep-alive still framed correctly after HEAD
  const again = await c.request(get('/rawman?action=Ping'));
  t.equal(again.status, 200);
  c.close();
});

t.test('cookies', async (t) => {
  dispatcher.calls = [];
  const r = await rawRequest(server.port, get('/rawman?action=login'));
  const id = /mansession_id="([0-9a-f]+)"/.exec(header(r, 'Set-Cookie')!)![1]!;
  const s = dispatcher.calls[0]!.session;
  t.equal(s.id, id);

  const same = async (cookie: string): Promise<string> => {
    const res = await rawRequest(server.port, get('/rawman?action=ping', cookie));
    return dispatcher.calls.at(-1)!.session.id + ' ' + /"([0-9a-f]+)"/.exec(header(res, 'Set-Cookie')!)![1];
  };
  t.equal(await same(`Cookie: mansession_id="${id}"\r\n`), `${id} ${id}`, 'quoted');
  t.equal(await same(`Cookie: mansession_id=${id}\r\n`), `${id} ${id}`, 'unquoted');
  t.equal(await same(`Cookie: a=b; MANSESSION_ID=${id.toUpperCase()}; c=d\r\n`), `${id} ${id}`, 'case-insensitive');
  t.equal(await same(`Cookie: mansession_id=deadbeef; mansession_id="${id}"\r\n`), `${id} ${id}`, 'last in header wins');
  t.equal(
    await same(`Cookie: mansession_id=${id}\r\nCookie: other=1; mansession_id="${id}"\r\n`),
    `${id} ${id}`,
    'last Cookie header',
  );
  const other = await same(`Cookie: mansession_id="${id}"\r\nCookie: x=1\r\n`);
  t.not(other.split(' ')[0], id, 'only the last Cookie header counts');
  const fresh = await same('Cookie: mansession_id="0123456789abcdef0123456789abcdef"\r\n');
  t.not(fresh.split(' ')[0], id, 'unknown id → new session');
  t.equal(fresh.split(' ')[0], fresh.split(' ')[1], 'new session id in Set-Cookie');
});

t.test('a dispatcher exception is an AMI error, not a crash', async (t) => {
  const r = await rawRequest(server.port, get('/rawman?action=throw'));
  t.equal(r.status, 200);
  t.equal(r.body.toString(), 'Response: Error\r\nMessage: Internal error\r\n\r\n');
});

t.test('commit after the write; never for an aborted request', async (t) => {
  dispatcher.commits = 0;
  await rawRequest(server.port, get('/rawman?action=ping'));
  t.equal(dispatcher.commits, 1);

  const c = new RawClient(server.port);
  c.socket.write(get('/rawman?action=hold'));
  while (dispatcher.held.length === 0) await new Promise((r) => setImmediate(r));
  c.close();
  await new Promise((r) => c.socket.once('close', r));
  // The server must have read that connection's end before the action finishes. A sleep is no
  // proof (a late timer runs before the next socket read): a request on another connection is,
  // as the end was waiting to be read before that request was even sent.
  await rawRequest(server.port, get('/health'));
  const s = dispatcher.calls.at(-1)!.session;
  t.equal(s.inFlight, 1, 'session in flight while the action runs');
  dispatcher.held.shift()!();
  await server.idle();
  t.equal(dispatcher.commits, 1, 'no commit for the aborted request');
  t.equal(s.inFlight, 0, 'session released');

  // A body larger than the socket takes at once: commit only once fully written.
  const big = new RawClient(server.port);
  const res = await big.request(get('/rawman?action=big'));
  t.equal(res.body.length, 8 << 20);
  t.equal(dispatcher.commits, 2);
  big.close();
});

t.test('keep-alive: many requests on one connection', async (t) => {
  const c = new RawClient(server.port);
  for (let i = 0; i < 20; i++) {
    const r = await c.request(get(`/rawman?action=ping&i=${i}`));
    t.equal(r.status, 200);
    t.notOk(r.closed);
  }
  c.close();
});

t.test('static', async (t) => {
  const r = await rawRequest(server.port, get('/static/index.html'));
  t.equal(r.status, 200);
  t.equal(r.body.toString(), '<h1>hi</h1>');
  t.equal(header(r, 'Content-type'), 'text/html');
  const etag = header(r, 'ETag')!;
  t.match(etag, /^"\d+"$/);
  t.ok(header(r, 'Last-Modified'));
  t.equal(header(r, 'Cache-Control'), undefined);
  t.equal(header((await rawRequest(server.port, get('/static/app.js'))), 'Content-type'), 'application/javascript');
  t.equal((await rawRequest(server.port, get('/STATIC/sub/p/a.txt'))).body.toString(), 'a');
  const nm = await rawRequest(server.port, get('/static/index.html', `If-None-Match: ${etag}\r\n`), true);
  t.equal(nm.status, 304);
  const h = await rawRequest(server.port, 'HEAD /static/index.html HTTP/1.1\r\nHost: x\r\n\r\n', true);
  t.equal(h.status, 200);
  t.equal(header(h, 'Content-Length'), '11');

  for (const p of ['/static/missing.html', '/static/sub', '/static/sub/']) {
    t.equal((await rawRequest(server.port, get(p))).status, 404, p);
  }
  for (const p of ['/static/', '/static', '/static/.hidden', '/static/sub/../index.html', '/static/~x', '/static/%2e%2e/x', '/static/x/private/secret.txt']) {
    const d = await rawRequest(server.port, get(p));
    t.equal(d.statusLine, 'HTTP/1.1 403 Access Denied', p);
  }
  t.equal((await rawRequest(server.port, post('/static/index.html', ''))).status, 501);
  // /private/ needs an authenticated session
  const login = await rawRequest(server.port, get('/rawman?action=login'));
  const cookie = header(login, 'Set-Cookie')!.split(';')[0]!;
  const priv = await rawRequest(server.port, get('/static/x/private/secret.txt', `Cookie: ${cookie}\r\n`));
  t.equal(priv.status, 200);
  t.equal(priv.body.toString(), 'secret');
  // no static folder configured → 404
  t.equal((await rawRequest(prefixed.port, get('/asterisk/static/index.html'))).status, 404);
});

t.test('health', async (t) => {
  const r = await rawRequest(server.port, get('/health'));
  t.equal(r.status, 200);
  const j = JSON.parse(r.body.toString());
  t.equal(j.status, 'ok');
  t.equal(j.uws, FALLBACK ? 'fallback' : 'native');
  t.equal(typeof j.sessions, 'number');
  t.same(j.pool, { ready: true });
  ready = false;
  const d = await rawRequest(server.port, get('/health'));
  t.equal(d.status, 503);
  t.equal(JSON.parse(d.body.toString()).status, 'unavailable');
  ready = true;
});
