// One TCP connection to Asterisk's AMI: banner, login (plain or MD5 challenge), FullyBooted gating,
// keepalive Ping, reconnect with capped exponential backoff and jitter, write batching with
// backpressure. It knows nothing of callers: the pool routes what it emits as 'message'.
//
// Life cycle: IDLE → CONNECTING → BANNER → (CHALLENGE →) LOGIN → (BOOTING →) READY; any failure
// tears the socket down, emits 'down' and waits on the backoff schedule (WAITING) before CONNECTING
// again; close() ends it for good (CLOSED).
//
// Stall detection: a connection counts as stalled when a Ping probe is outstanding and not one byte
// has arrived for stallTimeoutMs / 2, and the other connections (`aliveElsewhere`), probed meanwhile,
// have not answered either (bytes of any kind prove Asterisk alive: a Ping
// behind a burst of actions is answered late, not never). Probes go out from the keepalive timer and from probe() (the
// pool probes a connection that has actions in flight and went silent), never while `longActions`
// > 0: Asterisk runs one connection's actions one after another, so a synchronous Originate holds the
// Ping behind it for up to its ring timeout without anything being wrong. Nor does a slow action of
// normal length: while Asterisk answers on another connection (`aliveElsewhere`, from the pool), a
// silent connection with an unanswered probe gets up to busyTimeoutMs (the action timeout).
//
// Events on or off is a role the pool may move between connections (event failover): setEvents()
// sends `Action: Events` on a ready connection and sets what the next login asks for.
//
// FullyBooted: Asterisk sends it after a successful Login only to sessions whose event mask
// includes `system` (captures tcp_01 vs tcp_09 / tcp_08b: with `Events: off` nothing follows the
// login response). So an events-on connection waits for it (bounded by bootTimeoutMs), and an
// events-off connection is ready as soon as the login is accepted.
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { AmiParser } from './parser.ts';
import type { AmiMessage } from './message.ts';
import { AjamError, ErrorCodes, type ErrorCode, invalidArgument } from '../errors.ts';
import { md5Key } from './md5-key.ts';
import { DEFAULTS } from '../config/defaults.ts';

export interface BackoffOptions {
  /** First retry delay (before jitter). */
  initialMs?: number;
  /** Cap on the delay (before jitter). */
  maxMs?: number;
  /** First retry delay after Asterisk refused the login (default 60 s). */
  authInitialMs?: number;
  /** Cap on the delay after refused logins (default 600 s). */
  authMaxMs?: number;
}

/** What Asterisk's FullyBooted said, and when it was received. */
export interface BootSnapshot {
  /** Seconds since Asterisk started, when the event was received. */
  uptime: number;
  /** Seconds since its last reload, then. */
  lastReload: number;
  /** Date.now() when received. */
  at: number;
}

export interface AmiConnectionOptions {
  host: string;
  port: number;
  username: string;
  secret: string;
  authType?: 'plain' | 'md5';
  /** `Events: on` at login (the pool's event connection) or `off`; see setEvents(). */
  events: boolean;
  /** Ping every this many ms while ready; 0 disables. */
  keepaliveMs?: number;
  /** A probe (Ping) outstanding with no byte received for half of this means Asterisk has stalled. */
  stallTimeoutMs?: number;
  /**
   * How long a probe may stay unanswered while `aliveElsewhere` says Asterisk answers on other
   * connections (this one is then only busy with a slow action); default: stallTimeoutMs / 2.
   */
  busyTimeoutMs?: number;
  /** Bound on connect + banner + login + FullyBooted. */
  bootTimeoutMs?: number;
  backoff?: BackoffOptions;
  maxMessageSize?: number;
  /** Start of the ActionIDs of this connection's own actions (login, ping). */
  idPrefix?: string;
  /** Used in error messages and logs, e.g. `ami#0`. */
  name?: string;
}

/**
 * What the other connections of the same Asterisk say about a silent one: one received bytes since
 * its probe and it has actions ahead of the Ping that may be slow ('alive'), they were probed and the
 * answer is pending ('asked'), or nothing can excuse the silence (no other ready connection, or
 * nothing in flight ahead of the Ping) ('none').
 */
export type Witness = 'alive' | 'asked' | 'none';

export const ConnState = {
  IDLE: 0,
  CONNECTING: 1,
  BANNER: 2,
  CHALLENGE: 3,
  LOGIN: 4,
  BOOTING: 5,
  READY: 6,
  WAITING: 7,
  CLOSED: 8,
} as const;
export type ConnStateValue = (typeof ConnState)[keyof typeof ConnState];

const { IDLE, CONNECTING, BANNER, CHALLENGE, LOGIN, BOOTING, READY, WAITING, CLOSED } = ConnState;
const STATE_NAMES = ['idle', 'connecting', 'waiting for banner', 'challenge', 'login', 'waiting for FullyBooted', 'ready', 'waiting to reconnect', 'closed'];

/** A socket that knows its connection, so listeners can be module-level functions (no closures). */
interface OwnedSocket extends Socket {
  ami: AmiConnection | null;
}

const FORBIDDEN = /[\r\n\0]/;

/**
 * Events: 'ready' (), 'down' (err: AjamError, retryInMs: number), 'loginFailed' (err: AjamError),
 * 'message' (msg: AmiMessage) for everything not consumed by the handshake or keepalive,
 * 'banner' (version: string), 'parseError' (code, text).
 */
export class AmiConnection extends EventEmitter {
  // options (validated once)
  readonly host: string;
  readonly port: number;
  readonly username: string;
  private readonly secret: string;
  readonly authType: 'plain' | 'md5';
  /** What the next login asks for (`Events: on/off`); setEvents() changes it. */
  events: boolean;
  readonly keepaliveMs: number;
  readonly stallTimeoutMs: number;
  readonly busyTimeoutMs: number;
  /** Set by the pool: whether Asterisk answered recently on another connection. */
  aliveElsewhere: ((since: number) => Witness) | null;
  /** Time of the last byte received. */
  lastByteAt: number;
  readonly bootTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly authBackoffInitialMs: number;
  readonly authBackoffMaxMs: number;
  /** Consecutive refused logins (the auth back-off's exponent); reset when ready. */
  authFailures: number;
  /** The FullyBooted this connection's session saw, if any (reset at every connect). */
  booted: BootSnapshot | undefined;
  /** Date.now() of the next attempt while WAITING. */
  private retryAt: number;
  readonly name: string;
  private readonly idPrefix: string;

  // wire
  private socket: OwnedSocket | null;
  private readonly parser: AmiParser;
  state: ConnStateValue;
  /** AMI version from the banner of the current (or last) connection. */
  version: string | undefined;

  // outgoing batch: joined and written once per event-loop turn
  private out: string[];
  private flushScheduled: boolean;
  /** socket.write returned false: hold writes until 'drain'. */
  private blocked: boolean;

  // handshake / keepalive / reconnect
  private handshakeId: string;
  private pingId: string | null;
  /** `rx` when the outstanding probe was sent or last heard from. */
  private pingRx: number;
  /** When the outstanding probe was sent or last heard from. */
  private pingAt: number;
  /** The other connections were asked about the outstanding probe's silence (see handlePingTimeout). */
  private confirming: boolean;
  /** Id of our own outstanding `Action: Events` (its Response is consumed here). */
  private eventsId: string | null;
  /** Events on/off as Asterisk has it for the current session (set at login and by setEvents). */
  private sessionEvents: boolean;
  /** Data chunks received (ever): a cheap 'heard anything since?' for stall detection. */
  rx: number;
  /**
   * Actions on this connection that Asterisk may legitimately hold for long (a synchronous
   * Originate, anything given more than the default timeout). Maintained by the pool; while > 0
   * no probe is sent.
   */
  longActions: number;
  private seq: number;
  private handshakeTimer: NodeJS.Timeout | null;
  private keepTimer: NodeJS.Timeout | null;
  private pingTimer: NodeJS.Timeout | null;
  private retryTimer: NodeJS.Timeout | null;
  /** Consecutive failed attempts; reset when ready. */
  attempts: number;
  lastError: AjamError | null;
  /** Number of times this connection became ready (reconnects = readyCount - 1). */
  readyCount: number;
  /** @internal the socket's 'error', kept for the 'close' that follows. */
  socketError: Error | undefined;

  constructor(opts: AmiConnectionOptions) {
    super();
    const d = DEFAULTS;
    if (typeof opts.host !== 'string' || opts.host === '') throw invalidArgument('host is required');
    if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw invalidArgument(`invalid port ${opts.port}`);
    for (const [k, v] of [['username', opts.username], ['secret', opts.secret]] as const) {
      if (typeof v !== 'string' || FORBIDDEN.test(v)) throw invalidArgument(`${k} must be a string without CR, LF or NUL`);
    }
    if (opts.username === '') throw invalidArgument('username is required');
    const authType = opts.authType ?? d.authtype;
    if (authType !== 'plain' && authType !== 'md5') throw invalidArgument(`authType must be 'plain' or 'md5', got ${String(authType)}`);
    this.host = opts.host;
    this.port = opts.port;
    this.username = opts.username;
    this.secret = opts.secret;
    this.authType = authType;
    this.events = opts.events === true;
    this.keepaliveMs = nonNegative('keepaliveMs', opts.keepaliveMs, d.keepaliveMs);
    this.stallTimeoutMs = positive('stallTimeoutMs', opts.stallTimeoutMs, d.stallTimeoutMs);
    this.busyTimeoutMs = positive('busyTimeoutMs', opts.busyTimeoutMs, this.stallTimeoutMs / 2);
    this.aliveElsewhere = null;
    this.lastByteAt = 0;
    this.bootTimeoutMs = positive('bootTimeoutMs', opts.bootTimeoutMs, d.bootTimeoutMs);
    this.backoffInitialMs = positive('backoff.initialMs', opts.backoff?.initialMs, d.backoffInitialMs);
    this.backoffMaxMs = Math.max(this.backoffInitialMs, positive('backoff.maxMs', opts.backoff?.maxMs, d.backoffMaxMs));
    this.authBackoffInitialMs = positive('backoff.authInitialMs', opts.backoff?.authInitialMs, d.authBackoffInitialMs);
    this.authBackoffMaxMs = Math.max(this.authBackoffInitialMs, positive('backoff.authMaxMs', opts.backoff?.authMaxMs, d.authBackoffMaxMs));
    this.authFailures = 0;
    this.booted = undefined;
    this.retryAt = 0;
    this.name = opts.name ?? `ami ${opts.host}:${opts.port}`;
    this.idPrefix = opts.idPrefix ?? 'ajam-proxy-';

    this.socket = null;
    this.parser = new AmiParser({
      expectBanner: true,
      maxMessageSize: opts.maxMessageSize,
      onMessage: this.handleMessage.bind(this),
      onBanner: this.handleBanner.bind(this),
      onError: this.handleParseError.bind(this),
    });
    this.state = IDLE;
    this.version = undefined;

    this.out = [];
    this.flushScheduled = false;
    this.blocked = false;

    this.handshakeId = '';
    this.pingId = null;
    this.pingRx = 0;
    this.pingAt = 0;
    this.confirming = false;
    this.eventsId = null;
    this.sessionEvents = false;
    this.rx = 0;
    this.longActions = 0;
    this.seq = 0;
    this.handshakeTimer = null;
    this.keepTimer = null;
    this.pingTimer = null;
    this.retryTimer = null;
    this.attempts = 0;
    this.lastError = null;
    this.readyCount = 0;
    this.socketError = undefined;
  }

  get ready(): boolean {
    return this.state === READY;
  }

  get stateName(): string {
    return STATE_NAMES[this.state]!;
  }

  /** Starts connecting (idempotent). */
  start(): void {
    if (this.state === IDLE) this.connect();
  }

  /**
   * Queues one serialised action (blank line included) for the next batched write. Only while
   * ready; returns false otherwise (nothing queued).
   */
  send(text: string): boolean {
    if (this.state !== READY) return false;
    this.out.push(text);
    if (!this.flushScheduled && !this.blocked) {
      this.flushScheduled = true;
      setImmediate(flushConnection, this);
    }
    return true;
  }

  /**
   * Events on or off for this connection: at once if ready (`Action: Events`, whose Response is
   * consumed here), and for every later login. Anything that arrives is emitted as 'message'
   * either way; the pool decides which connection's events count.
   */
  setEvents(on: boolean): void {
    this.events = on;
    if (this.state === READY) this.syncEvents();
  }

  private syncEvents(): void {
    if (this.sessionEvents === this.events) return;
    this.sessionEvents = this.events;
    this.eventsId = this.idPrefix + 'events.' + ++this.seq;
    this.send(`Action: Events\r\nActionID: ${this.eventsId}\r\nEventMask: ${this.events ? 'on' : 'off'}\r\n\r\n`);
  }

  /**
   * Sends a Ping probe unless one is outstanding or a long action is in flight (see top). If no
   * byte at all arrives for stallTimeoutMs / 2 after it (see handlePingTimeout), the connection
   * fails with AMI_ERR_KEEPALIVE.
   */
  probe(): void {
    if (this.state !== READY || this.pingId !== null || this.longActions > 0) return;
    if (this.keepTimer !== null) {
      clearTimeout(this.keepTimer);
      this.keepTimer = null;
    }
    this.pingId = this.idPrefix + 'ping.' + ++this.seq;
    this.pingRx = this.rx;
    this.pingAt = Date.now();
    this.confirming = false;
    this.send(`Action: Ping\r\nActionID: ${this.pingId}\r\n\r\n`);
    this.pingTimer = setTimeout(onPingTimeout, this.stallTimeoutMs / 4, this);
  }

  /** A probe is outstanding. */
  get probing(): boolean {
    return this.pingId !== null;
  }

  /** Actions are queued for this turn's write (or held by backpressure). */
  get hasQueued(): boolean {
    return this.out.length > 0;
  }

  /** Bytes waiting in our batch plus those Node holds for the socket. */
  get queuedBytes(): number {
    let n = this.socket === null ? 0 : this.socket.writableLength;
    for (let i = 0; i < this.out.length; i++) n += this.out[i]!.length;
    return n;
  }

  /** Logs off and closes for good. */
  close(): Promise<void> {
    const prev = this.state;
    this.state = CLOSED;
    this.clearTimers();
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.out = [];
    const sock = this.socket;
    this.socket = null;
    if (sock === null) return Promise.resolve();
    sock.ami = null;
    if (sock.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => sock.destroy(), 500);
      sock.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      if (prev === READY && !this.blocked) {
        sock.end(`Action: Logoff\r\nActionID: ${this.idPrefix}logoff\r\n\r\n`);
      } else {
        sock.destroy();
      }
    });
  }

  // ---- handshake --------------------------------------------------------------------------

  private connect(): void {
    this.state = CONNECTING;
    this.retryTimer = null;
    this.booted = undefined;
    this.parser.reset(true);
    this.blocked = false;
    this.out = [];
    this.socketError = undefined;
    const sock = new Socket() as OwnedSocket;
    sock.ami = this;
    this.socket = sock;
    sock.setNoDelay(true);
    sock.on('connect', onSocketConnect);
    sock.on('data', onSocketData);
    sock.on('error', onSocketError);
    sock.on('close', onSocketClose);
    sock.on('drain', onSocketDrain);
    this.handshakeTimer = setTimeout(onHandshakeTimeout, this.bootTimeoutMs, this);
    sock.connect(this.port, this.host);
  }

  /** @internal socket listener */
  handleData(chunk: Buffer): void {
    this.rx++;
    this.lastByteAt = Date.now();
    this.parser.push(chunk);
  }

  /** @internal socket listener */
  handleConnect(): void {
    if (this.state !== CONNECTING) return;
    this.state = BANNER;
    this.socket!.setKeepAlive(true, DEFAULTS.tcpKeepAliveMs);
  }

  /** @internal parser callback */
  handleBanner(version: string): void {
    this.version = version;
    this.emit('banner', version);
    if (this.state !== BANNER) return;
    this.handshakeId = this.idPrefix + 'login.' + ++this.seq;
    if (this.authType === 'md5') {
      this.state = CHALLENGE;
      this.rawWrite(`Action: Challenge\r\nActionID: ${this.handshakeId}\r\nAuthType: MD5\r\n\r\n`);
    } else {
      this.state = LOGIN;
      this.sessionEvents = this.events;
      this.rawWrite(
        `Action: Login\r\nActionID: ${this.handshakeId}\r\nUsername: ${this.username}\r\nSecret: ${this.secret}\r\n` +
          `Events: ${this.events ? 'on' : 'off'}\r\n\r\n`,
      );
    }
  }

  /** @internal parser callback: the hot path is the READY branch. */
  handleMessage(msg: AmiMessage): void {
    const state = this.state;
    if (state === READY) {
      if ((this.pingId !== null || this.eventsId !== null) && msg.response !== undefined && this.ownReply(msg.actionId)) return;
      this.emit('message', msg);
      return;
    }
    if (state === BOOTING) {
      if (msg.event === 'FullyBooted') {
        this.sawFullyBooted(msg);
        this.becomeReady();
      } else this.emit('message', msg);
      return;
    }
    if (state === CHALLENGE || state === LOGIN) {
      if (msg.response === undefined || msg.actionId !== this.handshakeId) return; // nothing else is expected yet
      if (msg.response.toLowerCase() !== 'success') {
        this.loginFailed(msg.get('Message') ?? msg.response);
      } else if (state === CHALLENGE) {
        const challenge = msg.get('Challenge');
        if (challenge === undefined || challenge === '') return this.loginFailed('no Challenge in the answer to Action: Challenge');
        this.state = LOGIN;
        this.sessionEvents = this.events;
        this.handshakeId = this.idPrefix + 'login.' + ++this.seq;
        this.rawWrite(
          `Action: Login\r\nActionID: ${this.handshakeId}\r\nAuthType: MD5\r\nUsername: ${this.username}\r\n` +
            `Key: ${md5Key(challenge, this.secret)}\r\nEvents: ${this.events ? 'on' : 'off'}\r\n\r\n`,
        );
      } else if (this.sessionEvents) {
        this.state = BOOTING;
      } else {
        this.becomeReady();
      }
      return;
    }
    if (state === BANNER) {
      this.fail(ErrorCodes.AMI_ERR_CONNECT, `${this.name}: ${this.host}:${this.port} did not send the Asterisk Call Manager banner`);
    }
  }

  /** Consumes the Response to our own Ping or Events action. */
  private ownReply(id: string | undefined): boolean {
    if (id === undefined) return false;
    if (id === this.pingId) {
      this.pong();
      return true;
    }
    if (id === this.eventsId) {
      this.eventsId = null;
      return true;
    }
    return false;
  }

  /** @internal parser callback */
  handleParseError(code: ErrorCode, text: string): void {
    this.emit('parseError', code, text);
    if (code === ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE) {
      // Skipping to the next blank line could take forever (50 MB without one) and whatever it
      // swallowed may have been a reply: drop the connection, so its actions in flight are answered
      // at once and the next connection starts in sync. The parser stops with this chunk.
      this.parser.reset(false);
      this.fail(ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE, `${this.name}: ${text}; connection reset`);
    }
  }

  private loginFailed(why: string): void {
    const err = new AjamError(
      ErrorCodes.AMI_ERR_LOGIN,
      `AMI login as "${this.username}" to ${this.host}:${this.port} failed: ${why}`,
    );
    this.emit('loginFailed', err);
    this.failWith(err);
  }

  /** Keeps Asterisk's own Uptime / LastReload from the FullyBooted event (for the Login reply). */
  private sawFullyBooted(msg: AmiMessage): void {
    const uptime = Number(msg.get('Uptime'));
    const lastReload = Number(msg.get('LastReload'));
    // Asterisk before 12 sends neither: counted from now, as the best known.
    this.booted = {
      uptime: Number.isFinite(uptime) ? uptime : 0,
      lastReload: Number.isFinite(lastReload) ? lastReload : Number.isFinite(uptime) ? uptime : 0,
      at: Date.now(),
    };
  }

  private becomeReady(): void {
    if (this.handshakeTimer !== null) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
    this.state = READY;
    this.attempts = 0;
    this.authFailures = 0;
    this.lastError = null;
    this.readyCount++;
    if (this.keepaliveMs > 0) this.keepTimer = setTimeout(onKeepaliveTimer, this.keepaliveMs, this);
    // The role may have changed while logging in (the pool moved the events elsewhere, or here).
    this.syncEvents();
    this.emit('ready');
  }

  // ---- keepalive --------------------------------------------------------------------------

  /** @internal timer */
  handleKeepaliveTimer(): void {
    this.keepTimer = null;
    if (this.state !== READY) return;
    if (this.longActions > 0) {
      // The Ping would wait behind the long action: look again later.
      this.keepTimer = setTimeout(onKeepaliveTimer, this.keepaliveMs, this);
      return;
    }
    this.probe();
  }

  private pong(): void {
    this.pingId = null;
    if (this.pingTimer !== null) {
      clearTimeout(this.pingTimer);
      this.pingTimer = null;
    }
    if (this.keepaliveMs > 0) this.keepTimer = setTimeout(onKeepaliveTimer, this.keepaliveMs, this);
  }

  /** @internal timer */
  handlePingTimeout(verdict = false): void {
    this.pingTimer = null;
    if (this.state !== READY || this.pingId === null) return;
    const step = this.stallTimeoutMs / 4;
    if (this.rx !== this.pingRx) {
      // Bytes arrived: Asterisk is alive, the Ping is only queued behind other work.
      this.pingRx = this.rx;
      this.pingAt = Date.now();
      this.confirming = false;
      this.pingTimer = setTimeout(onPingTimeout, step, this);
      return;
    }
    const silentFor = Date.now() - this.pingAt;
    const witness = this.aliveElsewhere === null ? 'none' : this.aliveElsewhere(this.pingAt);
    if (witness === 'alive' && silentFor < this.busyTimeoutMs) {
      // Asterisk answered on another connection since this probe: this one is busy with a slow
      // action, which may take up to busyTimeoutMs (the action timeout) before it counts as dead.
      this.pingTimer = setTimeout(onPingTimeout, Math.min(step, this.busyTimeoutMs - silentFor), this);
      return;
    }
    if (witness !== 'alive' && !this.confirming) {
      // The others were probed just now (or there are none): one more step of silence decides.
      this.confirming = true;
      this.pingTimer = setTimeout(onPingTimeout, step, this);
      return;
    }
    if (!verdict) {
      // Timers run before the socket reads of the same loop turn: after a long block of the event
      // loop (GC, CPU starvation) the answer may be waiting unread. Decide after this turn's I/O.
      setImmediate(onStallVerdict, this);
      return;
    }
    this.fail(
      ErrorCodes.AMI_ERR_KEEPALIVE,
      `${this.name}: ${this.host}:${this.port} stalled: a Ping unanswered and not one byte received for ${silentFor} ms`,
    );
  }

  /** @internal timer */
  handleHandshakeTimeout(): void {
    this.handshakeTimer = null;
    const s = this.state;
    if (s === READY || s === WAITING || s === CLOSED || s === IDLE) return;
    if (s === BOOTING) {
      this.fail(
        ErrorCodes.AMI_ERR_BOOT_TIMEOUT,
        `${this.name}: no FullyBooted event within ${this.bootTimeoutMs} ms after login as "${this.username}" ` +
          `(Asterisk still booting, or the user lacks read=system?)`,
      );
    } else {
      this.fail(ErrorCodes.AMI_ERR_CONNECT, `${this.name}: AMI handshake with ${this.host}:${this.port} timed out after ${this.bootTimeoutMs} ms (${STATE_NAMES[s]})`);
    }
  }

  // ---- writing ----------------------------------------------------------------------------

  private rawWrite(text: string): void {
    if (this.socket !== null && !this.socket.write(text)) this.blocked = true;
  }

  /** @internal setImmediate: one write per turn for every action queued in it. */
  flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.blocked || this.socket === null) return;
    const data = out.length === 1 ? out[0]! : out.join('');
    this.out = [];
    if (!this.socket.write(data)) this.blocked = true;
  }

  /** @internal socket listener */
  handleDrain(): void {
    this.blocked = false;
    if (this.out.length > 0) this.flush();
  }

  // ---- failure and reconnect --------------------------------------------------------------

  /** @internal socket listener */
  handleSocketGone(cause: Error | undefined): void {
    const s = this.state;
    if (s === CONNECTING) {
      this.fail(ErrorCodes.AMI_ERR_CONNECT, `${this.name}: cannot connect to AMI at ${this.host}:${this.port}: ${cause?.message ?? 'closed'}`, cause);
    } else {
      const what = s === READY ? 'lost' : `closed during ${STATE_NAMES[s]}`;
      this.fail(ErrorCodes.AMI_ERR_CONNECTION_LOST, `${this.name}: AMI connection to ${this.host}:${this.port} ${what}${cause ? `: ${cause.message}` : ''}`, cause);
    }
  }

  private fail(code: ErrorCode, message: string, cause?: Error): void {
    this.failWith(new AjamError(code, message, cause === undefined ? undefined : { cause }));
  }

  /** Tears the socket down at once and schedules the next attempt. */
  private failWith(err: AjamError): void {
    if (this.state === CLOSED || this.state === WAITING || this.state === IDLE) return;
    const sock = this.socket;
    this.socket = null;
    if (sock !== null) {
      sock.ami = null;
      sock.destroy();
    }
    this.clearTimers();
    this.out = [];
    this.blocked = false;
    this.pingId = null;
    this.eventsId = null;
    this.lastError = err;
    this.attempts++;
    if (err.code === ErrorCodes.AMI_ERR_LOGIN) this.authFailures++;
    else this.authFailures = 0;
    const delay = this.nextDelay();
    this.state = WAITING;
    this.retryTimer = setTimeout(onRetryTimer, delay, this);
    this.retryAt = Date.now() + delay;
    this.emit('down', err, delay);
  }

  /** Capped exponential backoff with jitter in [delay/2, delay]: never a tight loop, and a fleet of
   *  proxies restarting together does not reconnect in lockstep. */
  private nextDelay(): number {
    if (this.authFailures > 0) {
      // A refused login: the same secret will be refused again, and each try feeds fail2ban.
      const exp = Math.min(this.authBackoffMaxMs, this.authBackoffInitialMs * 2 ** Math.min(this.authFailures - 1, 30));
      return Math.round(exp * 0.75 + (Math.random() * exp) / 4);
    }
    const exp = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(this.attempts - 1, 30));
    return Math.round(exp / 2 + (Math.random() * exp) / 2);
  }

  /**
   * Waits at least `ms` before the next attempt when waiting to reconnect: another connection of
   * the pool had its login refused, and the same account would be refused here too.
   */
  postpone(ms: number): void {
    if (this.state !== WAITING || this.retryTimer === null || Date.now() + ms <= this.retryAt) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(onRetryTimer, ms, this);
    this.retryAt = Date.now() + ms;
  }

  /** @internal timer */
  handleRetry(): void {
    if (this.state === WAITING) this.connect();
  }

  private clearTimers(): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    if (this.keepTimer !== null) clearTimeout(this.keepTimer);
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.handshakeTimer = this.keepTimer = this.pingTimer = null;
  }
}

// Module-level listeners: each finds its connection through `socket.ami` (null once abandoned).
function onSocketConnect(this: OwnedSocket): void {
  this.ami?.handleConnect();
}
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  const c = this.ami;
  if (c !== null) c.handleData(chunk);
}
function onSocketError(this: OwnedSocket, err: Error): void {
  const c = this.ami;
  if (c !== null) c.socketError = err;
}
function onSocketClose(this: OwnedSocket): void {
  const c = this.ami;
  if (c === null) return;
  const cause = c.socketError;
  c.socketError = undefined;
  c.handleSocketGone(cause);
}
function onSocketDrain(this: OwnedSocket): void {
  this.ami?.handleDrain();
}
function flushConnection(c: AmiConnection): void {
  c.flush();
}
function onKeepaliveTimer(c: AmiConnection): void {
  c.handleKeepaliveTimer();
}
function onPingTimeout(c: AmiConnection): void {
  c.handlePingTimeout();
}
function onStallVerdict(c: AmiConnection): void {
  c.handlePingTimeout(true);
}
function onHandshakeTimeout(c: AmiConnection): void {
  c.handleHandshakeTimeout();
}
function onRetryTimer(c: AmiConnection): void {
  c.handleRetry();
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw invalidArgument(`${name} must be a positive number, got ${v}`);
  return v;
}
function nonNegative(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw invalidArgument(`${name} must be >= 0, got ${v}`);
  return v;
}
