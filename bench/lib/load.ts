// Closed-loop load generators over raw loopback sockets: each of `concurrency` workers keeps exactly
// one request outstanding. Raw sockets keep the client cheap, so the numbers describe the server.
// The generators share the machine with the servers they measure, so they stay cheap: sockets read
// into one reused buffer (`onread`: no Buffer and no stream events per read), the HTTP reader scans
// with prebuilt needles (no per-response string decoding or regex), timing uses performance.now()
// (no BigInt per request), latencies go to a Float64Array. Every response is still checked (HTTP
// status and body; AMI Response line).
import net from 'node:net';
import { Latencies } from './latencies.ts';
import { loopbackSocket } from './loopback-socket.ts';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSec: number;
  p50us: number;
  p99us: number;
  errors: number;
}

/** `latUs`: one latency in µs per request answered as it should be. */
function summarise(latUs: Latencies, seconds: number, errors: number): LoadResult {
  const { p50, p99 } = latUs.percentiles();
  return { requests: latUs.n, seconds, perSec: latUs.n / seconds, p50us: p50, p99us: p99, errors };
}

const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_OK = Buffer.from('HTTP/1.1 200');
// How uWS (and node:http) spell it; anything else takes the case-insensitive fallback.
const CONTENT_LENGTH = Buffer.from('\r\nContent-Length: ');
const SUCCESS = Buffer.from('Response: Success');

// Every socket reads into this one buffer: reads are handled synchronously, and whatever must
// outlive a read (a partial response) is copied out.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const EMPTY = Buffer.alloc(0);

/** Splits a stream of HTTP/1.1 responses by Content-Length; calls `done(ok)` per response. */
class HttpResponseReader {
  private rest: Buffer = EMPTY;
  constructor(private readonly done: (ok: boolean) => void) {}
  /** `chunk` is only valid during this call. */
  push(chunk: Buffer): void {
    let buf = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    for (;;) {
      const headEnd = buf.indexOf(HEAD_END);
      if (headEnd === -1) break;
      const len = contentLength(buf, headEnd);
      const end = headEnd + 4 + len;
      if (buf.length < end) break;
      const ok = startsWith(buf, STATUS_OK) && buf.subarray(headEnd + 4, end).includes(SUCCESS);
      buf = buf.subarray(end);
      this.done(ok);
    }
    this.rest = buf.length === 0 ? EMPTY : Buffer.from(buf);
  }
}

/** A client socket reading into READ_BUFFER. */
const connect = (port: number, onChunk: (chunk: Buffer) => void): net.Socket => loopbackSocket(port, READ_BUFFER, onChunk);

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function contentLength(buf: Buffer, headEnd: number): number {
  const at = buf.indexOf(CONTENT_LENGTH);
  if (at !== -1 && at < headEnd) {
    let n = 0;
    for (let i = at + CONTENT_LENGTH.length; i < headEnd; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) break;
      n = n * 10 + c - 48;
    }
    return n;
  }
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.toString('latin1', 0, headEnd));
  return m ? Number(m[1]) : 0;
}

/** GET `path` with `headers` on `concurrency` keep-alive connections for `seconds`. */
export async function httpLoad(port: number, path: string, headers: string, concurrency: number, seconds: number): Promise<LoadResult> {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
  const lat = new Latencies();
  let errors = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, () =>
      new Promise<void>((resolve, reject) => {
        let sent = 0;
        const send = (): void => {
          sent = performance.now();
          sock.write(request);
        };
        const sock = connect(port, (chunk) => reader.push(chunk));
        const reader = new HttpResponseReader((ok) => {
          const now = performance.now();
          if (ok) lat.push((now - sent) * 1000);
          else errors++;
          if (now < until) send();
          else sock.end(resolve);
        });
        sock.on('connect', send);
        sock.on('error', reject);
      }),
    ),
  );
  return summarise(lat, (performance.now() - start) / 1000, errors);
}

/**
 * Pings straight to AMI over ONE TCP connection with `concurrency` actions outstanding (pipelined,
 * each Ping written as soon as an answer frees its slot), the baseline the proxy is compared with.
 * (Its replies are ~75 bytes: V8's string search beats Buffer needles here, so they stay strings.)
 */
export async function amiLoad(port: number, username: string, secret: string, concurrency: number, seconds: number): Promise<LoadResult> {
  let buf = '';
  const waiters = new Map<string, number>();
  const lat = new Latencies();
  let errors = 0;
  let loggedIn: () => void = () => {};
  let finished: () => void = () => {};
  const loginDone = new Promise<void>((r) => (loggedIn = r));
  const allDone = new Promise<void>((r) => (finished = r));
  let counter = 0;
  let until = 0;
  let outstanding = 0;
  const send = (): void => {
    const id = `b${counter++}`;
    waiters.set(id, performance.now());
    outstanding++;
    sock.write(`Action: Ping\r\nActionID: ${id}\r\n\r\n`);
  };
  const sock = connect(port, (d) => {
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
      const now = performance.now();
      if (msg.startsWith('Response: Success')) lat.push((now - t0) * 1000);
      else errors++;
      if (now < until) send();
      else if (outstanding === 0) finished();
    }
  });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`Action: Login\r\nUsername: ${username}\r\nSecret: ${secret}\r\nEvents: off\r\n\r\n`);
  await loginDone;
  const start = performance.now();
  until = start + seconds * 1000;
  for (let i = 0; i < concurrency; i++) send();
  await allDone;
  const elapsed = (performance.now() - start) / 1000;
  sock.end();
  return summarise(lat, elapsed, errors);
}
