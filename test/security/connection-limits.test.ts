// Connections (issue 7 §2): `maxconnections` caps open HTTP connections (at the cap new ones are
// refused, open ones are served; below the low-water mark the proxy accepts again), and
// `requesttimeout` cuts off a POST body that does not arrive (408, closed, nothing forwarded).
// Raw sockets on loopback. Also run on the node:http compatibility layer (uws-compat.test.ts).
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import { startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { until } from '../helpers/until.ts';
import { captureLogs } from '../helpers/log.ts';
import { uwsNative } from '../../lib/http/uws.ts';

const MAX = 6;
let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ general: `maxconnections = ${MAX}\nrequesttimeout = 1` });
});
t.teardown(() => ta.close());

/** A connection, or the error code when it could not be made. */
function open(): Promise<Socket | string> {
  return new Promise((resolve) => {
    const s = connect(ta.port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

/** Sends one request on `s`; resolves the reply's text, or '' if the connection closed first. */
function ask(s: Socket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const m = /Content-Length: (\d+)/i.exec(text);
      if (head !== -1 && m !== null && text.length >= head + 4 + Number(m[1])) done();
    };
    const done = (): void => {
      s.off('data', onData);
      s.off('close', done);
      resolve(text);
    };
    s.on('data', onData);
    s.once('close', done);
    s.on('error', () => {});
    s.write(request);
  });
}

const PING = 'GET /rawman?action=Ping HTTP/1.1\r\nHost: x\r\n\r\n';

/**
 * What a new connection gets: 'refused' (none made), the reply's status code, or '' (closed without
 * a byte of HTTP).
 */
async function attempt(): Promise<string> {
  const s = await open();
  if (typeof s === 'string') return 'refused';
  const reply = await ask(s, PING);
  s.destroy();
  return /^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1] ?? '';
}

t.test('at maxconnections new connections are refused, open ones served; below the low-water mark accepted again', async (t) => {
  const records = await captureLogs('info', () => capEpisode(t));
  t.equal(records.filter((r) => r.msg.startsWith('HTTP connection cap reached')).length, 1, 'the episode logged once');
  t.equal(records.filter((r) => r.msg.startsWith('HTTP connections below the cap again')).length, 1, 'and its end once');
});

async function capEpisode(t: Test): Promise<void> {
  const server = ta.app.server;
  t.ok(server.cap !== undefined, 'the cap is on');
  t.equal(server.cap!.max, MAX);
  const held: Socket[] = [];
  for (let i = 0; i < MAX; i++) {
    const s = await open();
    if (typeof s === 'string') throw new Error(`connection ${i} refused before the cap: ${s}`);
    t.match(await ask(s, PING), /^HTTP\/1\.1 200 OK\r\n/, `connection ${i} served`);
    held.push(s);
  }
  await until(() => !server.cap!.accepting, 'the cap to close the listeners');
  t.equal(server.cap!.episodes, 1, 'one episode');
  t.ok(server.cap!.lastCount >= MAX, `counted ${server.cap!.lastCount} open connections`);
  // Native uWS: the port is held by a placeholder that answers 503; the node:http layer's own
  // maxConnections backstop may close it first, without an answer.
  const atCap = await attempt();
  t.ok(atCap === '503' || (atCap === '' && !uwsNative), `a new connection is told 503 (got '${atCap}')`);
  for (const [i, s] of held.entries()) t.match(await ask(s, PING), /^HTTP\/1\.1 200 OK\r\n/, `open connection ${i} still served`);

  // Down to the low-water mark (MAX - 1): listening again.
  for (const s of held.splice(0, 3)) s.destroy();
  await until(() => server.cap!.accepting, 'the listeners to accept again');
  const fresh = await open();
  if (typeof fresh === 'string') throw new Error(`refused after the cap lifted: ${fresh}`);
  t.match(await ask(fresh, PING), /^HTTP\/1\.1 200 OK\r\n/, 'a new connection is served');
  held.push(fresh);
  t.equal(server.cap!.episodes, 1, 'still one episode');
  const metrics = await fetchMetrics(held[0]!);
  t.match(metrics, /ajam_limit_refusals_total\{limit="maxconnections"\} 1\b/, 'counted in /metrics');
  for (const s of held) s.destroy();
  await until(async () => (await attempt()) === '200', 'a connection to be served after the test');
}

async function fetchMetrics(s: Socket): Promise<string> {
  return ask(s, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
}

t.test('a POST body that stalls: 408 and closed after requesttimeout, nothing forwarded', async (t) => {
  ta.app.sim!.clearReceived();
  const s = await open();
  if (typeof s === 'string') throw new Error(s);
  const reply = await ask(
    s,
    'POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\naction=Originate&chan',
  );
  t.match(reply, /^HTTP\/1\.1 408 Request Timeout\r\n/, '408');
  t.match(reply, /did not arrive in time/);
  await until(() => s.destroyed || s.readableEnded, 'the connection to close');
  t.same(ta.app.sim!.received.filter((m) => m.get('Action') !== 'Ping').map((m) => m.get('Action')), [], 'nothing upstream');
  s.destroy();
});

t.test('a POST body trickled a byte at a time is cut off the same way', async (t) => {
  ta.app.sim!.clearReceived();
  const s = await open();
  if (typeof s === 'string') throw new Error(s);
  const body = 'action=Originate&channel=Local/1@x&application=Wait&data=1';
  s.write(`POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`);
  let i = 0;
  const drip = setInterval(() => {
    if (i < body.length - 1 && !s.destroyed) s.write(body[i++]!);
  }, 100);
  const reply = await ask(s, '');
  clearInterval(drip);
  t.match(reply, /^HTTP\/1\.1 408 /, '408 before the body completed');
  t.ok(i < body.length, 'the body never completed');
  t.same(ta.app.sim!.received.filter((m) => m.get('Action') === 'Originate'), [], 'nothing upstream');
  s.destroy();
});

t.test('request headers trickled a byte at a time are cut off without being served', async (t) => {
  // Native uWS: its fixed timer (armed at connect, not re-armed by bytes) closes it, unanswered,
  // 8-12 s in (uSockets counts 4-s ticks); the node:http layer: requesttimeout (here 1 s), with a 408.
  const s = await open();
  if (typeof s === 'string') throw new Error(s);
  const head = `GET /rawman?action=Ping HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(400)}\r\n\r\n`;
  let i = 0;
  const drip = setInterval(() => {
    if (i < head.length - 4 && !s.destroyed) s.write(head[i++]!);
  }, 50);
  const reply = await ask(s, '');
  clearInterval(drip);
  t.ok(i < head.length - 4, 'the headers never completed');
  t.match(reply, /^(HTTP\/1\.1 408 |$)/, 'closed unanswered (uWS) or with a 408 (node:http)');
  t.notMatch(reply, /Response: /, 'never served');
  s.destroy();
});

t.test('a POST body that arrives in time is served', async (t) => {
  const s = await open();
  if (typeof s === 'string') throw new Error(s);
  const body = 'action=Ping';
  const reply = await ask(s, `POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  t.match(reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nResponse: /, 'answered by the AMI layer');
  s.destroy();
});
