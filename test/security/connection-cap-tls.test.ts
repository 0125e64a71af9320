// `maxconnections` with HTTPS beside plain HTTP: the cap counts both listeners' connections, closes
// both listen sockets at the cap (no way around it through the other port) and reopens both below
// the low-water mark (neither stays shut). While closed, their ports stay held: another program
// cannot listen there (it would get the next clients' secrets, and keep the proxy out for good).
// Raw and TLS sockets on loopback; certificate from openssl.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { makeCertificate } from '../helpers/tls.ts';
import { startTestApp } from '../helpers/app.ts';
import { until } from '../helpers/until.ts';

const MAX = 4;
const dir = mkdtempSync(join(tmpdir(), 'ajam-cap-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cert = makeCertificate(dir);
const PING = 'GET /rawman?action=Ping HTTP/1.1\r\nHost: x\r\n\r\n';

/** One connection on `port` (TLS when `tls`), after one request answered on it; or why it failed. */
function served(port: number, tls: boolean): Promise<Socket | string> {
  return new Promise((resolve) => {
    const s: Socket = tls ? tlsConnect({ host: '127.0.0.1', port, ca: cert.cert }) : tcpConnect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      // Not logged in: Asterisk's `Permission denied` is a whole answer too.
      if (text.includes('\r\n\r\nResponse: ') && text.endsWith('\r\n\r\n')) resolve(s);
    });
    s.once(tls ? 'secureConnect' : 'connect', () => s.write(PING));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('close', () => resolve('closed without an answer'));
  });
}

t.test('the cap closes and reopens both the HTTP and the HTTPS listener', async (t) => {
  const ta = await startTestApp({
    general: `maxconnections = ${MAX}\ntlsenable = yes\ntlsbindaddr = 127.0.0.1:8089\ntlscertfile = ${cert.certFile}\ntlsprivatekey = ${cert.keyFile}`,
    configure: (config) => {
      if (config.general.tls !== undefined) config.general.tls.port = 0;
    },
  });
  t.teardown(() => ta.close());
  const cap = ta.app.server.cap!;
  const plain = ta.app.port;
  const tls = ta.app.tlsPort;
  const held: Socket[] = [];
  for (let i = 0; i < MAX; i++) {
    const s = await served(i % 2 === 0 ? plain : tls, i % 2 === 1);
    if (typeof s === 'string') throw new Error(`connection ${i} before the cap: ${s}`);
    held.push(s);
  }
  await until(() => !cap.accepting, 'the cap to close the listeners');
  t.ok(cap.lastCount >= MAX, `both listeners' connections counted (${cap.lastCount})`);
  t.type(await served(plain, false), 'string', 'plain HTTP refuses new connections');
  t.type(await served(tls, true), 'string', 'and so does HTTPS');
  for (const s of held.splice(0, 2)) s.destroy();
  await until(() => cap.accepting, 'the listeners to reopen');
  for (const [port, isTls] of [[plain, false], [tls, true]] as const) {
    const s = await served(port, isTls);
    t.not(typeof s, 'string', `${isTls ? 'HTTPS' : 'plain HTTP'} serves again (${typeof s === 'string' ? s : 'served'})`);
    if (typeof s !== 'string') s.destroy();
  }
  for (const s of held) s.destroy();
});

t.test('while the cap has the listeners closed, no other program can listen on their port', async (t) => {
  const ta = await startTestApp({ general: `maxconnections = ${MAX}` });
  t.teardown(() => ta.close());
  const cap = ta.app.server.cap!;
  const held: Socket[] = [];
  for (let i = 0; i < MAX; i++) {
    const s = await served(ta.port, false);
    if (typeof s === 'string') throw new Error(`connection ${i} before the cap: ${s}`);
    held.push(s);
  }
  await until(() => !cap.accepting, 'the cap to close the listener');
  // Another program (any local user) tries to take the port, as SO_REUSEADDR would let it.
  const thief = createServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nstolen'));
  const listened = await new Promise<string>((resolve) => {
    thief.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    thief.listen(ta.port, '127.0.0.1', () => resolve('listening'));
  });
  t.teardown(() => thief.close());
  t.equal(listened, 'EADDRINUSE', 'the port is still taken');
  t.type(await served(ta.port, false), 'string', 'a new client is turned away, not served by anyone');
  for (const s of held) s.destroy();
  await until(() => cap.accepting, 'the listener to reopen');
  const s = await served(ta.port, false);
  t.not(typeof s, 'string', 'the proxy serves its port again');
  if (typeof s !== 'string') s.destroy();
});
