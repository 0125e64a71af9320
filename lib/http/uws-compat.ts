// A node:http stand-in for the part of the uWS API lib/http uses, for Node builds the package has
// no native binary for (its own JS fallback lacks getQuery, forEach, endWithoutBody,
// getRemoteAddressAsText and more). Slower than native uWS, but correct, and closer to Asterisk's
// framing: Date goes right after Server, Content-Length last. Node itself adds
// `Connection: keep-alive` on persistent connections.
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

type Handler = (res: CompatResponse, req: CompatRequest) => void;

/** Slow or idle HTTP connections are closed after this long by default (uWS's HTTP_IDLE_TIMEOUT_S). */
const IDLE_TIMEOUT_MS = 10_000;

export interface CompatOptions {
  /** `requesttimeout`: a request must arrive whole, and an idle keep-alive connection is closed, within this. */
  requestTimeoutMs?: number;
  /** `maxconnections`: node drops connections over it at once (connection-cap.ts closes the listener too). */
  maxConnections?: number;
}
/** Headers per request beyond which it is refused (uWS's default header count limit). */
const MAX_HEADERS = 100;

export class CompatRequest {
  private readonly req: IncomingMessage;
  private readonly path: string;
  private readonly query: string | undefined;

  constructor(req: IncomingMessage) {
    this.req = req;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? undefined : url.slice(q + 1);
  }

  getUrl(): string {
    return this.path;
  }

  getQuery(): string | undefined {
    return this.query;
  }

  getMethod(): string {
    return (this.req.method ?? '').toLowerCase();
  }

  getCaseSensitiveMethod(): string {
    return this.req.method ?? '';
  }

  getHeader(lowerCaseKey: string): string {
    const raw = this.req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === lowerCaseKey) return raw[i + 1]!;
    return '';
  }

  /** Every header line in order, names lower-cased (repeated headers kept, as uWS). */
  forEach(cb: (key: string, value: string) => void): void {
    const raw = this.req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) cb(raw[i]!.toLowerCase(), raw[i + 1]!);
  }
}

const EMPTY = new ArrayBuffer(0);

export class CompatResponse {
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private status: string;
  private readonly headers: string[];
  private done: boolean;
  private aborted: (() => void) | undefined;
  /** write() sent the head: the response is a stream until end(). */
  private streaming: boolean;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.req = req;
    this.res = res;
    this.status = '200 OK';
    this.headers = [];
    this.done = false;
    this.aborted = undefined;
    this.streaming = false;
    res.on('close', () => {
      if (!this.done) {
        this.done = true;
        this.aborted?.();
      }
    });
  }

  onAborted(handler: () => void): this {
    this.aborted = handler;
    return this;
  }

  /** Chunks as they come, then an empty chunk flagged last (node only knows the end at 'end'). */
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    this.req.on('data', (chunk: Buffer) => {
      handler(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer, false);
    });
    this.req.on('end', () => handler(EMPTY, true));
    return this;
  }

  cork(cb: () => void): this {
    cb();
    return this;
  }

  writeStatus(status: string): this {
    this.status = status;
    return this;
  }

  /** As uWS, a value may carry further `\r\n`-joined `Name: value` lines (reply.ts HeaderBlock). */
  writeHeader(key: string | Uint8Array, value: string | Uint8Array): this {
    const k = typeof key === 'string' ? key : Buffer.from(key).toString('utf8');
    const v = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    if (v.indexOf('\r\n') === -1) {
      this.headers.push(k, v);
      return this;
    }
    const lines = v.split('\r\n');
    this.headers.push(k, lines[0]!);
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(': ');
      this.headers.push(line.slice(0, colon), line.slice(colon + 2));
    }
    return this;
  }

  end(body?: string | Uint8Array, closeConnection?: boolean): this {
    const b = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : body;
    this.finish(b, false, closeConnection === true);
    return this;
  }

  /** Headers only; a Content-Length, if wanted, was written by the caller. */
  endWithoutBody(): this {
    this.finish(undefined, true, false);
    return this;
  }

  /** node buffers what the socket does not take: always fully "written". */
  tryEnd(body: Uint8Array, _total: number): [boolean, boolean] {
    this.end(body);
    return [true, true];
  }

  /** Called when node's write buffer drains after a write returned false (SSE streams). */
  onWritable(handler: (offset: number) => boolean): this {
    this.res.on('drain', () => handler(0));
    return this;
  }

  /**
   * Streams a chunk (Server-Sent Events): the head goes out first, chunked (no Content-Length).
   * False when node buffered it (the socket is full), as uWS.
   */
  write(chunk: string | Uint8Array): boolean {
    if (this.done) return true;
    if (!this.streaming) {
      this.streaming = true;
      this.res.writeHead(this.code(), this.reason(), this.headLines(false));
    }
    return this.res.write(chunk);
  }

  getRemoteAddressAsText(): ArrayBuffer {
    const b = Buffer.from(this.req.socket.remoteAddress ?? '');
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  close(): this {
    this.req.socket.destroy();
    return this;
  }

  private finish(body: Uint8Array | undefined, noBody: boolean, close: boolean): void {
    if (this.done) return;
    this.done = true;
    if (this.streaming) {
      // The end of a stream started with write().
      if (body !== undefined && body.length > 0) this.res.end(body);
      else this.res.end();
      return;
    }
    const out = this.headLines(close);
    if (!noBody) out.push('Content-Length', String(body!.length));
    this.res.writeHead(this.code(), this.reason(), out);
    if (noBody || body!.length === 0) this.res.end();
    else this.res.end(body);
  }

  private code(): number {
    const space = this.status.indexOf(' ');
    return Number(space === -1 ? this.status : this.status.slice(0, space));
  }

  private reason(): string | undefined {
    const space = this.status.indexOf(' ');
    return space === -1 ? undefined : this.status.slice(space + 1);
  }

  private headLines(close: boolean): string[] {
    const h = this.headers;
    // Asterisk's order: Server, Date, [Connection: close], the handler's headers, Content-Length.
    const out: string[] = [];
    let i = 0;
    if (h[0] === 'Server') {
      out.push(h[0], h[1]!);
      i = 2;
    }
    out.push('Date', new Date().toUTCString());
    if (close) out.push('Connection', 'close');
    for (; i < h.length; i++) out.push(h[i]!);
    return out;
  }
}

export class CompatApp {
  private handler: Handler | undefined;
  private readonly server: Server;
  private readonly sockets: Set<Socket>;

  /** With `tls` (PEM certificate and key) it serves HTTPS, as uWS's SSLApp. */
  constructor(tls?: { cert: Buffer; key: Buffer }, options: CompatOptions = {}) {
    this.handler = undefined;
    this.sockets = new Set();
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      res.sendDate = false;
      // As native uWS (UWS_HTTP_MAX_HEADERS_COUNT): a header flood is not served.
      if (req.rawHeaders.length > MAX_HEADERS * 2) {
        res.writeHead(431, 'Request Header Fields Too Large', { Connection: 'close', 'Content-Length': '0' });
        res.end();
        req.socket.destroySoon();
        return;
      }
      this.handler?.(new CompatResponse(req, res), new CompatRequest(req));
    };
    // An https.Server is a tls.Server that emits the same request/connection events.
    // Checked every 2 s (node's default, 30 s, would let a slow request linger well past the limit).
    const opts = { connectionsCheckingInterval: 2000 };
    this.server = tls === undefined ? createServer(opts, onRequest) : (createHttpsServer({ ...tls, ...opts }, onRequest) as unknown as Server);
    // As native uWS (its fixed 10 s idle timeout), or `requesttimeout`: a request must arrive whole,
    // and an idle keep-alive connection is closed, within it. (Responses, e.g. long-polls, are not limited.)
    const timeout = options.requestTimeoutMs ?? IDLE_TIMEOUT_MS;
    this.server.headersTimeout = timeout;
    this.server.requestTimeout = timeout;
    this.server.keepAliveTimeout = timeout;
    if (options.maxConnections !== undefined) this.server.maxConnections = options.maxConnections;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  any(_pattern: string, handler: Handler): this {
    this.handler = handler;
    return this;
  }

  listen(host: string, port: number, cb: (socket: Server | false) => void): this {
    const onError = (): void => cb(false);
    this.server.once('error', onError);
    this.server.listen(port, host, () => {
      this.server.off('error', onError);
      cb(this.server);
    });
    return this;
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

/**
 * Stops accepting, leaving open connections alone (http.Server.close would also end the idle
 * keep-alive ones); CompatApp.listen listens again.
 */
export function stopListening(server: Server): void {
  if (server.listening) NetServer.prototype.close.call(server);
}

export function compatLocalPort(server: Server): number {
  const a = server.address();
  return a !== null && typeof a === 'object' ? a.port : 0;
}
