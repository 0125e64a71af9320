// One client connection to the simulator: read actions as Asterisk does (manager-input.ts), run them in
// order (one at a time, like Asterisk's session thread), and write replies through an output
// queue that the fault knobs (stall, 1-byte writes) act on.
import type { Socket } from 'node:net';
import { parseOne, type AmiMessage } from '../ami/message.ts';
import { ManagerInput } from './manager-input.ts';
import { dispatch } from './actions.ts';
import * as reply from './reply.ts';
import type { AmiSimulator } from './index.ts';
import type { ActionSession } from './host.ts';

interface Queued {
  msg: AmiMessage;
  at: number;
  /** Asterisk answers this message with this error instead of running it (see manager-input.ts). */
  parseError: string | undefined;
}

const CRLF = Buffer.from('\r\n');

let sessionCounter = 0;

function onData(this: Socket, chunk: Buffer): void {
  const s = (this as SocketWithSession).simSession;
  s.sim.recordBytes(chunk);
  s.wake();
  s.input.push(chunk);
}

function onClose(this: Socket): void {
  (this as SocketWithSession).simSession.closed();
}

function onError(): void {
  // A reset by the peer; 'close' follows.
}

function afterSplitByte(s: SimSession): void {
  s.splitDone();
}

type SocketWithSession = Socket & { simSession: SimSession };

export class SimSession implements ActionSession {
  readonly sim: AmiSimulator;
  readonly socket: Socket;
  readonly input: ManagerInput;
  /** Like Asterisk's session pointer in security events. */
  readonly sessionId: string;
  readonly sessionTV: string;
  readonly localAddress: string;
  readonly remoteAddress: string;

  // authentication
  authenticated: boolean;
  username: string;
  readperm: number;
  writeperm: number;
  /** Asterisk's `send_events`: -1 (all) until Events / Login's Events changes it. */
  sendEvents: number;
  challenge: string;

  // actions, run one at a time
  private readonly queue: Array<Queued | undefined>;
  private head: number;
  private blocked: boolean;
  private pumpTimer: NodeJS.Timeout | undefined;
  /** Wakes a waiting WaitEvent (client input or an event for this session). */
  private waiter: (() => void) | undefined;

  // output
  private readonly out: Buffer[];
  private outOffset: number;
  private splitBusy: boolean;
  private ending: boolean;
  isClosed: boolean;
  /** This session alone reads, answers and writes nothing (a half-open connection). */
  stalled: boolean;

  constructor(sim: AmiSimulator, socket: Socket) {
    this.sim = sim;
    this.socket = socket;
    this.input = new ManagerInput({ message: (lines, parseError) => this.enqueue(lines, parseError) });
    this.sessionId = '0x7f82' + (0x440011a0 + ++sessionCounter * 0x1230).toString(16);
    this.sessionTV = reply.eventTV(Date.now());
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    this.authenticated = false;
    this.username = '';
    this.readperm = 0;
    this.writeperm = 0;
    this.sendEvents = -1;
    this.challenge = '';
    this.queue = [];
    this.head = 0;
    this.blocked = false;
    this.pumpTimer = undefined;
    this.waiter = undefined;
    this.out = [];
    this.outOffset = 0;
    this.splitBusy = false;
    this.ending = false;
    this.isClosed = false;
    this.stalled = false;
    (socket as SocketWithSession).simSession = this;
    socket.setNoDelay(true);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    if (sim.isStalled) socket.pause();
  }

  /** The simulator, or this session alone, is stalled. */
  get held(): boolean {
    return this.sim.isStalled || this.stalled;
  }

  /** Stalls or resumes this session alone (see AmiSimulator.stallEventSessions). */
  stall(on: boolean): void {
    this.stalled = on;
    if (on) this.socket.pause();
    else if (!this.sim.isStalled) {
      this.socket.resume();
      this.flush();
      this.pump();
    }
  }

  // ---- input -------------------------------------------------------------------------------

  private enqueue(lines: Buffer[], parseError: string | undefined): void {
    const parts: Buffer[] = [];
    for (const line of lines) parts.push(line, CRLF);
    parts.push(CRLF);
    const msg = parseOne(Buffer.concat(parts));
    // Only what Asterisk would run is recorded as an action.
    if (parseError === undefined) this.sim.recordAction(msg);
    const delay = parseError === undefined ? this.sim.delayFor(msg) : 0;
    this.queue.push({ msg, at: delay === 0 ? 0 : Date.now() + delay, parseError });
    this.pump();
  }

  /** Runs queued actions in order; an action returning a promise blocks the ones behind it. */
  pump(): void {
    while (!this.blocked && !this.isClosed && !this.ending && !this.held && this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      const wait = item.at === 0 ? 0 : item.at - Date.now();
      if (wait > 0) {
        if (this.pumpTimer === undefined) {
          this.pumpTimer = setTimeout(() => {
            this.pumpTimer = undefined;
            this.pump();
          }, wait);
          this.pumpTimer.unref();
        }
        return;
      }
      this.queue[this.head++] = undefined; // let the message go
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (item.parseError !== undefined) {
        this.send(reply.error(item.msg.get('ActionID') ?? '', item.parseError));
        continue;
      }
      const pending = dispatch(this, item.msg);
      if (pending !== undefined) {
        this.blocked = true;
        void pending.then(() => {
          this.blocked = false;
          this.pump();
        });
        return;
      }
    }
  }

  /** Waits until client input, an event for this session, close, or `ms` (-1: no limit). */
  waitForActivity(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) this.sim.cancel(timer);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = done;
      if (ms >= 0) timer = this.sim.later(ms, done);
    });
  }

  wake(): void {
    this.waiter?.();
  }

  // ---- output ------------------------------------------------------------------------------

  send(data: string | Buffer): void {
    if (this.isClosed || this.ending) return;
    if (this.out.length === 0 && !this.splitBusy && !this.held && !this.sim.isSplit) {
      // One write per reply, as Asterisk (which even writes a reply in several pieces); a string
      // goes to the socket as is (no Buffer copy first).
      this.socket.write(data);
      return;
    }
    this.out.push(typeof data === 'string' ? Buffer.from(data) : data);
    this.flush();
  }

  /** An event that passed this session's filters (see AmiSimulator.broadcast). */
  sendEvent(buf: Buffer): void {
    this.send(buf);
    this.wake();
  }

  /** Closes once everything queued has been written (Logoff, failed login). */
  end(): void {
    this.ending = true;
    this.flush();
  }

  flush(): void {
    if (this.isClosed || this.held || this.splitBusy) return;
    const out = this.out;
    if (this.sim.isSplit) {
      if (out.length > 0) {
        const buf = out[0]!;
        const byte = buf.subarray(this.outOffset, this.outOffset + 1);
        if (++this.outOffset >= buf.length) {
          out.shift();
          this.outOffset = 0;
        }
        this.splitBusy = true;
        // The next byte goes one loop turn after this one left, so a reader sees them one by one.
        this.socket.write(byte, () => setImmediate(afterSplitByte, this));
        return;
      }
    } else if (out.length > 0) {
      if (this.outOffset > 0) out[0] = out[0]!.subarray(this.outOffset);
      this.outOffset = 0;
      for (const b of out) this.socket.write(b);
      out.length = 0;
    }
    if (this.ending && out.length === 0) this.socket.end();
  }

  splitDone(): void {
    this.splitBusy = false;
    this.flush();
  }

  /** Called by the socket's 'close'. */
  closed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.queue.length = 0;
    this.out.length = 0;
    this.wake();
    this.sim.sessionClosed(this);
  }
}

/** Asterisk's `IPV4/TCP/127.0.0.1/5038` form. */
function formatAddress(addr: string | undefined, port: number | undefined): string {
  let a = addr ?? '0.0.0.0';
  if (a.startsWith('::ffff:')) a = a.slice(7);
  return `${a.includes(':') ? 'IPV6' : 'IPV4'}/TCP/${a}/${port ?? 0}`;
}
