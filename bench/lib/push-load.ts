// Push clients for the fan-out benchmark over raw loopback sockets, cheap enough not to be the
// bottleneck: WebSocket frames and SSE records are not parsed as JSON, only scanned for the
// simulator's `SentAt` stamp (one Buffer.indexOf per event); long-poll replies are split by
// Content-Length. Every socket reads into one shared buffer (`onread`), as bench/lib/load.ts.
//
// Each client counts the BenchTick events it received and records their delay (now − SentAt, ms,
// on the same machine clock) in one shared Latencies array.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Latencies } from './latencies.ts';
import { loopbackSocket, loopbackSocketRaw } from './loopback-socket.ts';

export { Latencies };

export type Transport = 'longpoll' | 'websocket' | 'sse';

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const EMPTY = Buffer.alloc(0);
const HEAD_END = Buffer.from('\r\n\r\n');
const WS_STAMP = Buffer.from('"SentAt":"');
const RAW_STAMP = Buffer.from('SentAt: ');
const CONTENT_LENGTH = Buffer.from('Content-Length: ');
const SET_COOKIE = Buffer.from('mansession_id="');

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The decimal number (digits, an optional fraction) in `buf` from `at`, up to the first byte that
 * cannot be part of it; parsed in place (a string per stamp was the generator's top cost).
 */
function numberAt(buf: Buffer, at: number): number {
  let n = 0;
  let i = at;
  const len = buf.length;
  for (; i < len; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  if (i < len && buf[i] === 46) {
    let scale = 0.1;
    for (i++; i < len; i++) {
      const c = buf[i]! - 48;
      if (c < 0 || c > 9) break;
      n += c * scale;
      scale /= 10;
    }
  }
  return n;
}

/**
 * The stamp of a WebSocket event frame whose payload [from, to) ends with `"SentAt":"<number>"}}`
 * (the simulator's last key, unless it pads the event), read backwards without a search; NaN when
 * the frame is not laid out so (then the caller searches).
 */
function trailingStamp(buf: Buffer, from: number, to: number): number {
  if (to - from < WS_STAMP.length + 4 || buf[to - 1] !== 125 || buf[to - 2] !== 125 || buf[to - 3] !== 34) return NaN;
  let i = to - 4;
  while (i > from && buf[i] !== 34) i--;
  const start = i + 1;
  const key = start - WS_STAMP.length;
  if (key < from) return NaN;
  for (let k = 0; k < WS_STAMP.length; k++) if (buf[key + k] !== WS_STAMP[k]) return NaN;
  return numberAt(buf, start);
}

export interface PushClient {
  /** BenchTick events received. */
  received: number;
  /** Long-poll: WaitEvent replies received (0 for the push transports). */
  replies: number;
  close(): void;
}

export interface LoadContext {
  port: number;
  lat: Latencies;
  /** False while connecting and idling: events are counted but their delays are not kept. */
  measuring: boolean;
}

const connect = (port: number, onChunk: (chunk: Buffer) => void): net.Socket => loopbackSocket(port, READ_BUFFER, onChunk);

/** Scans `buf` from `from` to `to` (only there: an unbounded search is quadratic) for stamps; returns how many. */
function stamps(ctx: LoadContext, buf: Buffer, needle: Buffer, from: number, to: number): number {
  const region = from === 0 && to === buf.length ? buf : buf.subarray(from, to);
  let n = 0;
  let i = region.indexOf(needle);
  const t = ctx.measuring ? now() : 0;
  while (i !== -1) {
    n++;
    if (ctx.measuring) ctx.lat.push(t - numberAt(region, i + needle.length));
    i = region.indexOf(needle, i + needle.length);
  }
  return n;
}

/** A client's pong frame (masked, as client frames must be) echoing a ping's payload (at most 125 bytes). */
function pongFrame(payload: Buffer): Buffer {
  const f = Buffer.alloc(6 + payload.length);
  f[0] = 0x8a;
  f[1] = 0x80 | payload.length;
  randomBytes(4).copy(f, 2);
  for (let i = 0; i < payload.length; i++) f[6 + i] = payload[i]! ^ f[2 + (i & 3)]!;
  return f;
}

/**
 * A WebSocket client: upgrade with the cookie, then count text frames' stamps. `stall`: stop
 * reading right after the upgrade (a client that hangs), and report the close frame's code when it
 * is read at the end (`closeCode`). Frames are parsed where the read put them (the shared read
 * buffer); only a frame split across reads is copied, into this client's `rest`.
 */
export function wsClient(ctx: LoadContext, cookie: string, stall = false): Promise<PushClient & { closeCode?: number }> {
  return new Promise((resolve, reject) => {
    let rest: Buffer = EMPTY;
    let open = false;
    const client: PushClient & { closeCode?: number } = { received: 0, replies: 0, close: () => sock.destroy() };
    const sock = loopbackSocketRaw(ctx.port, READ_BUFFER, (n) => {
      let buf: Buffer;
      let end: number;
      if (rest.length === 0) {
        buf = READ_BUFFER;
        end = n;
      } else {
        buf = Buffer.concat([rest, READ_BUFFER.subarray(0, n)]);
        end = buf.length;
      }
      let at = 0;
      if (!open) {
        const head = buf.subarray(0, end).indexOf(HEAD_END);
        if (head === -1) {
          rest = Buffer.from(buf.subarray(0, end));
          return;
        }
        if (buf.toString('latin1', 0, 12) !== 'HTTP/1.1 101') {
          reject(new Error(`ws upgrade refused: ${buf.toString('latin1', 0, head)}`));
          sock.destroy();
          return;
        }
        open = true;
        at = head + 4;
        resolve(client);
        if (stall) sock.pause();
      }
      // One clock read per read, not per frame: the frames of one read arrived together.
      let t = -1;
      // Server frames: FIN+opcode, unmasked length (7 bits, or 126 + 16 bits, or 127 + 64 bits).
      while (end - at >= 2) {
        const len7 = buf[at + 1]! & 127;
        let hl = 2;
        let len = len7;
        if (len7 === 126) {
          if (end - at < 4) break;
          len = buf.readUInt16BE(at + 2);
          hl = 4;
        } else if (len7 === 127) {
          if (end - at < 10) break;
          len = Number(buf.readBigUInt64BE(at + 2));
          hl = 10;
        }
        if (end - at < hl + len) break;
        const op = buf[at]! & 15;
        if (op === 1) {
          const stamp = trailingStamp(buf, at + hl, at + hl + len);
          if (Number.isNaN(stamp)) {
            client.received += stamps(ctx, buf, WS_STAMP, at + hl, at + hl + len);
          } else {
            client.received++;
            if (ctx.measuring) {
              if (t < 0) t = now();
              ctx.lat.push(t - stamp);
            }
          }
        } else if (op === 9) {
          // Answer pings as every WebSocket client does (the proxy closes a socket silent for its idle timeout).
          sock.write(pongFrame(buf.subarray(at + hl, at + hl + len)));
        } else if (op === 8 && len >= 2) client.closeCode = buf.readUInt16BE(at + hl);
        at += hl + len;
      }
      rest = at >= end ? EMPTY : Buffer.from(buf.subarray(at, end));
    });
    sock.on('close', () => {
      if (!open) reject(new Error('ws: connection closed before the upgrade'));
    });
    sock.on('connect', () => {
      sock.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nCookie: ${cookie}\r\n\r\n`,
      );
    });
    sock.on('error', reject);
  });
}

/** An SSE client: GET /events with the cookie; counts stamps up to the last complete line. */
export function sseClient(ctx: LoadContext, cookie: string): Promise<PushClient> {
  return new Promise((resolve, reject) => {
    let rest: Buffer = EMPTY;
    let open = false;
    const client: PushClient = { received: 0, replies: 0, close: () => sock.destroy() };
    const sock = connect(ctx.port, (chunk) => {
      const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      let at = 0;
      if (!open) {
        const end = buf.indexOf(HEAD_END);
        if (end === -1) {
          rest = Buffer.from(buf);
          return;
        }
        if (buf.toString('latin1', 0, 12) !== 'HTTP/1.1 200') {
          reject(new Error(`sse refused: ${buf.toString('latin1', 0, end)}`));
          sock.destroy();
          return;
        }
        open = true;
        at = end + 4;
        resolve(client);
      }
      // Records (and the chunk framing between writes) end in LF: what follows the last LF waits.
      const last = buf.lastIndexOf(10);
      if (last < at) {
        rest = Buffer.from(buf.subarray(at));
        return;
      }
      client.received += stamps(ctx, buf, WS_STAMP, at, last + 1);
      rest = last + 1 >= buf.length ? EMPTY : Buffer.from(buf.subarray(last + 1));
    });
    sock.on('close', () => {
      if (!open) reject(new Error('sse: connection closed before the response'));
    });
    sock.on('connect', () => {
      sock.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: ${cookie}\r\n\r\n`);
    });
    sock.on('error', reject);
  });
}

/**
 * A long-poll client: logs in on its own keep-alive connection (its own session), then sends
 * WaitEvent again as soon as each reply arrives, until closed.
 */
export function longPollClient(ctx: LoadContext, user: string, secret: string): Promise<PushClient> {
  return new Promise((resolve, reject) => {
    let rest: Buffer = EMPTY;
    let cookie = '';
    let closed = false;
    const client: PushClient = {
      received: 0,
      replies: 0,
      close: () => {
        closed = true;
        sock.destroy();
      },
    };
    const poll = (): void => {
      if (!closed) sock.write(`GET /rawman?action=WaitEvent&Timeout=30 HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\n\r\n`);
    };
    const sock = connect(ctx.port, (chunk) => {
      let buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      for (;;) {
        const end = buf.indexOf(HEAD_END);
        if (end === -1) break;
        const cl = buf.indexOf(CONTENT_LENGTH);
        const len = cl !== -1 && cl < end ? numberAt(buf, cl + CONTENT_LENGTH.length) : 0;
        if (buf.length < end + 4 + len) break;
        if (cookie === '') {
          const c = buf.indexOf(SET_COOKIE);
          if (c === -1 || c > end) {
            reject(new Error(`long-poll login failed: ${buf.toString('latin1', 0, end + 4 + len)}`));
            sock.destroy();
            return;
          }
          cookie = `mansession_id="${buf.toString('latin1', c + SET_COOKIE.length, c + SET_COOKIE.length + 32)}"`;
          resolve(client);
        } else {
          client.received += stamps(ctx, buf, RAW_STAMP, end + 4, end + 4 + len);
          client.replies++;
        }
        buf = buf.subarray(end + 4 + len);
        poll();
      }
      rest = buf.length === 0 ? EMPTY : Buffer.from(buf);
    });
    sock.on('connect', () => {
      sock.write(`GET /rawman?action=Login&Username=${user}&Secret=${secret} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
    sock.on('error', (err) => {
      if (!closed) reject(err);
    });
    sock.on('close', () => {
      if (cookie === '') reject(new Error('long-poll: connection closed before the login reply'));
    });
  });
}
