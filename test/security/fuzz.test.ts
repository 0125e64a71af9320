// A bounded fuzz run (issue 7): random and mutated methods, paths, queries, bodies and headers from
// a seeded generator, sent unauthenticated over raw sockets. Afterwards the process is up, memory
// and sessions are bounded, every reply was well-formed HTTP (or the engine closed the connection
// without one), and nothing at all was forwarded to the simulator.
import t from 'tap';
import { connect } from 'node:net';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { prng as rng } from '../../lib/sim/prng.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1000);
const PARALLEL = 32;

const rand = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (n: number): number => Math.floor(rand() * n);

const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'get', 'G\tET', 'PROPFIND'];
const PATHS = ['/rawman', '/mxml', '/manager', '/arawman', '/amxml', '/amanager', '/json', '/ajson', '/static/', '/static/../x', '/health', '/metrics', '/events', '/ws', '/', '/RAWMAN/', '/rawman/x', '//rawman', '/%72awman', '/static/%2e%2e/%2e%2e/etc/passwd'];
const NAMES = ['action', 'Action', 'ACTION', ' action', 'action ', 'actionid', 'ActionID', 'username', 'secret', 'authtype', 'key', 'application', 'data', 'variable', 'command', 'timeout', 'events', 'eventmask', 'channel', 'x:y', '', '%00', 'ajaxdest'];
const ACTIONS = ['Ping', 'Login', 'Logoff', 'Challenge', 'WaitEvent', 'Originate', 'Command', 'Getvar', 'ListCommands', 'Status', 'DBPut', 'UserEvent', 'Events', 'Filter', 'NoSuch', ''];
const BYTES = ['%20', '%09', '%01', '+', '%00', '%0d', '%0a', '%0d%0a', '%ff', '%', '%zz', '&', '=', '==', ';', '"', '<', "'", '\u00e9', '%E2%82%AC'];

function junk(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += rand() < 0.3 ? pick(BYTES) : String.fromCharCode(33 + int(90));
  return s;
}

function query(): string {
  const parts: string[] = [];
  const n = int(8);
  for (let i = 0; i < n; i++) {
    const name = rand() < 0.85 ? pick(NAMES) : junk(1 + int(6));
    const value = name.toLowerCase().includes('action') && rand() < 0.7 ? `${rand() < 0.4 ? pick(BYTES) : ''}${pick(ACTIONS)}` : junk(int(12));
    parts.push(rand() < 0.1 ? name : `${name}=${value}`);
  }
  if (rand() < 0.05) parts.push('a='.repeat(200));
  return parts.join('&');
}

function request(): string {
  const method = pick(METHODS);
  let path = pick(PATHS);
  if (rand() < 0.2) path += junk(int(10));
  const q = rand() < 0.8 ? `?${query()}` : '';
  const headers: string[] = ['Host: 127.0.0.1'];
  if (rand() < 0.3) headers.push(`Cookie: mansession_id="${junk(int(40))}"`);
  if (rand() < 0.2) headers.push(`Authorization: ${pick(['Digest', 'Basic', 'Bearer', 'digest'])} ${junk(int(60))}`);
  if (rand() < 0.1) headers.push(`X-${junk(3)}: ${junk(10)}`);
  let body = '';
  if (method === 'POST' || rand() < 0.05) {
    body = rand() < 0.1 ? junk(int(50000)) : query();
    headers.push(`Content-Type: ${pick(['application/x-www-form-urlencoded', 'text/plain', 'application/x-www-form-urlencoded; charset=utf-8', junk(5)])}`);
    const cl = Buffer.byteLength(body);
    if (rand() < 0.9) headers.push(`Content-Length: ${rand() < 0.1 ? pick([String(cl + 1), '-1', 'abc', `${cl}, ${cl}`]) : cl}`);
    if (rand() < 0.05) headers.push(`Content-Length: ${cl}`);
    if (rand() < 0.05) headers.push('Transfer-Encoding: chunked');
  }
  return `${method} ${path}${q} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

interface Outcome {
  ok: boolean;
  why: string;
}

/** Well-formed: a status line, headers, and exactly Content-Length bytes of body (none for HEAD). */
function check(head: boolean, text: Buffer): Outcome {
  if (text.length === 0) return { ok: true, why: 'closed without a reply' };
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { ok: false, why: 'no end of headers' };
  const lines = text.toString('latin1', 0, end).split('\r\n');
  if (!/^HTTP\/1\.1 [1-5]\d\d [^\r\n]*$/.test(lines[0]!)) return { ok: false, why: `status line ${JSON.stringify(lines[0])}` };
  for (const l of lines.slice(1)) if (!/^[A-Za-z0-9-]+: ?[^\r\n]*$/.test(l)) return { ok: false, why: `header ${JSON.stringify(l)}` };
  const cl = lines.find((l) => l.toLowerCase().startsWith('content-length:'));
  const chunked = lines.some((l) => /^transfer-encoding: *chunked/i.test(l));
  if (!head && cl !== undefined) {
    const n = Number(cl.slice(15).trim());
    const rest = text.length - end - 4;
    if (rest < n) return { ok: false, why: `body ${rest} of ${n}` };
  } else if (!head && !chunked && cl === undefined && !/^HTTP\/1\.1 (1\d\d|204|304)/.test(lines[0]!)) {
    return { ok: false, why: 'no framing' };
  }
  return { ok: true, why: lines[0]! };
}

let timedOut = 0;

function send(port: number, bytes: string, head: boolean): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(Buffer.concat(chunks));
    };
    // The first response is enough; a reply that has not come by then never will (long-polls need a
    // login; a malformed request line or header name gets no answer from uWS, which closes the
    // connection at its idle timeout).
    const timer = setTimeout(() => {
      timedOut++;
      if (process.env.FUZZ_DEBUG) process.stderr.write(JSON.stringify(bytes.slice(0, 120)) + "\n");
      finish();
    }, 600);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end !== -1) {
        const m = /content-length: *(\d+)/i.exec(all.toString('latin1', 0, end));
        if (head || (m !== null && all.length >= end + 4 + Number(m[1]))) finish();
      }
    });
    s.on('close', finish);
    s.on('error', finish);
    s.write(bytes);
  });
}

let ta: TestApp;
t.before(async () => {
  // No per-address budget here (throttle.test.ts covers it): throttled requests would only wait.
  ta = await startTestApp({ general: 'maxunauthperaddress = 50\nunauthrate = 0' });
});
t.teardown(() => ta.close());

t.test(`fuzz: ${REQUESTS} requests, seed ${SEED}`, async (t) => {
  const admin = new AjamClient(ta.base);
  t.match((await admin.login()).body, /Authentication accepted/);
  ta.app.sim!.clearReceived();
  const rssBefore = process.memoryUsage().rss;
  const bad: string[] = [];
  const statuses = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < REQUESTS) {
      next++;
      const req = request();
      const head = req.startsWith('HEAD ');
      const out = check(head, await send(ta.port, req, head));
      const key = out.why.slice(0, 12);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (!out.ok && bad.length < 10) bad.push(`${out.why} for ${JSON.stringify(req.slice(0, 200))}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  t.same(bad, [], 'every reply well-formed');
  t.comment(JSON.stringify(Object.fromEntries(statuses)), `waited out: ${timedOut}`);
  // Nothing unauthenticated reaches Asterisk (the pool's own keepalive Pings aside).
  const forwarded = ta.app.sim!.received.filter((m) => !(m.get('Action') === 'Ping' && (m.get('ActionID') ?? '').length > 0 && m.count === 2));
  t.same(forwarded.map((m) => m.toObject()), [], 'nothing forwarded upstream');
  t.ok(ta.app.store.size <= 1 + 50, `sessions bounded: ${ta.app.store.size}`);
  const grownMb = (process.memoryUsage().rss - rssBefore) / 1e6;
  t.ok(grownMb < 300, `memory bounded: +${grownMb.toFixed(0)} MB RSS`);
  t.match((await admin.get('/rawman?action=Ping')).body, /Ping: Pong/, 'the process is up and the logged-in client still served');
});
