// Wrong Bearer/Basic credentials on /ws and /events behave as on the AJAM endpoints (issue 7):
// the 401 comes only after the failed-login delay, that wait holds nothing else (other clients are
// served meanwhile), each attempt counts for the brute-force limiter, and a locked address is
// refused at once. The delay here is a minute, so "not answered yet" is checked at an ordered point
// (after other requests were fully served), never by the clock.
import t from 'tap';
import net from 'node:net';
import { USERS, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { WsClient, SseClient } from '../helpers/push.ts';
import { newToken } from '../../lib/auth/tokens.ts';
import { until } from '../helpers/until.ts';

const token = newToken();
const users = USERS.replace('[wallboard]\n', `[wallboard]\n${token.line}\n`);

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ users, general: 'allowbasic = yes\nauthlimit = 4\nauthwindow = 600', loginFailDelayMs: 60_000 });
});
t.teardown(() => ta.close());

/** A raw request from one loopback address; `bytes` holds what came back so far. */
class Raw {
  readonly sock: net.Socket;
  bytes = Buffer.alloc(0);
  closed = false;
  constructor(from: string, request: string) {
    this.sock = net.connect({ host: '127.0.0.1', port: ta.port, localAddress: from }, () => this.sock.write(request));
    this.sock.on('data', (c: Buffer) => (this.bytes = Buffer.concat([this.bytes, c])));
    this.sock.on('close', () => (this.closed = true));
    this.sock.on('error', () => undefined);
  }
  get text(): string {
    return this.bytes.toString('latin1');
  }
}

const upgrade = (auth: string): string =>
  'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: ${auth}\r\n\r\n`;
const events = (auth: string): string => `GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\n\r\n`;
const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

t.test('a wrong token or Basic secret waits for the delay without holding anyone else, and counts', async (t) => {
  const from = '127.0.0.31';
  const failuresBefore = ta.app.limiter.totals.failures;
  const pending = [
    new Raw(from, upgrade('Bearer not-a-token')),
    new Raw(from, events('Bearer not-a-token')),
    new Raw(from, upgrade(basic('admin', 'wrong'))),
  ];
  await until(() => ta.app.limiter.totals.failures === failuresBefore + 3, 'the three attempts counted as failed logins');
  // Other clients, from the same address too, are served while those wait.
  const ws = await WsClient.open(`ws://127.0.0.1:${ta.port}/ws`, { authorization: `Bearer ${token.token}` });
  ws.send({ Action: 'Ping', ActionID: 'p' });
  t.equal((await ws.reply('p')).messages![0]!.Ping, 'Pong', 'a good token is served meanwhile');
  ws.close();
  const sse = new SseClient(ta.port, '/events', { Authorization: basic('admin', 'adminpw') });
  await sse.ready();
  t.equal(sse.status, 200, 'a good Basic login is served meanwhile');
  sse.close();
  for (const [i, p] of pending.entries()) {
    t.equal(p.text, '', `attempt ${i}: no answer before the failure delay`);
    t.notOk(p.closed, `attempt ${i}: still waiting`);
  }
  // A client that gives up during the delay costs nothing (its timer finds it gone).
  pending[0]!.sock.destroy();
  t.notOk(ta.app.limiter.isLocked(from), 'three failures: not locked yet (authlimit = 4)');
  for (const p of pending.slice(1)) p.sock.destroy();
});

t.test('an address locked by push attempts is refused at once, even with the right token', async (t) => {
  const from = '127.0.0.32';
  const tries = Array.from({ length: 4 }, () => new Raw(from, events('Bearer wrong')));
  await until(() => ta.app.limiter.isLocked(from), 'locked after authlimit failures');
  const locked = new Raw(from, upgrade(`Bearer ${token.token}`));
  await until(() => locked.text.includes('\r\n\r\n'), 'the locked address is answered');
  t.match(locked.text, /^HTTP\/1\.1 401 /, 'refused at once, the right token notwithstanding');
  t.ok(tries.every((r) => r.text === ''), 'the counted failures still wait for their delay');
  for (const r of [...tries, locked]) r.sock.destroy();
  // Another address is not affected.
  const ok = new SseClient(ta.port, '/events', { Authorization: `Bearer ${token.token}` });
  await ok.ready();
  t.equal(ok.status, 200);
  ok.close();
});
