import t from 'tap';
import { once } from 'node:events';
import { AmiConnection, type AmiConnectionOptions } from '../../lib/ami/connection.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';
import type { AjamError } from '../../lib/errors.ts';
import { FakeAmi, asteriskLike } from '../helpers/fake-ami.ts';

async function fake(handler = asteriskLike()): Promise<FakeAmi> {
  const f = new FakeAmi(handler);
  await f.listen();
  return f;
}

function conn(f: FakeAmi, o: Partial<AmiConnectionOptions> = {}): AmiConnection {
  return new AmiConnection({
    host: '127.0.0.1',
    port: f.port,
    username: 'admin',
    secret: 'adminpw',
    events: true,
    backoff: { initialMs: 20, maxMs: 80 },
    ...o,
  });
}

t.test('plain login with events on waits for FullyBooted', async (t) => {
  const f = await fake();
  const c = conn(f);
  const seen: string[] = [];
  c.on('message', (m: AmiMessage) => seen.push(m.event ?? m.response ?? '?'));
  c.start();
  await once(c, 'ready');
  t.equal(c.version, '11.0.0');
  const [login] = f.actions('Login');
  t.equal(login!.get('Username'), 'admin');
  t.equal(login!.get('Secret'), 'adminpw');
  t.equal(login!.get('Events'), 'on');
  t.same(seen, [], 'login response and FullyBooted consumed by the handshake');
  await c.close();
  await f.close();
});

t.test('events off: ready on the login answer (no FullyBooted comes, as in tcp_09 / tcp_08b)', async (t) => {
  const f = await fake();
  const c = conn(f, { events: false, bootTimeoutMs: 200 });
  c.start();
  await once(c, 'ready');
  t.equal(f.actions('Login')[0]!.get('Events'), 'off');
  await c.close();
  await f.close();
});

t.test('MD5 challenge login', async (t) => {
  const f = await fake();
  const c = conn(f, { authType: 'md5', events: false });
  c.start();
  await once(c, 'ready');
  const [ch] = f.actions('Challenge');
  t.equal(ch!.get('AuthType'), 'MD5');
  const [login] = f.actions('Login');
  t.equal(login!.get('AuthType'), 'MD5');
  t.match(login!.get('Key'), /^[0-9a-f]{32}$/);
  t.notOk(login!.has('Secret'), 'the secret never goes on the wire');
  await c.close();
  await f.close();
});

t.test('bad secret: a clear error naming the user and Asterisk message, retried on the backoff schedule', async (t) => {
  const f = await fake();
  // A refused login has its own, longer schedule (minutes by default): small here for the test.
  const c = conn(f, { secret: 'WRONG', backoff: { initialMs: 1, maxMs: 2, authInitialMs: 10, authMaxMs: 40 } });
  const failures: AjamError[] = [];
  const delays: number[] = [];
  c.on('loginFailed', (e: AjamError) => failures.push(e));
  c.on('down', (_e: AjamError, ms: number) => delays.push(ms));
  c.start();
  while (failures.length < 5) await once(c, 'loginFailed');
  t.equal(failures[0]!.code, 'AMI_ERR_LOGIN');
  t.match(failures[0]!.message, /login as "admin" to 127\.0\.0\.1:\d+ failed: Authentication failed/);
  t.equal(f.actions('Login').length, 5, 'one login per attempt');
  // Auth back-off: 10, 20, 40, 40, … each jittered into [3d/4, d].
  const caps = [10, 20, 40, 40, 40];
  for (let i = 0; i < 5; i++) {
    t.ok(delays[i]! >= (caps[i]! * 3) / 4 && delays[i]! <= caps[i]!, `delay ${i} = ${delays[i]} within [${(caps[i]! * 3) / 4}, ${caps[i]}]`);
  }
  t.notOk(c.ready);
  await c.close();
  await f.close();
});

t.test('reconnects after the server drops the connection', async (t) => {
  const f = await fake();
  const c = conn(f);
  c.start();
  await once(c, 'ready');
  f.dropAll();
  const [err] = (await once(c, 'down')) as [AjamError];
  t.equal(err.code, 'AMI_ERR_CONNECTION_LOST');
  await once(c, 'ready');
  t.equal(c.readyCount, 2);
  t.equal(f.actions('Login').length, 2);
  await c.close();
  await f.close();
});

t.test('connect refused: AMI_ERR_CONNECT, retried', async (t) => {
  const f = await fake();
  const port = f.port;
  await f.close();
  const c = new AmiConnection({ host: '127.0.0.1', port, username: 'admin', secret: 'x', events: false, backoff: { initialMs: 5, maxMs: 10 } });
  c.start();
  const [e1] = (await once(c, 'down')) as [AjamError];
  t.equal(e1.code, 'AMI_ERR_CONNECT');
  t.match(e1.message, /cannot connect to AMI at 127\.0\.0\.1/);
  t.equal((e1.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED', 'the socket error is the cause');
  await once(c, 'down');
  t.equal(c.attempts, 2);
  await c.close();
});

t.test('keepalive: an unanswered Ping kills the connection, which reconnects', async (t) => {
  let answer = false;
  const f = await fake(asteriskLike({ answerPing: () => answer }));
  const c = conn(f, { keepaliveMs: 20, stallTimeoutMs: 400 });
  c.start();
  await once(c, 'ready');
  const [err] = (await once(c, 'down')) as [AjamError];
  t.equal(err.code, 'AMI_ERR_KEEPALIVE');
  t.match(err.message, /stalled: a Ping unanswered and not one byte received for \d+ ms/);
  t.ok(f.actions('Ping').length >= 1);
  answer = true;
  await once(c, 'ready');
  // With answers, pings keep flowing and nothing goes down.
  const before = f.actions('Ping').length;
  while (f.actions('Ping').length < before + 3) await new Promise((r) => setTimeout(r, 10));
  t.equal(c.readyCount, 2);
  t.ok(c.ready);
  await c.close();
  await f.close();
});

t.test('no FullyBooted on an events connection: AMI_ERR_BOOT_TIMEOUT, then retried', async (t) => {
  const f = await fake(asteriskLike({ fullyBooted: false }));
  const c = conn(f, { bootTimeoutMs: 60 });
  c.start();
  const [err] = (await once(c, 'down')) as [AjamError];
  t.equal(err.code, 'AMI_ERR_BOOT_TIMEOUT');
  t.match(err.message, /no FullyBooted event within 60 ms after login as "admin"/);
  await once(c, 'down');
  t.equal(f.actions('Login').length, 2);
  await c.close();
  await f.close();
});

t.test('a server that never sends the banner times the handshake out', async (t) => {
  const f = await fake();
  f.banner = '';
  const c = conn(f, { bootTimeoutMs: 50 });
  c.start();
  const [err] = (await once(c, 'down')) as [AjamError];
  t.equal(err.code, 'AMI_ERR_CONNECT');
  t.match(err.message, /timed out after 50 ms \(waiting for banner\)/);
  await c.close();
  await f.close();
});

t.test('backpressure: a server that stops reading loses nothing', async (t) => {
  const f = await fake((cl, m) => {
    if (m.get('Action') === 'Login') {
      cl.reply(m, ['Response: Success', 'Message: Authentication accepted']);
      cl.socket.pause(); // stop reading: the client's socket buffer fills
    }
  });
  const c = conn(f, { events: false, keepaliveMs: 0 });
  c.start();
  await once(c, 'ready');
  const big = 'X'.repeat(4000);
  const N = 3000; // ~12 MB, well past the socket buffers
  let turns = 0;
  let refused = 0;
  for (let i = 0; i < N; i++) {
    if (!c.send(`Action: UserEvent\r\nActionID: a${i}\r\nUserEvent: Big\r\nBody: ${big}\r\n\r\n`)) refused++;
    if (i % 500 === 499) {
      turns++;
      await new Promise((r) => setImmediate(r));
    }
  }
  await new Promise((r) => setTimeout(r, 50));
  t.equal(refused, 0, "every send accepted");
  t.ok(c['blocked'], 'holding writes until drain');
  t.ok(c.queuedBytes > 0);
  f.clients[0]!.socket.resume();
  while (f.received.length < N + 1) await new Promise((r) => setTimeout(r, 10));
  const ids = f.received.slice(1).map((m) => m.actionId);
  t.same(ids, Array.from({ length: N }, (_, i) => `a${i}`), 'every action, in order');
  await c.close();
  await f.close();
});

t.test('several sends in one turn go out in one write', async (t) => {
  const chunks: number[] = [];
  const f = await fake(asteriskLike());
  const c = conn(f, { events: false, keepaliveMs: 0 });
  c.start();
  await once(c, 'ready');
  f.clients[0]!.socket.on('data', (d) => chunks.push(d.length));
  for (let i = 0; i < 50; i++) c.send(`Action: Ping\r\nActionID: b${i}\r\n\r\n`);
  while (f.actions('Ping').length < 50) await new Promise((r) => setTimeout(r, 5));
  t.ok(chunks.length < 5, `${chunks.length} chunk(s) for 50 actions`);
  await c.close();
  await f.close();
});

t.test('close logs off; options are validated', async (t) => {
  const f = await fake();
  const c = conn(f, { events: false });
  c.start();
  await once(c, 'ready');
  await c.close();
  while (f.actions('Logoff').length === 0) await new Promise((r) => setTimeout(r, 5));
  t.equal(c.send('Action: Ping\r\n\r\n'), false, 'closed: nothing queued');
  await f.close();
  t.throws(() => new AmiConnection({ host: 'h', port: 0, username: 'u', secret: 's', events: true }), /invalid port/);
  t.throws(() => new AmiConnection({ host: 'h', port: 1, username: 'u', secret: 's\r\n', events: true }), /CR, LF/);
  t.throws(() => new AmiConnection({ host: 'h', port: 1, username: 'u', secret: 's', events: true, authType: 'x' as 'md5' }), /authType/);
});
