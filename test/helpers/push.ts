// Test clients for the push endpoints over real loopback sockets: a WebSocket client (the `ws`
// package) that records every frame, and a raw-HTTP Server-Sent Events reader (a plain TCP socket,
// the chunked encoding and the event-stream records parsed by hand).
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { untilValue } from './until.ts';

export interface WsFrame {
  seq?: number;
  event?: Record<string, string | string[]>;
  actionid?: string;
  messages?: Array<Record<string, string | string[]>>;
  error?: string;
}

export class WsClient {
  readonly ws: WebSocket;
  readonly frames: WsFrame[];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | undefined;

  /** `localAddress`: the loopback address to connect from (a distinct client behind nginx). */
  constructor(url: string, headers: Record<string, string> = {}, localAddress?: string) {
    this.ws = new WebSocket(url, localAddress === undefined ? { headers } : { headers, localAddress });
    this.frames = [];
    this.closeInfo = undefined;
    this.ws.on('message', (m) => this.frames.push(JSON.parse(m.toString()) as WsFrame));
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      });
    });
    this.ws.on('error', () => {
      // the close event follows and carries what the tests check
    });
  }

  static async open(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<WsClient> {
    const c = new WsClient(url, headers, localAddress);
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      c.ws.once('error', reject);
    });
    return c;
  }

  send(v: unknown): void {
    this.ws.send(typeof v === 'string' ? v : JSON.stringify(v));
  }

  /** The first frame (from index `from`) matching `pred`. */
  async frame(pred: (f: WsFrame) => boolean, what: string, from = 0): Promise<WsFrame> {
    return untilValue(() => this.frames.slice(from).find(pred), what);
  }

  reply(actionId: string): Promise<WsFrame> {
    return this.frame((f) => f.actionid === actionId, `the reply to ${actionId}`);
  }

  /** Event frames received so far. */
  get events(): Array<{ seq: number; event: Record<string, string | string[]> }> {
    return this.frames.filter((f) => f.seq !== undefined) as Array<{ seq: number; event: Record<string, string | string[]> }>;
  }

  async event(name: string): Promise<WsFrame> {
    return this.frame((f) => f.event?.Event === name, `event ${name}`);
  }

  close(): void {
    this.ws.close();
  }
}

export interface SseRecord {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** GET <path> on a raw socket; parses the head, de-chunks the body, splits event-stream records. */
export class SseClient {
  readonly socket: Socket;
  status = 0;
  headers: Array<[string, string]> = [];
  /** The body text after de-chunking. */
  text = '';
  readonly records: SseRecord[] = [];
  /** Comment lines seen (`:` heartbeats). */
  comments = 0;
  ended = false;
  private buf = Buffer.alloc(0);
  private headDone = false;
  private parsed = 0;
  private chunkLeft = 0;

  constructor(port: number, path: string, headers: Record<string, string> = {}, localAddress?: string) {
    this.socket = localAddress === undefined ? connect(port, '127.0.0.1') : connect({ port, host: '127.0.0.1', localAddress });
    let h = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n`;
    for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
    this.socket.write(h + '\r\n');
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('close', () => {
      this.ended = true;
    });
    this.socket.on('error', () => {
      this.ended = true;
    });
  }

  header(name: string): string | undefined {
    return this.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  }

  async ready(): Promise<void> {
    await untilValue(() => (this.headDone ? true : undefined), 'the SSE response head');
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.headDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      this.status = Number(lines[0]!.split(' ')[1]);
      this.headers = lines.slice(1).map((l): [string, string] => {
        const i = l.indexOf(':');
        return [l.slice(0, i), l.slice(i + 1).trim()];
      });
      this.buf = this.buf.subarray(end + 4);
      this.headDone = true;
      if (this.header('transfer-encoding') !== 'chunked') {
        // A refusal: a plain body.
        this.text += this.buf.toString('utf8');
        this.buf = Buffer.alloc(0);
        return;
      }
    }
    if (this.header('transfer-encoding') !== 'chunked') {
      this.text += this.buf.toString('utf8');
      this.buf = Buffer.alloc(0);
      return;
    }
    // Streaming de-chunking: uWS writes a chunk's closing CRLF only with the next chunk, so a
    // chunk's data counts as soon as it arrives (as a browser's EventSource reads it).
    for (;;) {
      if (this.chunkLeft > 0) {
        const n = Math.min(this.chunkLeft, this.buf.length);
        if (n === 0) return;
        this.text += this.buf.toString('utf8', 0, n);
        this.buf = this.buf.subarray(n);
        this.chunkLeft -= n;
        continue;
      }
      // Between chunks: an optional CRLF closing the previous chunk, then the size line.
      if (this.buf.length >= 2 && this.buf[0] === 13 && this.buf[1] === 10) this.buf = this.buf.subarray(2);
      const eol = this.buf.indexOf('\r\n');
      if (eol === -1) return;
      const size = parseInt(this.buf.toString('latin1', 0, eol), 16);
      this.buf = this.buf.subarray(eol + 2);
      if (size === 0) {
        this.ended = true;
        return;
      }
      this.chunkLeft = size;
    }
  }

  /** Parses whole records from the text received so far. */
  private parse(): void {
    for (;;) {
      const end = this.text.indexOf('\n\n', this.parsed);
      if (end === -1) return;
      const block = this.text.slice(this.parsed, end);
      this.parsed = end + 2;
      const rec: SseRecord = { id: undefined, event: undefined, data: '' };
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments++;
          continue;
        }
        const i = line.indexOf(': ');
        const k = i === -1 ? line : line.slice(0, i);
        const v = i === -1 ? '' : line.slice(i + 2);
        any = true;
        if (k === 'id') rec.id = v;
        else if (k === 'event') rec.event = v;
        else if (k === 'data') rec.data += v;
      }
      if (any) this.records.push(rec);
    }
  }

  async record(pred: (r: SseRecord) => boolean, what: string): Promise<SseRecord> {
    return untilValue(() => {
      this.parse();
      return this.records.find(pred);
    }, what);
  }

  async end(): Promise<void> {
    await untilValue(() => (this.ended ? true : undefined), 'the end of the stream');
  }

  /** Records so far. */
  all(): SseRecord[] {
    this.parse();
    return this.records;
  }

  close(): void {
    this.socket.destroy();
  }
}

