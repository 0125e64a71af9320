// Closed-loop load generators over raw loopback sockets: each of `concurrency` workers keeps exactly
// one request outstanding. Raw sockets keep the client cheap, so the numbers describe the server.
import net from 'node:net';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSec: number;
  p50us: number;
  p99us: number;
  errors: number;
}

function summarise(latNs: number[], seconds: number, errors: number): LoadResult {
  latNs.sort((a, b) => a - b);
  const q = (p: number): number => (latNs.length === 0 ? 0 : latNs[Math.min(latNs.length - 1, Math.floor(p * latNs.length))]! / 1000);
  return { requests: latNs.length, seconds, perSec: latNs.length / seconds, p50us: q(0.5), p99us: q(0.99), errors };
}

/** Splits a stream of HTTP/1.1 responses by Content-Length; calls `done(ok)` per response. */
class HttpResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly done: (ok: boolean) => void) {}
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const headEnd = this.buf.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const head = this.buf.toString('latin1', 0, headEnd);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (this.buf.length < headEnd + 4 + len) return;
      const body = this.buf.subarray(headEnd + 4, headEnd + 4 + len);
      this.buf = this.buf.subarray(headEnd + 4 + len);
      this.done(head.startsWith('HTTP/1.1 200') && body.includes('Response: Success'));
    }
  }
}

/** GET `path` with `headers` on `concurrency` keep-alive connections for `seconds`. */
export async function httpLoad(port: number, path: string, headers: string, concurrency: number, seconds: number): Promise<LoadResult> {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
  const lat: number[] = [];
  let errors = 0;
  const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, () =>
      new Promise<void>((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        sock.setNoDelay(true);
        let sent = 0n;
        const send = (): void => {
          sent = process.hrtime.bigint();
          sock.write(request);
        };
        const reader = new HttpResponseReader((ok) => {
          const now = process.hrtime.bigint();
          if (ok) lat.push(Number(now - sent));
          else errors++;
          if (now < until) send();
          else sock.end(resolve);
        });
        sock.on('connect', send);
        sock.on('data', (d) => reader.push(d));
        sock.on('error', reject);
      }),
    ),
  );
  return summarise(lat, Number(process.hrtime.bigint() - start) / 1e9, errors);
}

/**
 * Pings straight to AMI over ONE TCP connection with `concurrency` actions outstanding (pipelined),
 * the baseline the proxy is compared with.
 */
export async function amiLoad(port: number, username: string, secret: string, concurrency: number, seconds: number): Promise<LoadResult> {
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  let buf = '';
  const waiters = new Map<string, bigint>();
  const lat: number[] = [];
  let errors = 0;
  let loggedIn: () => void = () => {};
  let finished: () => void = () => {};
  const loginDone = new Promise<void>((r) => (loggedIn = r));
  const allDone = new Promise<void>((r) => (finished = r));
  let counter = 0;
  let until = 0n;
  let outstanding = 0;
  const send = (): void => {
    const id = `b${counter++}`;
    waiters.set(id, process.hrtime.bigint());
    outstanding++;
    sock.write(`Action: Ping\r\nActionID: ${id}\r\n\r\n`);
  };
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let end: number;
    while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
      const msg = buf.slice(0, end);
      buf = buf.slice(end + 4);
      if (msg.includes('Authentication accepted')) loggedIn();
      const m = /ActionID: (b\d+)/.exec(msg);
      if (!m) continue;
      const t0 = waiters.get(m[1]!);
      if (t0 === undefined) continue;
      waiters.delete(m[1]!);
      outstanding--;
      const now = process.hrtime.bigint();
      if (msg.startsWith('Response: Success')) lat.push(Number(now - t0));
      else errors++;
      if (now < until) send();
      else if (outstanding === 0) finished();
    }
  });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`Action: Login\r\nUsername: ${username}\r\nSecret: ${secret}\r\nEvents: off\r\n\r\n`);
  await loginDone;
  const start = process.hrtime.bigint();
  until = start + BigInt(Math.round(seconds * 1e9));
  for (let i = 0; i < concurrency; i++) send();
  await allDone;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  sock.end();
  return summarise(lat, elapsed, errors);
}
