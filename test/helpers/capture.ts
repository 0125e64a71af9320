// Replays a TCP capture from test/fixtures/asterisk-22 against the simulator over a raw socket, and
// normalises the values that must differ between two runs (ids, times, ports, challenge).
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { CAPTURES } from './fixtures.ts';
import { Waiters } from './waiters.ts';

export { CAPTURES };

export interface Step {
  /** Client bytes (none for the banner). */
  send: Buffer | undefined;
  /** Server bytes that followed, exactly. */
  expect: Buffer;
}

const SENT = Buffer.from('>>>>>>>> CLIENT SENT:\n');
const END = Buffer.from('>>>>>>>> END CLIENT\n');
const CLOSED = Buffer.from('<<< [server closed connection]\n');

/** Splits a `.txt` transcript into steps; `closed` when the server closed the connection. */
export function loadTranscript(name: string): { steps: Step[]; closed: boolean; recv: Buffer } {
  const txt = readFileSync(join(CAPTURES, `${name}.txt`));
  const recv = readFileSync(join(CAPTURES, `${name}.recv`));
  const steps: Step[] = [];
  let closed = false;
  let pos = 0;
  let send: Buffer | undefined;
  for (;;) {
    const next = txt.indexOf(SENT, pos);
    let server = txt.subarray(pos, next === -1 ? txt.length : next);
    const c = server.indexOf(CLOSED);
    if (c !== -1) {
      closed = true;
      server = server.subarray(0, c);
    }
    // The transcript adds one '\n' after a server part that precedes a client marker.
    if (next !== -1 && server.length > 0 && server[server.length - 1] === 10 && server[server.length - 2] === 10) {
      server = server.subarray(0, server.length - 1);
    }
    steps.push({ send, expect: server });
    if (next === -1) break;
    const start = next + SENT.length;
    const end = txt.indexOf(END, start);
    send = txt.subarray(start, end);
    pos = end + END.length;
  }
  return { steps, closed, recv };
}

function countBlocks(b: Buffer): number {
  let n = 0;
  let i = b.indexOf('\r\n\r\n');
  while (i !== -1) {
    n++;
    i = b.indexOf('\r\n\r\n', i + 4);
  }
  return n;
}

/** A raw client connection that replays a transcript step by step. */
export class Replay {
  readonly socket: Socket;
  readonly steps: Step[];
  readonly closedAtEnd: boolean;
  private chunks: Buffer[];
  private got: Buffer;
  private isClosed: boolean;
  private readonly waiters: Waiters;
  private expected: number;
  /** Lets a test rewrite what it sends (secrets, MD5 key) given what it has received. */
  rewrite: (send: Buffer, received: Buffer) => Buffer;

  private constructor(socket: Socket, name: string) {
    const t = loadTranscript(name);
    this.socket = socket;
    this.steps = t.steps;
    this.closedAtEnd = t.closed;
    this.chunks = [];
    this.got = Buffer.alloc(0);
    this.isClosed = false;
    this.waiters = new Waiters(() => this.isClosed, () => `; got:\n${this.got.toString()}`);
    this.expected = 0;
    this.rewrite = (b) => b;
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.got = Buffer.concat(this.chunks);
      this.notify();
    });
    socket.on('close', () => {
      this.isClosed = true;
      this.notify();
    });
    socket.on('error', () => {});
  }

  static open(port: number, name: string): Promise<Replay> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new Replay(s, name)));
      s.once('error', reject);
    });
  }

  get received(): Buffer {
    return this.got;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private notify(): void {
    this.waiters.notify();
  }

  /** Resolves when `cond` holds (re-checked on every chunk / close); rejects after `ms`. */
  waitFor(cond: () => boolean, what: string, ms = 10000): Promise<void> {
    return this.waiters.waitFor(cond, what, ms);
  }

  /** Sends step i's client bytes, then waits for as many messages as the capture shows. */
  async step(i: number): Promise<void> {
    const st = this.steps[i]!;
    if (st.send !== undefined && !this.isClosed) this.socket.write(this.rewrite(st.send, this.got));
    this.expected += countBlocks(st.expect);
    const want = this.expected;
    if (i === 0) await this.waitFor(() => this.got.indexOf('\r\n') !== -1, 'banner');
    if (want > 0) await this.waitFor(() => countBlocks(this.got) >= want, `${want} messages after step ${i}`);
  }

  async run(from = 0, to = this.steps.length): Promise<void> {
    for (let i = from; i < to; i++) await this.step(i);
    if (to === this.steps.length && this.closedAtEnd) await this.waitFor(() => this.isClosed, 'server close');
  }

  /** The capture's server bytes (concatenated steps). */
  expectedBytes(): Buffer {
    return Buffer.concat(this.steps.map((s) => s.expect));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const VOLATILE = new Set([
  'EventTV',
  'SessionTV',
  'Timestamp',
  'Uptime',
  'LastReload',
  'SessionID',
  'Challenge',
  'StartTime',
  'AnswerTime',
  'EndTime',
  'Duration',
  'BillableSeconds',
  'Seconds',
]);

/**
 * Replaces what must differ between two runs with stable tokens: ids and channel suffixes map to
 * U1, U2 / S1, S2 in order of first appearance (so links between events are still checked),
 * times and ports to placeholders.
 */
export function normalise(text: string): string {
  const ids = new Map<string, string>();
  const sfx = new Map<string, string>();
  const token = (m: Map<string, string>, p: string, v: string): string => {
    let t = m.get(v);
    if (t === undefined) {
      t = `${p}${m.size + 1}`;
      m.set(v, t);
    }
    return t;
  };
  return text
    .split('\r\n')
    .map((line) => {
      const c = line.indexOf(': ');
      if (c === -1) return line;
      const key = line.slice(0, c);
      let val = line.slice(c + 2);
      if (/(uniqueid|linkedid)$/i.test(key) && val !== '' && val !== '<null>' && val !== 'none') return `${key}: ${token(ids, 'U', val)}`;
      if (VOLATILE.has(key)) return `${key}: <${key}>`;
      if (key === 'LocalAddress' || key === 'RemoteAddress') return `${key}: ${val.replace(/\/\d+$/, '/PORT')}`;
      if (key === 'Output') val = val.replace(/\d+ seconds?/g, 'N seconds');
      val = val.replace(/-([0-9a-f]{8});/g, (_m, s: string) => `-${token(sfx, 'S', s)};`);
      return `${key}: ${val}`;
    })
    .join('\r\n');
}
