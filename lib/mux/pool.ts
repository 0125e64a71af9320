// N AMI connections to one Asterisk, shared by every caller. Exactly one connection at a time carries
// the events (`Events: on`, connection 0 at start); the others run with `Events: off` so each event is
// received once. Event failover: when the events connection drops or stalls, the least busy other
// ready connection gets `Action: Events` (EventMask: on) at once, its untagged events counting from
// the moment that action is queued (so nothing Asterisk sends on it is lost, and the dead one's
// socket is already destroyed, so nothing arrives twice); if none is ready, the first to become
// ready takes over. The gap is reported as 'eventsGap' (never hidden): the app turns it into an
// `EventsLost` notice with `Count: unknown` for every session.
// Stall detection (see ami/connection.ts): every stallTimeoutMs / 4 the pool looks for a connection
// with actions in flight that received nothing since the previous look; then it and every other
// silent connection get a Ping probe. An idle connection (nothing in flight) silent since the
// previous look gets one too, so an Asterisk that stops answering while nobody asks it anything is
// found within stallTimeoutMs as well (a quiet connection costs one Ping per stallTimeoutMs / 2). No byte for stallTimeoutMs / 2 after it ends a connection and
// answers its actions, so an action sent to a stalled Asterisk is answered with an error within
// stallTimeoutMs. But if another connection answered meanwhile, Asterisk is alive and the silent one
// is only busy with a slow action: it gets up to actionTimeoutMs. Long actions (a synchronous
// Originate, anything given more than the default timeout) exempt their connection from probes,
// and new actions avoid a connection holding one.
// Actions go to the ready connection with the fewest in flight (a slow action holds up the ones
// behind it in Asterisk's session thread), except that the actions of one event-loop turn stay on
// the connection that already has some queued while it has at most STICKY_SLACK more in flight than
// the least busy one: every connection written in a turn costs a write, a read in Asterisk and a
// read back here (at c=50 spreading each turn over two connections cost ~15% more CPU per request,
// proxy + simulator + load generator). lib/mux/ does the id rewriting and routes the answers back.
import { EventEmitter } from 'node:events';
import { AmiConnection, type AmiConnectionOptions, type BootSnapshot, type Witness } from '../ami/connection.ts';
import type { AmiMessage } from '../ami/message.ts';
import { Mux, SESSION_ACTIONS, errorReply, type MuxStats, type Owner } from './mux.ts';
import type { Headers } from './encode.ts';
import { AjamError, ErrorCodes, failureText, invalidArgument } from '../errors.ts';
import { DEFAULTS } from '../config/defaults.ts';

export interface AmiPoolOptions extends Omit<AmiConnectionOptions, 'events' | 'idPrefix' | 'name'> {
  /** Number of AMI connections (default 2; the first carries events). */
  connections?: number;
  /** Answer an action with an error if Asterisk has not finished answering it by then (default 30 s). */
  actionTimeoutMs?: number;
  /** Prefix of every proxy ActionID (default: 8 random hex digits per process). */
  instanceId?: string;
  /** Most bytes of one action's reply (a collected EventList); over it the caller gets an error. */
  maxReplyBytes?: number;
}

/** How much busier than the least busy connection the one already written this turn may get. */
export const STICKY_SLACK = 16;

/** What a long action outstanding weighs when picking a connection (whatever follows waits for it). */
const LONG_WEIGHT = 1024;

/** One connection as the router sees it. */
class Slot implements Owner {
  readonly conn: AmiConnection;
  readonly index: number;
  /** Its untagged events go to the event stream: true for the pool's eventsSlot only. */
  events: boolean;
  inflight: number;
  /** Counted in the pool's readyCount. */
  counted: boolean;
  /** conn.rx at the previous stall check. */
  lastRx: number;
  /** Time of the stall check that last saw bytes arrive on it. */
  heardAt: number;
  constructor(conn: AmiConnection, index: number, events: boolean) {
    this.conn = conn;
    this.index = index;
    this.events = events;
    this.inflight = 0;
    this.counted = false;
    this.lastRx = 0;
    this.heardAt = 0;
  }

  /** Load for picking: actions in flight, and a long action counts as a wall. */
  get load(): number {
    return this.conn.longActions > 0 ? this.inflight + LONG_WEIGHT : this.inflight;
  }
}


/**
 * Events: 'event' (msg) — untagged events and restored OriginateResponse/UserEvent broadcasts;
 * 'ready' () when the first connection is ready; 'down' (err) when none is left;
 * 'connectionDown' (err, index, retryInMs), 'connectionReady' (index), 'loginFailed' (err);
 * 'eventsMoved' (index) when another connection takes the events over; 'eventsGap' (gapMs, index)
 * when events flow again after a time in which no connection carried them.
 */
export class AmiPool extends EventEmitter {
  readonly connections: readonly AmiConnection[];
  private readonly slots: Slot[];
  private readonly mux: Mux;
  /** Connection of the previous send (kept while it has actions queued for this turn). */
  private lastPick: Slot | null;
  private readyCount: number;
  /** The last FullyBooted seen while the pool stayed up (see bootInfo). */
  private lastBoot: BootSnapshot | undefined;
  /** askUptime() is waiting for its answer. */
  private uptimeAsked: boolean;
  private closed: boolean;
  /** The connection whose events count, or null while none carries them. */
  private eventsSlot: Slot | null;
  /** Events have flowed once (a later restart is a gap, the first start is not). */
  private eventsStarted: boolean;
  /** When the events stopped (0: they are flowing, or never started). */
  private gapSince: number;
  private stallTimer: NodeJS.Timeout | null;
  private readonly stallCheckMs: number;

  constructor(opts: AmiPoolOptions) {
    super();
    const n = opts.connections ?? DEFAULTS.connections;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw invalidArgument(`connections must be an integer 1..64, got ${n}`);
    this.mux = new Mux({
      instanceId: opts.instanceId,
      timeoutMs: opts.actionTimeoutMs ?? DEFAULTS.actionTimeoutMs,
      maxReplyBytes: opts.maxReplyBytes,
      onEvent: this.emitEvent.bind(this),
    });
    const prefix = this.mux.ids.prefix;
    const { connections: _n, actionTimeoutMs: _t, instanceId: _i, maxReplyBytes: _m, ...connOpts } = opts;
    const slots: Slot[] = [];
    const busyTimeoutMs = opts.actionTimeoutMs ?? DEFAULTS.actionTimeoutMs;
    for (let i = 0; i < n; i++) {
      const conn = new AmiConnection({ ...connOpts, busyTimeoutMs: connOpts.busyTimeoutMs ?? busyTimeoutMs, events: i === 0, idPrefix: `${prefix}c${i}.`, name: `ami#${i}` });
      const slot = new Slot(conn, i, i === 0);
      conn.aliveElsewhere = (since: number) => this.witness(slot, since);
      // One listener per connection, made once: the hot path is mux.route.
      conn.on('message', (msg: AmiMessage) => this.mux.route(slot, msg, slot.events));
      conn.on('ready', () => this.onConnReady(slot));
      conn.on('down', (err: AjamError, retryInMs: number) => this.onConnDown(slot, err, retryInMs));
      conn.on('loginFailed', (err: AjamError) => this.emit('loginFailed', err));
      conn.on('parseError', (code: string, text: string) => this.emit('parseError', code, text, i));
      slots.push(slot);
    }
    this.slots = slots;
    this.connections = slots.map((s) => s.conn);
    this.lastPick = null;
    this.readyCount = 0;
    this.lastBoot = undefined;
    this.uptimeAsked = false;
    this.closed = false;
    this.eventsSlot = slots[0]!;
    this.eventsStarted = false;
    this.gapSince = 0;
    this.stallTimer = null;
    this.stallCheckMs = slots[0]!.conn.stallTimeoutMs / 4;
  }

  /** Connects every connection (idempotent). */
  start(): void {
    if (this.closed) throw new AjamError(ErrorCodes.AMI_ERR_CLOSED, 'AmiPool is closed');
    for (const s of this.slots) s.conn.start();
    if (this.stallTimer === null) {
      this.stallTimer = setInterval(onStallCheck, this.stallCheckMs, this);
      this.stallTimer.unref();
    }
  }

  /** At least one connection is ready for actions. */
  get ready(): boolean {
    return this.readyCount > 0;
  }

  /**
   * Asterisk's Uptime / LastReload now, from the last FullyBooted a connection of this pool saw,
   * while a connection is up; undefined when none is, or none has seen FullyBooted since the pool
   * came up (Asterisk still booting, or only `Events: off` connections logged in so far).
   */
  bootInfo(): { uptime: number; lastReload: number } | undefined {
    if (this.readyCount === 0) return undefined;
    let boot: BootSnapshot | undefined;
    for (const s of this.slots) {
      const b = s.conn.booted;
      if (s.conn.ready && b !== undefined && (boot === undefined || b.at > boot.at)) boot = b;
    }
    boot ??= this.lastBoot;
    if (boot === undefined) return undefined;
    const since = (Date.now() - boot.at) / 1000;
    return { uptime: boot.uptime + since, lastReload: boot.lastReload + since };
  }

  /** The events connection is ready (events are flowing). */
  get eventsReady(): boolean {
    const e = this.eventsSlot;
    return e !== null && e.conn.ready;
  }

  /** Index of the connection carrying the events, or -1 while none does. */
  get eventsIndex(): number {
    return this.eventsSlot === null ? -1 : this.eventsSlot.index;
  }

  /** AMI version from Asterisk's banner (`Asterisk Call Manager/11.0.0` → '11.0.0'), once connected. */
  get version(): string | undefined {
    for (const s of this.slots) if (s.conn.version !== undefined) return s.conn.version;
    return undefined;
  }

  /** The prefix of every proxy ActionID of this process. */
  get idPrefix(): string {
    return this.mux.ids.prefix;
  }

  /** Actions waiting for Asterisk. */
  get pendingCount(): number {
    return this.mux.pending.size;
  }

  /** Originate/UserEvent broadcasts still expected. */
  get echoCount(): number {
    return this.mux.echoes.size;
  }

  get stats(): Readonly<MuxStats> {
    return this.mux.stats;
  }

  /** In flight per connection, for metrics. */
  inflight(): number[] {
    return this.slots.map((s) => s.inflight);
  }

  /**
   * Sends one action. Resolves with the response and its list items, in order, each with the
   * caller's own ActionID (or none if the caller gave none). Never rejects for AMI trouble: a lost
   * connection, a timeout or no connection resolve to one `Response: Error` message. Throws
   * AjamError(AMI_ERR_INVALID_HEADER) synchronously, before anything is written, if a key or value
   * holds CR, LF or NUL (or a key is empty or holds ':'). Session-local actions (Login, Logoff,
   * Challenge, Events, Filter, WaitEvent) are answered with an error and never sent.
   */
  send(headers: Headers, timeoutMs?: number): Promise<AmiMessage[]> {
    const p = this.mux.prepare(headers, timeoutMs);
    if (SESSION_ACTIONS.has(p.action)) {
      // Defence in depth: the session layer answers these itself.
      return Promise.resolve([errorReply(p.entry.callerId, `Action ${p.action} is session-local; not sent on the shared AMI connection`)]);
    }
    if (this.closed) return Promise.resolve([errorReply(p.entry.callerId, failureText(ErrorCodes.AMI_ERR_CLOSED))]);
    const slot = this.pick();
    if (slot === null) return Promise.resolve([errorReply(p.entry.callerId, failureText(ErrorCodes.AMI_ERR_NOT_CONNECTED))]);
    const mux = this.mux;
    if (p.entry.timeoutMs > mux.timeoutMs) {
      // Asterisk may hold this one long (a synchronous Originate…): no stall probes meanwhile.
      const conn = slot.conn;
      conn.longActions++;
      return new Promise((resolve) => {
        mux.register(p, slot, (messages) => {
          conn.longActions--;
          resolve(messages);
        });
        if (!conn.send(p.text)) mux.fail(p.entry, ErrorCodes.AMI_ERR_NOT_CONNECTED);
      });
    }
    return new Promise((resolve) => {
      mux.register(p, slot, resolve);
      if (!slot.conn.send(p.text)) mux.fail(p.entry, ErrorCodes.AMI_ERR_NOT_CONNECTED);
    });
  }

  /** Answers everything in flight, logs off and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.stallTimer !== null) clearInterval(this.stallTimer);
    this.stallTimer = null;
    this.mux.failAll(ErrorCodes.AMI_ERR_CLOSED);
    this.mux.stop();
    await Promise.all(this.slots.map((s) => s.conn.close()));
    for (const s of this.slots) s.counted = false;
    this.readyCount = 0;
  }

  /**
   * The ready connection with the fewest actions in flight (ties go to the non-event ones), or the
   * one this turn's previous actions went to while it is within STICKY_SLACK of that (see top).
   */
  private pick(): Slot | null {
    const slots = this.slots;
    let best: Slot | null = null;
    for (let i = slots.length - 1; i >= 0; i--) {
      const s = slots[i]!;
      if (s.conn.ready && (best === null || s.load < best.load)) best = s;
    }
    const last = this.lastPick;
    if (best !== null && last !== null && last !== best && last.conn.ready && last.conn.hasQueued && last.load <= best.load + STICKY_SLACK) {
      return last;
    }
    this.lastPick = best;
    return best;
  }

  private emitEvent(msg: AmiMessage): void {
    this.emit('event', msg);
  }

  /**
   * @internal timer: when a connection with actions in flight went silent, probes it and every
   * other silent one, so that an answer elsewhere tells a slow action from a stalled Asterisk.
   */
  checkStalls(): void {
    const now = Date.now();
    let silentBusy = false;
    let silentIdle = false;
    for (const s of this.slots) {
      const rx = s.conn.rx;
      if (rx !== s.lastRx) s.heardAt = now;
      // Actions waiting behind a long one (a synchronous Originate) are expected to be silent.
      else if (s.inflight > 0 && s.conn.longActions === 0) silentBusy = true;
      else if (s.inflight === 0) silentIdle = true;
      s.lastRx = rx;
    }
    if (silentBusy) {
      for (const s of this.slots) if (s.heardAt !== now) s.conn.probe();
      return;
    }
    // An idle connection silent for a whole check: ask (a Ping). An Asterisk that stopped answering
    // with nothing in flight is then found within stallTimeoutMs too — at most two checks until the
    // probe, two steps of silence after it (ami/connection.ts) — not only by the keepalive. A
    // connection holding a long action is never probed (AmiConnection.probe refuses).
    if (silentIdle) for (const s of this.slots) if (s.heardAt !== now && s.inflight === 0) s.conn.probe();
  }

  /**
   * Whether Asterisk answered on another ready connection since `since` (a silent connection's
   * probe); if not, probes the others so that one more step tells (see ami/connection.ts).
   */
  private witness(slot: Slot, since: number): Witness {
    // With nothing of ours in flight on it, its Ping was first in Asterisk's queue: an answer
    // elsewhere cannot excuse this connection's silence.
    if (slot.inflight === 0) return 'none';
    let others = false;
    for (const s of this.slots) {
      if (s === slot || !s.conn.ready) continue;
      if (s.conn.lastByteAt >= since) return 'alive';
      others = true;
    }
    if (!others) return 'none';
    for (const s of this.slots) if (s !== slot) s.conn.probe();
    return 'asked';
  }

  private onConnReady(slot: Slot): void {
    // Kept beyond this connection's life: Asterisk is the same one while any connection stays up.
    if (slot.conn.booted !== undefined) this.lastBoot = slot.conn.booted;
    if (!slot.counted) {
      slot.counted = true;
      this.readyCount++;
    }
    const ev = this.eventsSlot;
    if (ev === null) this.moveEvents(slot);
    else if (ev === slot) this.eventsFlowing(slot);
    // Logged in with `Events: on` while another one took the role over: switch it off.
    else slot.conn.setEvents(false);
    this.emit('connectionReady', slot.index);
    if (this.readyCount === 1) this.emit('ready');
    if (this.lastBoot === undefined && slot === this.eventsSlot && slot.conn.booted === undefined) this.askUptime();
  }

  /**
   * The events role went to a connection that logged in with `Events: off` (after a total outage
   * another connection was ready first), so no FullyBooted came with it: ask Asterisk for its
   * uptime instead (`core show uptime seconds`: `System uptime: N`, `Last reload: N`). Once.
   */
  private askUptime(): void {
    if (this.uptimeAsked) return;
    this.uptimeAsked = true;
    void this.send([['Action', 'Command'], ['Command', 'core show uptime seconds']]).then((msgs) => {
      this.uptimeAsked = false;
      const text = msgs.map((m) => m.raw.toString('latin1')).join('');
      const up = /System uptime: (\d+)/.exec(text);
      if (up === null || this.readyCount === 0 || this.lastBoot !== undefined) return;
      const reload = /Last reload: (\d+)/.exec(text);
      this.lastBoot = { uptime: Number(up[1]), lastReload: Number((reload ?? up)[1]), at: Date.now() };
    });
  }

  private onConnDown(slot: Slot, err: AjamError, retryInMs: number): void {
    // Every action in flight on it is answered now, not at its timeout.
    this.mux.failOwner(slot, err.code === ErrorCodes.AMI_ERR_KEEPALIVE ? ErrorCodes.AMI_ERR_KEEPALIVE : ErrorCodes.AMI_ERR_CONNECTION_LOST);
    if (slot === this.eventsSlot) this.eventsLost(slot);
    this.emit('connectionDown', err, slot.index, retryInMs);
    // Refused login: the others log in with the same account, so they wait as long before trying.
    if (err.code === ErrorCodes.AMI_ERR_LOGIN) for (const s of this.slots) if (s !== slot) s.conn.postpone(retryInMs);
    if (slot.counted) {
      slot.counted = false;
      if (--this.readyCount === 0) {
        // Nothing is up: the next Asterisk may be another boot (a restart drops every connection).
        this.lastBoot = undefined;
        this.emit('down', err);
      }
    }
  }

  /** The events connection is gone: hand the role to the least busy ready one, if any. */
  private eventsLost(slot: Slot): void {
    slot.events = false;
    this.eventsSlot = null;
    if (this.eventsStarted && this.gapSince === 0) this.gapSince = Date.now();
    let next: Slot | null = null;
    for (const s of this.slots) {
      if (s !== slot && s.conn.ready && (next === null || s.load < next.load)) next = s;
    }
    if (next === null) return; // it keeps `Events: on` for its next login; the first one ready takes over
    slot.conn.setEvents(false);
    this.moveEvents(next);
  }

  /** Makes `to` the events connection: its untagged events count from now on. */
  private moveEvents(to: Slot): void {
    this.eventsSlot = to;
    for (const s of this.slots) {
      s.events = s === to;
      if (s !== to) s.conn.setEvents(false);
    }
    to.conn.setEvents(true);
    this.emit('eventsMoved', to.index);
    this.eventsFlowing(to);
  }

  private eventsFlowing(slot: Slot): void {
    if (this.gapSince !== 0) {
      const gap = Date.now() - this.gapSince;
      this.gapSince = 0;
      this.emit('eventsGap', gap, slot.index);
    }
    this.eventsStarted = true;
  }
}

function onStallCheck(pool: AmiPool): void {
  pool.checkStalls();
}
