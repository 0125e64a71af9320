// Byte-level HTTP client for tests: raw requests over loopback sockets, responses parsed by hand
// so header order, duplicates and exact bodies can be asserted.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface RawResponse {
  status: number;
  statusLine: string;
  /** Header lines in wire order, as [name, value]. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** The whole response as received. */
  raw: Buffer;
  /** Server closed the connection after this response. */
  closed: boolean;
}

export function header(r: RawResponse, name: string): string | undefined {
  const n = name.toLowerCase();
  return r.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** Parses one response from buf; undefined while incomplete. */
export function parseResponse(buf: Buffer, head: boolean): { res: RawResponse; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const statusLine = lines[0]!;
  const headers = lines.slice(1).map((l): [string, string] => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  });
  const cl = headers.find(([k]) => k.toLowerCase() === 'content-length');
  const len = head || cl === undefined ? 0 : Number(cl[1]);
  const used = end + 4 + len;
  if (buf.length < used) return undefined;
  return {
    res: {
      status: Number(statusLine.split(' ')[1]),
      statusLine,
      headers,
      body: buf.subarray(end + 4, used),
      raw: buf.subarray(0, used),
      closed: false,
    },
    used,
  };
}

/** A keep-alive connection sending requests one at a time. */
export class RawClient {
  readonly socket: Socket;
  private buf: Buffer;
  private closed: boolean;
  private waiter: (() => void) | undefined;

  /** `localAddress`: the loopback address to connect from (127.0.0.0/8 all works on Linux). */
  constructor(port: number, host = '127.0.0.1', localAddress?: string) {
    this.socket = localAddress === undefined ? connect(port, host) : connect({ port, host, localAddress });
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.waiter = undefined;
    this.socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    this.socket.on('error', () => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends raw bytes and resolves the next complete response (or what arrived before close). */
  request(bytes: string | Buffer, head = false): Promise<RawResponse> {
    this.socket.write(bytes);
    return this.next(head);
  }

  next(head = false): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const p = parseResponse(this.buf, head);
        if (p !== undefined) {
          this.buf = this.buf.subarray(p.used);
          this.waiter = undefined;
          // A close right behind the response counts as "closed after it".
          setImmediate(() => {
            p.res.closed = this.closed;
            resolve(p.res);
          });
        } else if (this.closed) {
          this.waiter = undefined;
          reject(new Error(`connection closed; got ${JSON.stringify(this.buf.toString('latin1'))}`));
        }
      };
      this.waiter = check;
      check();
    });
  }

  /** Resolves once the server has closed the connection. */
  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on a fresh connection. */
export async function rawRequest(port: number, bytes: string | Buffer, head = false): Promise<RawResponse> {
  const c = new RawClient(port);
  try {
    return await c.request(bytes, head);
  } finally {
    c.close();
  }
}

export function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
}

export function post(path: string, body: string | Buffer, contentType = 'application/x-www-form-urlencoded', extra = ''): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: ${b.length}\r\n${extra}\r\n`,
    ),
    b,
  ]);
}

/**
 * Header names in wire order, minus those the HTTP engine adds and we cannot remove: uWS's Date and
 * `uWebSockets`, node:http's (compat layer) Date, `Connection: keep-alive` and `Keep-Alive`.
 */
export function headerNames(r: RawResponse): string[] {
  return r.headers
    .filter(([k, v]) => k !== 'Date' && k !== 'uWebSockets' && k !== 'Keep-Alive' && !(k === 'Connection' && v === 'keep-alive'))
    .map(([k]) => k);
}
