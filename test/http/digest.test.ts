import t from 'tap';
import { DigestSessions, NONCE_LIFETIME_MS, digestResponse, parseDigest, wwwAuthenticate } from '../../lib/http/digest.ts';
import type { DigestAuth } from '../../lib/http/digest.ts';
import { SessionStore } from '../../lib/session/store.ts';
import { EventLog } from '../../lib/events/event-log.ts';
import type { User } from '../../lib/auth/types.ts';

t.test('parseDigest', async (t) => {
  const a = parseDigest(
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", ' +
      'opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  );
  t.same(a, {
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    uri: '/dir/index.html',
    response: '6629fae49393a05397450978507c4ef1',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
  });
  t.equal(parseDigest('digest username="a\\"b",nonce=n,uri="/x",response=r')!.username, 'a"b', 'escapes, any case');
  t.equal(parseDigest('Basic YWRtaW46YWRtaW4='), undefined);
  t.equal(parseDigest(''), undefined);
  t.equal(parseDigest('Digest username="a", nonce="n"'), undefined, 'response and uri required');
  t.equal(parseDigest('Digest username="a" nonce="n"'), undefined, 'malformed');
});

t.test('digestResponse: RFC 2617 example and RFC 2069 form', async (t) => {
  const a: DigestAuth = {
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    uri: '/dir/index.html',
    response: '',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
  };
  t.equal(digestResponse(a, 'Circle Of Life', 'GET', 'testrealm@host.com'), '6629fae49393a05397450978507c4ef1');
  t.equal(digestResponse({ ...a, qop: '' }, 'Circle Of Life', 'GET', 'testrealm@host.com'), '670fd8c2df070c60b045671b8b24ff02');
});

t.test('wwwAuthenticate as Asterisk', async (t) => {
  t.equal(wwwAuthenticate('57d6ae76', false), 'Digest algorithm=MD5, realm="asterisk", nonce="57d6ae76", qop="auth", opaque="57d6ae76"');
  t.equal(wwwAuthenticate('n', true), 'Digest algorithm=MD5, realm="asterisk", nonce="n", qop="auth", opaque="n", stale=true');
});

function user(name: string, secret: string, allowed = true): User {
  return { name, secret, read: 0x7fffffff, write: 0x7fffffff, allows: () => allowed, eventFilters: [], allowMultipleLogin: true };
}

t.test('DigestSessions', async (t) => {
  const store = new SessionStore({ httptimeout: 60 });
  t.teardown(() => store.close());
  const users = new Map([
    ['admin', user('admin', 'pw')],
    ['far', user('far', 'pw', false)],
  ]);
  const ds = new DigestSessions(store, users, new EventLog());
  let cnonce = 0;
  const header = (nonce: string, nc: number, name = 'admin', secret = 'pw', uri = '/arawman?action=ping'): string => {
    const a: DigestAuth = { username: name, realm: 'asterisk', nonce, uri, response: '', qop: 'auth', nc: nc.toString(16).padStart(8, '0'), cnonce: String(++cnonce) };
    const response = digestResponse(a, secret, 'GET');
    return `Digest username="${name}", realm="asterisk", nonce="${nonce}", uri="${uri}", response="${response}", qop=auth, nc=${a.nc}, cnonce="${a.cnonce}"`;
  };
  const t0 = 1_000_000_000_000;

  const first = ds.authorize('', 'GET', '127.0.0.1', t0);
  t.equal(first.kind, 'unauthorized');
  const nonce = (first as { nonce: string }).nonce;
  t.match(nonce, /^[0-9a-f]{32}$/);
  t.not(ds.newNonce(t0 + 1), nonce);

  const ok = ds.authorize(header(nonce, 1), 'GET', '127.0.0.1', t0 + 10);
  t.equal(ok.kind, 'ok');
  const s = (ok as { session: import('../../lib/session/session.ts').Session }).session;
  t.ok(s.authenticated);
  t.equal(s.username, 'admin');
  t.equal(s.eventMask, 0, 'events off until the first WaitEvent');
  t.equal(s.inFlight, 1);
  store.release(s);

  const again = ds.authorize(header(nonce, 2), 'GET', '127.0.0.1', t0 + 20);
  t.equal(again.kind, 'ok');
  t.equal((again as { session: unknown }).session, s, 'same nonce, same session');
  store.release(s);

  const replay = ds.authorize(header(nonce, 2), 'GET', '127.0.0.1', t0 + 30);
  t.equal(replay.kind, 'unauthorized', 'nc not increasing');
  t.equal((replay as { stale: boolean }).stale, true);
  const renewed = (replay as { nonce: string }).nonce;
  t.not(renewed, nonce);
  const old = ds.authorize(header(nonce, 9), 'GET', '127.0.0.1', t0 + 40);
  t.same(old, { kind: 'unauthorized', nonce: renewed, stale: true }, 'the old nonce points at the new one');
  const follow = ds.authorize(header(renewed, 1), 'GET', '127.0.0.1', t0 + 50);
  t.equal((follow as { session: unknown }).session, s, 'the session follows the new nonce');
  store.release(s);

  const late = ds.authorize(header(renewed, 2), 'GET', '127.0.0.1', t0 + 30 + NONCE_LIFETIME_MS + 1);
  t.equal(late.kind, 'unauthorized', 'a nonce older than 62 s is renewed');
  t.equal((late as { stale: boolean }).stale, true);

  t.equal(ds.authorize(header(nonce, 5, 'admin', 'wrong'), 'GET', '127.0.0.1', t0).kind, 'unauthorized', 'wrong secret');
  const wrong = ds.authorize(header(nonce, 5, 'nobody'), 'GET', '127.0.0.1', t0);
  t.equal((wrong as { stale: boolean }).stale, false, 'unknown user: plain 401');
  t.equal(ds.authorize(header('00112233445566778899aabbccddeeff', 1), 'GET', '127.0.0.1', t0).kind, 'unauthorized', 'a nonce we never issued');
  t.equal(ds.authorize(header(nonce, 1, 'far'), 'GET', '10.9.9.9', t0).kind, 'forbidden', 'ACL');
  const basic = ds.authorize('Basic YWRtaW46cHc=', 'GET', '127.0.0.1', t0);
  t.equal((basic as { stale: boolean }).stale, false);

  // Logoff (session destroyed): the same nonce starts a new session.
  store.destroy(s);
  const n2 = ds.newNonce(t0 + 100);
  const fresh = ds.authorize(header(n2, 1), 'GET', '127.0.0.1', t0 + 110);
  t.equal(fresh.kind, 'ok');
  t.not((fresh as { session: unknown }).session, s);
});
