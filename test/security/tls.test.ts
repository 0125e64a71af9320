// HTTPS (issue 7 §5): `tlsenable` serves the same endpoints over TLS beside plain HTTP (uWS SSLApp;
// the node:http compatibility layer runs this file again, see test/http/uws-compat.test.ts), with a
// self-signed certificate the test makes with openssl; `httpenable = no` leaves only HTTPS; bad
// certificate files stop the start with a clear message. Clients verify the certificate.
import t from 'tap';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { loadConfig } from '../../lib/config/config.ts';
import { startApp } from '../../lib/app.ts';
import { newToken } from '../../lib/auth/tokens.ts';

const dir = mkdtempSync(join(tmpdir(), 'ajam-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cert: TestCertificate = makeCertificate(dir);
const token = newToken();

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpsGet(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, ca: cert.cert, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The TLS listener settings for a TestApp; the port is replaced by a free one after loading. */
function tlsGeneral(extra = ''): string {
  return `tlsenable = yes\ntlsbindaddr = 127.0.0.1:8089\ntlscertfile = ${cert.certFile}\ntlsprivatekey = ${cert.keyFile}\n${extra}`;
}

async function startTls(general: string): Promise<TestApp> {
  return startTestApp({
    general,
    users: `[admin]\nsecret = adminpw\nread = all\nwrite = all\n${token.line}\n`,
    configure: (config) => {
      if (config.general.tls !== undefined) config.general.tls.port = 0;
    },
  });
}

t.test('HTTPS beside plain HTTP: same endpoints, cookie marked Secure only over HTTPS', async (t) => {
  const ta = await startTls(tlsGeneral());
  t.teardown(() => ta.close());
  t.ok(ta.app.tlsPort > 0, 'HTTPS bound');
  t.ok(ta.app.port > 0 && ta.app.port !== ta.app.tlsPort, 'plain HTTP bound too');

  const login = await httpsGet(ta.app.tlsPort, '/rawman?action=login&username=admin&secret=adminpw');
  t.equal(login.status, 200);
  t.match(login.body, /Authentication accepted/);
  const setCookie = String(login.headers['set-cookie']);
  t.match(setCookie, /; Secure/, 'Secure over HTTPS');
  const cookie = setCookie.split(';')[0]!;
  const ping = await httpsGet(ta.app.tlsPort, '/rawman?action=Ping&Marker=tls-cookie', { cookie });
  t.match(ping.body, /Pong/);
  t.equal(ta.app.sim!.received.filter((m) => m.get('Marker') === 'tls-cookie').length, 1, 'the simulator got the Ping');

  const bearer = await httpsGet(ta.app.tlsPort, '/mxml?action=Ping&Marker=tls-bearer', { authorization: `Bearer ${token.token}` });
  t.match(bearer.body, /Pong/);
  t.equal(bearer.headers['set-cookie'], undefined);
  t.equal(ta.app.sim!.received.filter((m) => m.get('Marker') === 'tls-bearer').length, 1);

  const plain = await fetch(`http://127.0.0.1:${ta.app.port}/rawman?action=login&username=admin&secret=adminpw`);
  t.match(await plain.text(), /Authentication accepted/);
  t.notMatch(plain.headers.get('set-cookie') ?? '', /Secure/, 'no Secure over plain HTTP');

  const health = await httpsGet(ta.app.tlsPort, '/health');
  t.equal(health.status, 200);
});

t.test('plain HTTP on the TLS port is not served', async (t) => {
  const ta = await startTls(tlsGeneral());
  t.teardown(() => ta.close());
  const reply = await new Promise<string>((resolve) => {
    const s = connect(ta.app.tlsPort, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.write('GET /rawman?action=Ping&Marker=cleartext HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => s.destroy(), 2000).unref();
  });
  t.notMatch(reply, /Pong/);
  t.equal(ta.app.sim!.received.filter((m) => m.get('Marker') === 'cleartext').length, 0, 'nothing reached the simulator');
});

t.test('httpenable = no: only HTTPS listens', async (t) => {
  const ta = await startTls(tlsGeneral('httpenable = no'));
  t.teardown(() => ta.close());
  t.equal(ta.app.port, 0, 'no plain port');
  const r = await httpsGet(ta.app.tlsPort, '/rawman?action=Ping', { authorization: `Bearer ${token.token}` });
  t.match(r.body, /Pong/);
});

t.test('config: tlsenable needs a certificate, httpenable = no needs TLS, files must exist', async (t) => {
  const users = join(dir, 'u.conf');
  writeFileSync(users, '[admin]\nsecret = a\nread = all\nwrite = all\n');
  const load = (general: string): (() => unknown) => {
    const file = join(dir, 'c.conf');
    writeFileSync(file, `[general]\nusers = u.conf\n${general}\n[asterisk]\nsimulate = yes\n`);
    return () => loadConfig(file);
  };
  t.throws(load('tlsenable = yes'), /c\.conf:\d+: tlsenable = yes needs tlscertfile/);
  t.throws(load('httpenable = no'), /c\.conf:\d+: httpenable = no needs tlsenable = yes/);
  t.throws(load(`tlsenable = yes\ntlscertfile = ${join(dir, 'missing.pem')}`), /tlscertfile: '.*missing\.pem' is not a readable file/);
  t.throws(load(`tlsenable = yes\ntlscertfile = ${cert.certFile}\ntlsbindaddr = 127.0.0.1:99999`), /tlsbindaddr: expected HOST:PORT/);
  const ok = load(`tlsenable = yes\ntlscertfile = ${cert.certFile}\ntlsbindaddr = [::1]:8443`)() as ReturnType<typeof loadConfig>;
  t.same(ok.general.tls, { host: '::1', port: 8443, certFile: cert.certFile, keyFile: cert.certFile }, 'the key defaults to the certificate file (a PEM holding both)');
  const off = load('tlsenable = no')() as ReturnType<typeof loadConfig>;
  t.equal(off.general.tls, undefined);
});

t.test('unusable certificate files stop the start with a message naming them', async (t) => {
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
  const other = makeCertificate(dir, 'other');
  const users = join(dir, 'u2.conf');
  writeFileSync(users, '[admin]\nsecret = a\nread = all\nwrite = all\n');
  for (const [what, certFile, keyFile] of [
    ['garbage certificate', garbage, cert.keyFile],
    ['key of another certificate', cert.certFile, other.keyFile],
  ] as const) {
    const file = join(dir, 'bad.conf');
    writeFileSync(
      file,
      `[general]\nusers = u2.conf\nbindport = 8088\ntlsenable = yes\ntlscertfile = ${certFile}\ntlsprivatekey = ${keyFile}\n[asterisk]\nsimulate = yes\n`,
    );
    const config = loadConfig(file);
    config.general.bindport = 0;
    config.general.tls!.port = 0;
    await t.rejects(startApp(config, { simulateCalls: false }), { message: /^TLS: certificate .* not usable/ }, what);
  }
});
