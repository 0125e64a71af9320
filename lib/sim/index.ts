// AmiSimulator: a fake Asterisk 22 speaking AMI over TCP, for tests and `npm run sim`.
// Server, sessions, event fan-out, fault knobs and observation live here; actions, calls and
// channels in their own modules.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { AmiMessage } from '../ami/message.ts';
import { Call, type CallHost, type CallSpec } from './calls.ts';
import { CallGenerator } from './generator.ts';
import { ChannelStore, type Pairs } from './channels.ts';
import { ALL, CALL, authorityToStr, categoryFromPrivilege, getPerm } from './perms.ts';
import { lines } from './reply.ts';
import { QueueSystem, type QueueCallSpec } from './queues.ts';
import { QueueTraffic, type QueueTrafficOptions } from './queue-traffic.ts';
import { SimSession } from './session.ts';
import type { SimAccount, SimHost } from './host.ts';
import { invalidArgument } from '../errors.ts';
import { ACTIONS, findAction, type RegisteredAction } from './registry.ts';
import { DEFAULTS } from '../config/defaults.ts';

export interface SimUser {
  username: string;
  secret: string;
  /** manager.conf class list, e.g. 'all' or 'call,agent,reporting'. */
  read: string;
  write: string;
}

export interface SimOptions {
  host?: string;
  port?: number;
  users?: SimUser[];
  amiVersion?: string;
  asteriskVersion?: string;
  /** Answer Command in the pre-Asterisk-14 `Response: Follows` form. */
  followsCommand?: boolean;
  /** Answer to hangup of one call (the captures' dialplan runs about 2 s). */
  callDurationMs?: number;
  /** Delay before `Authentication failed` (Asterisk sleeps 1 s). */
  loginFailDelayMs?: number;
  /** Keep `received` and `receivedBytes()` (turn off for long load runs). */
  record?: boolean;
  /**
   * Actions this Asterisk does not register, as one whose module is not loaded (say app_queue's
   * Queue* actions): ListCommands leaves them out and calling one gets Asterisk's
   * `Invalid/unknown command` (two servers behind one proxy often differ so).
   */
  missingActions?: readonly string[];
}

export const DEFAULT_USERS: ReadonlyArray<SimUser> = [
  { username: 'admin', secret: 'admin', read: 'all', write: 'all' },
  { username: 'wallboard', secret: 'wallpw', read: 'call,agent,reporting', write: 'reporting' },
];


const DEFAULT_GARBAGE = Buffer.from('\x00\xff garbage without a colon\r\n\x01\x02\x03\r\n\r\n', 'latin1');

export class AmiSimulator extends EventEmitter implements SimHost {
  readonly host: string;
  readonly amiVersion: string;
  readonly asteriskVersion: string;
  readonly followsCommand: boolean;
  readonly callDurationMs: number;
  readonly loginFailDelayMs: number;
  private readonly record: boolean;
  private readonly users: Map<string, SimAccount>;
  private requestedPort: number;

  private readonly server: Server;
  private readonly sessions: Set<SimSession>;
  private readonly timers: Set<NodeJS.Timeout>;
  private readonly calls: Set<Call>;
  private readonly generator: CallGenerator;
  private readonly privCache: Map<number, string>;
  private readonly callHost: CallHost;
  private listening: boolean;

  // model
  readonly channels: ChannelStore;
  readonly globals: Map<string, string>;
  /** astdb: `/family/key` -> value. */
  readonly db: Map<string, string>;
  readonly actions: ReadonlyArray<RegisteredAction>;
  private readonly actionsByName: ReadonlyMap<string, RegisteredAction>;
  readonly startedAtSec: number;
  /** app_queue: queues, members, waiting callers (QueueStatus, QueueSummary and the queue events). */
  readonly queues: QueueSystem;
  private readonly queueTraffic: QueueTraffic;

  // faults
  isStalled: boolean;
  isSplit: boolean;
  isRefusing: boolean;
  actionDelayMs: number;
  /** An Originate's call starts this long after the action (the phone rings); 0 by default. */
  ringMs: number;
  /** Lower-case action name → ms it takes to run (blocking its session, as in Asterisk). */
  private readonly slow: Map<string, number>;

  // observation
  /** Every action received that Asterisk would run (not those it answers with a parse error), all connections, in order. */
  readonly received: AmiMessage[];
  private readonly receivedChunks: Buffer[];
  /** Connections accepted since start. */
  totalConnections: number;

  constructor(opts: SimOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.requestedPort = opts.port ?? 0;
    this.amiVersion = opts.amiVersion ?? '11.0.0';
    this.asteriskVersion = opts.asteriskVersion ?? '22.10.1';
    this.followsCommand = opts.followsCommand ?? false;
    this.callDurationMs = opts.callDurationMs ?? DEFAULTS.simCallDurationMs;
    this.loginFailDelayMs = opts.loginFailDelayMs ?? DEFAULTS.loginFailDelayMs;
    this.record = opts.record ?? true;
    const missing = new Set<string>();
    for (const name of opts.missingActions ?? []) {
      const a = findAction(name);
      if (a === undefined) throw invalidArgument(`missingActions: '${name}' is not an action of the captured Asterisk`);
      missing.add(a.name);
    }
    this.actions = ACTIONS.filter((a) => !missing.has(a.name));
    this.actionsByName = new Map(this.actions.map((a) => [a.name.toLowerCase(), a]));
    this.users = new Map();
    for (const u of opts.users ?? DEFAULT_USERS) {
      this.users.set(u.username.toLowerCase(), {
        username: u.username,
        secret: u.secret,
        readMask: getPerm(u.read),
        writeMask: getPerm(u.write),
      });
    }
    this.server = createServer((socket) => this.accept(socket));
    this.sessions = new Set();
    this.timers = new Set();
    this.calls = new Set();
    this.privCache = new Map();
    this.listening = false;
    this.channels = new ChannelStore();
    this.globals = new Map();
    this.db = new Map();
    this.startedAtSec = Math.floor(Date.now() / 1000);
    this.isStalled = false;
    this.isSplit = false;
    this.isRefusing = false;
    this.actionDelayMs = 0;
    this.ringMs = 0;
    this.slow = new Map();
    this.received = [];
    this.receivedChunks = [];
    this.totalConnections = 0;
    // The view of the simulator that calls get (keeps Call decoupled from the server).
    this.callHost = {
      channels: this.channels,
      callDurationMs: this.callDurationMs,
      emit: (name, category, pairs) => this.event(name, category, pairs),
      later: (ms, fn) => this.later(ms, fn),
      cancel: (t) => this.cancel(t),
    };
    this.generator = new CallGenerator((spec, onAnswer, onEnd) => this.startCall(spec, onAnswer, onEnd));
    this.queues = new QueueSystem(this.callHost, this.startedAtSec);
    this.queueTraffic = new QueueTraffic(this.queues);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Starts listening; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.requestedPort, this.host, () => {
        this.server.off('error', onError);
        this.listening = true;
        this.requestedPort = this.port;
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : this.requestedPort;
  }

  /** Stops calls and timers, drops every client; resolves when all sockets are gone. */
  close(): Promise<void> {
    this.generator.stop();
    this.queueTraffic.stop();
    this.queues.abort();
    for (const c of this.calls) c.abort();
    this.calls.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closing = new Promise<void>((resolve) => {
      if (!this.listening) return resolve();
      this.listening = false;
      this.server.close(() => resolve());
    });
    for (const s of this.sessions) s.socket.destroy();
    return closing;
  }

  private accept(socket: Socket): void {
    if (this.isRefusing) {
      // AMI down: the port answers, then hangs up at once (what a restarting Asterisk looks like).
      socket.destroy();
      return;
    }
    this.totalConnections++;
    const s = new SimSession(this, socket);
    this.sessions.add(s);
    s.send(`Asterisk Call Manager/${this.amiVersion}\r\n`);
    this.emit('connection', s);
  }

  /** Called by a session when its socket closed. */
  sessionClosed(s: SimSession): void {
    this.sessions.delete(s);
    this.emit('disconnect', s);
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Logged-in sessions (username, classes, events mask) for tests. */
  get loggedIn(): Array<{ username: string; readperm: number; writeperm: number; sendEvents: number }> {
    const out = [];
    for (const s of this.sessions) {
      if (s.authenticated) out.push({ username: s.username, readperm: s.readperm, writeperm: s.writeperm, sendEvents: s.sendEvents });
    }
    return out;
  }

  findAction(name: string): RegisteredAction | undefined {
    return this.actionsByName.get(name.toLowerCase());
  }

  findUser(name: string): SimAccount | undefined {
    return this.users.get(name.toLowerCase());
  }

  get uptime(): number {
    return Math.floor(Date.now() / 1000) - this.startedAtSec;
  }

  get sinceReload(): number {
    return this.uptime;
  }

  // ---- timers --------------------------------------------------------------------------------

  /** A tracked, unref'd timer, cleared by close(). */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  // ---- events --------------------------------------------------------------------------------

  private privilege(category: number): string {
    let p = this.privCache.get(category);
    if (p === undefined) {
      p = authorityToStr(category);
      this.privCache.set(category, p);
    }
    return p;
  }

  /**
   * Sends an event to every logged-in session holding all bits of `category` in both its read
   * classes and its event mask (manager.c). `body` is the header lines after Privilege.
   */
  emitBody(name: string, category: number, body: string): void {
    const buf = Buffer.from(`Event: ${name}\r\nPrivilege: ${this.privilege(category)}\r\n${body}\r\n`);
    for (const s of this.sessions) {
      if (s.authenticated && (s.readperm & category) === category && (s.sendEvents & category) === category) s.sendEvent(buf);
    }
  }

  /** Sends an event built from pairs (the header lines after Privilege). */
  event(name: string, category: number, pairs: Pairs): void {
    this.emitBody(name, category, lines(pairs));
  }

  /**
   * Injects an event. `pairs` starts with `['Event', name]`; `privilege` is the category as a mask
   * or as Asterisk prints it (`call,all`).
   */
  emitEvent(pairs: Pairs, privilege: number | string): void {
    const [first, ...rest] = pairs;
    if (first === undefined || first[0].toLowerCase() !== 'event') throw invalidArgument('emitEvent: pairs must start with Event');
    const category = typeof privilege === 'number' ? privilege : categoryFromPrivilege(privilege);
    this.emitBody(first[1], category === 0 ? ALL : category, lines(rest));
  }

  // ---- calls ---------------------------------------------------------------------------------

  /** Starts one call (Originate, the generator, or a test). */
  startCall(spec: CallSpec, onAnswer?: () => void, onEnd?: () => void): Call {
    const call: Call = new Call(this.callHost, spec, onAnswer, () => {
      this.calls.delete(call);
      onEnd?.();
    });
    this.calls.add(call);
    call.start();
    return call;
  }

  /** Starts a call like `Action: Originate` + `Async: true` would. */
  originate(opts: Partial<CallSpec> & { channel: string }): Call {
    return this.startCall({
      context: 'test',
      exten: '200',
      priority: 1,
      application: '',
      data: '',
      callerIdNum: '',
      callerIdName: '',
      variables: [],
      originateResponse: true,
      actionId: '',
      ...opts,
    });
  }

  /** The OriginateResponse of an Originate that could not place its call. */
  originateFailure(spec: CallSpec): void {
    const target: Pairs = spec.application !== '' ? [['Application', spec.application], ['Data', spec.data]] : [['Context', spec.context], ['Exten', spec.exten]];
    const pairs: Pairs = [];
    if (spec.actionId !== '') pairs.push(['ActionID', spec.actionId]);
    pairs.push(['Response', 'Failure'], ['Channel', spec.channel], ...target, ['Reason', '0'], ['Uniqueid', '<null>']);
    pairs.push(['CallerIDNum', spec.callerIdNum || '<unknown>'], ['CallerIDName', spec.callerIdName || '<unknown>']);
    this.emitBody('OriginateResponse', CALL, lines(pairs));
  }

  /** Unsolicited calls: `cps` new calls per second, at most `concurrency` at once. */
  startCalls(opts: { cps: number; concurrency: number }): void {
    this.generator.start(opts.cps, opts.concurrency);
  }

  stopCalls(): void {
    this.generator.stop();
  }

  /** Unsolicited queue callers (and the demo agents logging in): see QueueTraffic. */
  startQueueCalls(opts: QueueTrafficOptions): void {
    this.queueTraffic.start(opts);
  }

  stopQueueCalls(): void {
    this.queueTraffic.stop();
  }

  /** Logs the demo agents in to the demo queues without starting traffic. */
  staffQueues(): void {
    this.queueTraffic.staffQueues();
  }

  /** One caller into a queue (a test's burst); undefined if there is no such queue. */
  queueCall(spec: QueueCallSpec): string | undefined {
    return this.queues.call(spec)?.name;
  }

  /** Calls in progress (all sources). */
  get activeCalls(): number {
    return this.calls.size;
  }

  // ---- faults --------------------------------------------------------------------------------

  /** Destroys every client socket. */
  dropAll(): void {
    for (const s of this.sessions) s.socket.destroy();
  }

  /** Destroys the sockets of the sessions that receive events (event mask not off); returns how many. */
  dropEventSessions(): number {
    let n = 0;
    for (const s of this.sessions) {
      if (s.authenticated && s.sendEvents !== 0) {
        s.socket.destroy();
        n++;
      }
    }
    return n;
  }

  /** Stalls (or resumes) only the sessions that receive events: a half-open events connection. */
  stallEventSessions(on: boolean): number {
    let n = 0;
    for (const s of this.sessions) {
      if (s.authenticated && (on ? s.sendEvents !== 0 : s.stalled)) {
        s.stall(on);
        n++;
      }
    }
    return n;
  }

  /** Every action named `action` takes `ms` to run (0 removes it); its session's later actions wait. */
  slowAction(action: string, ms: number): void {
    if (ms > 0) this.slow.set(action.toLowerCase(), ms);
    else this.slow.delete(action.toLowerCase());
  }

  /** How long this action is held before it runs (delayActions and slowAction). */
  delayFor(msg: AmiMessage): number {
    if (this.slow.size === 0) return this.actionDelayMs;
    return Math.max(this.actionDelayMs, this.slow.get((msg.get('Action') ?? '').toLowerCase()) ?? 0);
  }

  /** Every Originate rings `ms` before its call starts (a synchronous one is answered only then). */
  ring(ms: number): void {
    this.ringMs = Math.max(0, ms);
  }

  /** While on: read nothing, answer nothing, write nothing (output is held, then sent). */
  stall(on: boolean): void {
    this.isStalled = on;
    for (const s of this.sessions) {
      if (on) s.socket.pause();
      else {
        s.socket.resume();
        s.flush();
        s.pump();
      }
    }
  }

  /** While on, new connections are closed at once; with dropAll() this stops the AMI service. */
  refuse(on: boolean): void {
    this.isRefusing = on;
  }

  /** Writes bytes that are not AMI to every connection. */
  sendGarbage(bytes: Buffer | string = DEFAULT_GARBAGE): void {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    for (const s of this.sessions) s.send(buf);
  }

  /** While on, every write is sent one byte at a time. */
  splitWrites(on: boolean): void {
    this.isSplit = on;
    if (!on) for (const s of this.sessions) s.flush();
  }

  /** Holds each action `ms` after it arrives before running it (order kept). */
  delayActions(ms: number): void {
    this.actionDelayMs = Math.max(0, ms);
  }

  // ---- observation ---------------------------------------------------------------------------

  recordAction(msg: AmiMessage): void {
    if (this.record) this.received.push(msg);
    this.emit('action', msg);
  }

  recordBytes(chunk: Buffer): void {
    if (this.record) this.receivedChunks.push(chunk);
  }

  /** All raw bytes received from clients, in arrival order. */
  receivedBytes(): Buffer {
    return Buffer.concat(this.receivedChunks);
  }

  /** Forgets what was received (between test phases). */
  clearReceived(): void {
    this.received.length = 0;
    this.receivedChunks.length = 0;
  }
}

export type { CallSpec } from './calls.ts';
export { SimSession } from './session.ts';
