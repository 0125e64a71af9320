// The digest endpoints (/arawman, /amxml, /amanager) through the whole stack, compared with
// Asterisk 22's captures 13a-13f: 401 challenge, digest-authenticated Ping in the three formats,
// wrong password, Basic refused; no Set-Cookie; stale nonces; ACL; events after WaitEvent.
import t from 'tap';
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { RawClient, header, headerNames } from '../helpers/http.ts';
import type { RawResponse } from '../helpers/http.ts';
import { startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { CHALLENGE, DigestClient } from '../helpers/digest-client.ts';

const CAPTURES = new URL('../fixtures/asterisk-22/', import.meta.url);

/** The last response of a capture file (curl --digest shows the 401 first). */
function capture(name: string): { statusLine: string; names: string[]; body: string } {
  const raw = readFileSync(new URL(name, CAPTURES), 'latin1');
  const start = raw.lastIndexOf('HTTP/1.1 ');
  const end = raw.indexOf('\r\n\r\n', start);
  const lines = raw.slice(start, end).split('\r\n');
  return { statusLine: lines[0]!, names: lines.slice(1).map((l) => l.slice(0, l.indexOf(':'))), body: raw.slice(end + 4) };
}

const norm = (s: string): string => s.replace(/\b\d{10}\.\d{1,6}\b/g, 'TS');

function same(t: Test, ours: RawResponse, name: string): void {
  const cap = capture(name);
  t.equal(ours.statusLine, cap.statusLine, `${name}: status`);
  t.same(headerNames(ours), cap.names.filter((k) => k !== 'Date'), `${name}: headers`);
  t.equal(norm(ours.body.toString('latin1')), norm(cap.body), `${name}: body`);
}

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp();
});
t.teardown(() => ta.close());

t.test('401 without credentials, as capture 13a', async (t) => {
  const c = new RawClient(ta.port);
  t.teardown(() => c.close());
  const r = await c.request('GET /arawman?action=ping HTTP/1.1\r\nHost: x\r\n\r\n');
  same(t, r, 'http_13a_arawman_no_auth.txt');
  t.match(header(r, 'WWW-authenticate'), CHALLENGE);
  t.notOk(header(r, 'Set-Cookie'));
});

t.test('digest Ping in the three formats (13b-d)', async (t) => {
  const c = new DigestClient(ta.port, 'admin', 'adminpw');
  t.teardown(() => c.close());
  same(t, await c.get('/arawman?action=ping'), 'http_13b_arawman_digest_ping.txt');
  same(t, await c.get('/amxml?action=ping'), 'http_13c_amxml_digest_ping.txt');
  same(t, await c.get('/amanager?action=ping'), 'http_13d_amanager_digest_ping.txt');
  const r = await c.get('/arawman?action=Status&ActionID=d1');
  t.match(r.body.toString(), /^Response: Success\r\nActionID: d1\r\nEventList: start\r\n/);
  t.notOk(header(r, 'Set-Cookie'), 'no cookie');
  t.notOk(header(r, 'Pragma'), 'no Pragma');
  t.equal(ta.app.store.size >= 1, true);
});

t.test('wrong password and Basic are refused (13e, 13f)', async (t) => {
  const bad = new DigestClient(ta.port, 'admin', 'nope');
  t.teardown(() => bad.close());
  const r = await bad.get('/arawman?action=ping');
  t.equal(r.status, 401, 'never gets in');
  const c = new RawClient(ta.port);
  t.teardown(() => c.close());
  const basic = await c.request(
    `GET /arawman?action=ping HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from('admin:adminpw').toString('base64')}\r\n\r\n`,
  );
  same(t, basic, 'http_13f_arawman_basic_auth.txt');
  const e = await c.request('GET /arawman?action=ping HTTP/1.1\r\nHost: x\r\nAuthorization: Digest username="admin", nonce="x", uri="/", response="0"\r\n\r\n');
  same(t, e, 'http_13e_arawman_digest_badpw.txt');
});

t.test('replayed nc: stale=true, then the same session goes on', async (t) => {
  const c = new DigestClient(ta.port, 'admin', 'adminpw');
  t.teardown(() => c.close());
  await c.get('/arawman?action=Ping');
  const sessions = ta.app.store.size;
  c.nc = 0;
  const replay = await c.raw.request(`GET /arawman?action=Ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${c.auth('GET', '/arawman?action=Ping')}\r\n\r\n`);
  t.equal(replay.status, 401);
  t.match(header(replay, 'WWW-authenticate'), /, stale=true$/);
  const after = await c.get('/arawman?action=Ping');
  t.match(after.body.toString(), /^Response: Success\r\nPing: Pong/);
  t.equal(ta.app.store.size, sessions, 'no new session');
});

t.test('digest session: events start at its first WaitEvent; Logoff ends it', async (t) => {
  const c = new DigestClient(ta.port, 'admin', 'adminpw');
  t.teardown(() => c.close());
  await c.get('/arawman?action=WaitEvent&Timeout=0');
  ta.app.sim!.emitEvent(
    [
      ['Event', 'DigestEvent'],
      ['N', '1'],
    ],
    'call',
  );
  const r = await c.get('/arawman?action=WaitEvent&Timeout=5');
  t.match(r.body.toString(), 'Event: DigestEvent\r\nPrivilege: call,all\r\nN: 1\r\n');
  const bye = await c.get('/arawman?action=Logoff');
  t.match(bye.body.toString(), /^Response: Goodbye/);
  const again = await c.get('/arawman?action=Ping');
  t.match(again.body.toString(), /^Response: Success/, 'a new session on the next request');
});

t.test('user ACL on every request: 403', async (t) => {
  const c = new DigestClient(ta.port, 'remote', 'remotepw');
  t.teardown(() => c.close());
  c.nonce = ta.app.server.ajam.digest!.newNonce();
  const r = await c.raw.request(`GET /arawman?action=Ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${c.auth('GET', '/arawman?action=Ping')}\r\n\r\n`);
  t.equal(r.statusLine, 'HTTP/1.1 403 Permission denied');
  t.match(r.body.toString(), '<p>Permission denied</p>');
});

t.test('wallboard over digest keeps its classes', async (t) => {
  const c = new DigestClient(ta.port, 'wallboard', 'wallpw');
  t.teardown(() => c.close());
  const r = await c.get('/arawman?action=Command&Command=core+show+uptime&ActionID=w');
  t.equal(r.body.toString(), 'Response: Error\r\nActionID: w\r\nMessage: Permission denied\r\n\r\n');
});
