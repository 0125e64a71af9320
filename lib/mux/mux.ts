// Many callers over few connections: the table of actions in flight, keyed by proxy ActionID, and
// the rules that route what Asterisk sends back. Socket-agnostic: an action's `owner` is whatever the
// pool dispatched it to; the pool feeds every message in with the owner it arrived on.
//
// Routing, for a message tagged with one of our ids:
//  - a Response goes to the entry sent on that owner; `EventList: start`, or a Success whose Message
//    ends in "will follow" (DBGet, QueueStatus… on older Asterisk), keeps the entry open;
//  - an Event goes to an open list entry of the same owner until one with an `EventList` other than
//    `start`, or whose name ends in `Complete` (old `DBGetComplete`, `QueueStatusComplete`);
//  - an OriginateResponse (async Originate) or the UserEvent broadcast of a UserEvent action arrives on
//    the events connection, whichever connection carried the action, possibly before the action's
//    Response: it goes to the event stream with the caller's ActionID restored, exactly once;
//  - anything else with our prefix (late items of a timed-out list…) is dropped, never leaked.
// Untagged events from the events connection go to the event stream.
import { AmiMessage } from '../ami/message.ts';
import { encodeAction, astTrue, type Headers } from './encode.ts';
import { IdSpace } from './ids.ts';
import { restoreActionId } from './rewrite.ts';
import { PendingTable } from './table.ts';
import { DEFAULTS } from '../config/defaults.ts';
import { ErrorCodes, failureText, invalidArgument, type FailureCode } from '../errors.ts';

export interface Owner {
  /** Actions in flight on this owner; maintained by the router. */
  inflight: number;
}

const MODE_SINGLE = 0;
const MODE_LIST = 1; // EventList: start
const MODE_FOLLOW = 2; // "… will follow" without EventList

const ECHO_NONE = 0;
const ECHO_ORIGINATE = 1;
const ECHO_USEREVENT = 2;

/** Originate's own default `Timeout` (ms) in Asterisk's action_originate. */
const ORIGINATE_DEFAULT_TIMEOUT = 30000;

export type Resolve = (messages: AmiMessage[]) => void;

export class Pending {
  readonly id: string;
  /** The id's counter: the key in Mux.pending and Mux.echoes. */
  readonly key: number;
  readonly callerId: string | undefined;
  owner: Owner | null;
  resolve: Resolve | null;
  messages: AmiMessage[];
  mode: number;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly echo: number;
  /** Bytes of the reply collected so far; -1 once it went over the cap (then only the end counts). */
  bytes: number;

  constructor(id: string, key: number, callerId: string | undefined, deadline: number, timeoutMs: number, echo: number) {
    this.id = id;
    this.key = key;
    this.callerId = callerId;
    this.owner = null;
    this.resolve = null;
    this.messages = [];
    this.mode = MODE_SINGLE;
    this.deadline = deadline;
    this.timeoutMs = timeoutMs;
    this.echo = echo;
    this.bytes = 0;
  }
}

class Echo {
  readonly callerId: string | undefined;
  readonly kind: number;
  readonly deadline: number;
  constructor(callerId: string | undefined, kind: number, deadline: number) {
    this.callerId = callerId;
    this.kind = kind;
    this.deadline = deadline;
  }
}

export interface Prepared {
  entry: Pending;
  /** The Action header, lowercased. */
  action: string;
  /** Wire text to send. */
  text: string;
  /** Echo to register once sent (0 = none). */
  echoDeadline: number;
}

export interface MuxStats {
  /** Messages delivered to callers or the event stream with a restored id. */
  routed: number;
  /** Tagged messages matching nothing (late list items, stale ids) and stray untagged responses. */
  dropped: number;
  timeouts: number;
  lost: number;
  /** Actions whose answer passed maxactionreplybytes (answered with an error instead). */
  tooLarge: number;
}

export class Mux {
  readonly ids: IdSpace;
  readonly timeoutMs: number;
  /** Most bytes of one collected reply. */
  readonly maxReplyBytes: number;
  /** By id counter (IdSpace.parse). */
  readonly pending: PendingTable<Pending>;
  readonly echoes: Map<number, Echo>;
  readonly stats: MuxStats;
  /** Where events go (untagged ones, and restored OriginateResponse / UserEvent). */
  onEvent: (msg: AmiMessage) => void;
  private sweepTimer: NodeJS.Timeout | null;
  private readonly sweepEveryMs: number;

  constructor(opts: { instanceId?: string; timeoutMs: number; maxReplyBytes?: number | undefined; onEvent: (msg: AmiMessage) => void }) {
    if (!(opts.timeoutMs > 0)) throw invalidArgument(`actionTimeoutMs must be positive, got ${opts.timeoutMs}`);
    this.ids = new IdSpace(opts.instanceId);
    this.timeoutMs = opts.timeoutMs;
    this.maxReplyBytes = opts.maxReplyBytes ?? DEFAULTS.maxActionReplyBytes;
    this.pending = new PendingTable();
    this.echoes = new Map();
    this.stats = { routed: 0, dropped: 0, timeouts: 0, lost: 0, tooLarge: 0 };
    this.onEvent = opts.onEvent;
    this.sweepTimer = null;
    // One timer for every deadline: precise to a tenth of the timeout, at most a second late.
    this.sweepEveryMs = Math.min(1000, Math.max(5, Math.floor(opts.timeoutMs / 10)));
  }

  /**
   * Validates and encodes (throws AjamError AMI_ERR_INVALID_HEADER before anything exists) and
   * builds the entry; nothing is registered yet.
   */
  prepare(headers: Headers, timeoutMs?: number): Prepared {
    const key = this.ids.nextNumber();
    const id = this.ids.idOf(key);
    const enc = encodeAction(headers, id);
    const now = Date.now();
    let wait = timeoutMs ?? this.timeoutMs;
    let echo = ECHO_NONE;
    let echoDeadline = 0;
    const action = enc.action.toLowerCase();
    if (action === 'originate') {
      // The Response of a synchronous Originate comes only when the call is answered or fails; the
      // OriginateResponse of an async one comes as late.
      const ring = parseTimeout(enc.timeout);
      if (astTrue(enc.async)) {
        echo = ECHO_ORIGINATE;
        echoDeadline = now + ring + this.timeoutMs;
      } else {
        wait += ring;
      }
    } else if (action === 'userevent') {
      echo = ECHO_USEREVENT;
      echoDeadline = now + wait;
    }
    return { entry: new Pending(id, key, enc.callerId, now + wait, wait, echo), action, text: enc.text, echoDeadline };
  }

  /** Registers a prepared entry as sent on `owner`. */
  register(p: Prepared, owner: Owner, resolve: Resolve): void {
    const e = p.entry;
    e.owner = owner;
    e.resolve = resolve;
    owner.inflight++;
    this.pending.add(e);
    if (e.echo !== ECHO_NONE) this.echoes.set(e.key, new Echo(e.callerId, e.echo, p.echoDeadline));
    if (this.sweepTimer === null) this.startSweep();
  }

  /** Every message received on `owner`; `events` is true for the events connection. */
  route(owner: Owner, msg: AmiMessage, events: boolean): void {
    // Read from the bytes, nothing decoded: the first ActionID line's counter (see IdSpace.parse)
    // and whether the first line is a Response.
    const idLine = msg.indexOf(ACTION_ID);
    const key = idLine === -1 ? -1 : this.ids.parse(msg.raw, msg.valueOffset(idLine), msg.lineEnd(idLine));
    const isResponse = msg.count > 0 && msg.keyEquals(0, RESPONSE);
    if (key === -1) {
      if (!isResponse && events) this.onEvent(msg);
      else this.stats.dropped++;
      return;
    }
    const e = this.pending.get(key);
    if (isResponse) {
      if (e === undefined || e.owner !== owner || e.messages.length !== 0) {
        this.stats.dropped++;
        return;
      }
      this.onResponse(e, msg);
      return;
    }
    const name = msg.event;
    if (e !== undefined && e.mode !== MODE_SINGLE && e.owner === owner && e.echo === ECHO_NONE) {
      if (e.bytes === -1) {
        // Over the cap: keep reading (the connection stays in sync), keep nothing, answer at the end.
        this.stats.dropped++;
        if (isListEnd(msg, name)) this.finish(e, [errorReply(e.callerId, replyTooLarge(this.maxReplyBytes))]);
        return;
      }
      e.bytes += msg.raw.length;
      if (e.bytes > this.maxReplyBytes) {
        e.bytes = -1;
        e.messages = [];
        this.stats.dropped++;
        this.stats.tooLarge++;
        if (isListEnd(msg, name)) this.finish(e, [errorReply(e.callerId, replyTooLarge(this.maxReplyBytes))]);
        return;
      }
      e.messages.push(restoreActionId(msg, e.callerId));
      this.stats.routed++;
      if (isListEnd(msg, name)) this.finish(e, e.messages);
      return;
    }
    const echo = this.echoes.get(key);
    if (echo !== undefined && events) {
      if (
        (echo.kind === ECHO_ORIGINATE && name === 'OriginateResponse') ||
        (echo.kind === ECHO_USEREVENT && name === 'UserEvent')
      ) {
        this.echoes.delete(key);
      }
      this.stats.routed++;
      this.onEvent(restoreActionId(msg, echo.callerId));
      this.maybeStopSweep();
      return;
    }
    this.stats.dropped++;
  }

  private onResponse(e: Pending, msg: AmiMessage): void {
    const restored = restoreActionId(msg, e.callerId);
    this.stats.routed++;
    const success = valueIs(msg, 0, 'success');
    if (success && e.echo === ECHO_NONE) {
      // One pass for both lookups (a plain reply, like Ping's, has neither).
      let list = -1;
      let text = -1;
      for (let i = 1; i < msg.count; i++) {
        if (list === -1 && msg.keyEquals(i, 'EventList')) list = i;
        else if (text === -1 && msg.keyEquals(i, 'Message')) text = i;
      }
      if (list !== -1) {
        if (valueIs(msg, list, 'start')) {
          e.mode = MODE_LIST;
          e.messages.push(restored);
          return;
        }
      } else if (text !== -1 && endsWithWillFollow(msg.value(text))) {
        e.mode = MODE_FOLLOW;
        e.messages.push(restored);
        return;
      }
    }
    // An Originate or UserEvent that failed will never be echoed.
    if (!success && e.echo !== ECHO_NONE) this.echoes.delete(e.key);
    e.messages.push(restored);
    this.finish(e, e.messages);
  }

  private finish(e: Pending, messages: AmiMessage[]): void {
    this.pending.delete(e);
    const owner = e.owner;
    if (owner !== null) owner.inflight--;
    const resolve = e.resolve;
    e.resolve = null;
    e.owner = null;
    // Let go of the reply as soon as it is delivered: if anything in old space still points at the
    // finished entry, the reply would survive every scavenge and be promoted (with a Map for
    // `pending`, see table.ts, most replies were: ~0.5 KB per action).
    e.messages = NO_MESSAGES;
    if (resolve !== null) resolve(messages);
    // The sweep timer is not stopped here: under load the table empties and refills all the time,
    // and a clearInterval + setInterval per action cost more than the sweep itself. The next sweep
    // tick stops it once both tables are empty.
  }

  /** Answers one registered action with an error now (its bytes could not be queued). */
  fail(e: Pending, code: FailureCode): void {
    if (this.pending.get(e.key) !== e) return;
    this.echoes.delete(e.key);
    this.finish(e, [errorReply(e.callerId, failureText(code))]);
  }

  /** Answers every action in flight on `owner` at once (the connection is gone). */
  failOwner(owner: Owner, code: FailureCode): void {
    if (owner.inflight === 0) return;
    const message = failureText(code);
    for (const e of this.pending.values()) {
      if (e.owner !== owner) continue;
      this.stats.lost++;
      this.finish(e, [errorReply(e.callerId, message)]);
    }
  }

  /** Answers every action in flight (the pool is closing). */
  failAll(code: FailureCode): void {
    const message = failureText(code);
    for (const e of this.pending.values()) this.finish(e, [errorReply(e.callerId, message)]);
    this.echoes.clear();
    this.maybeStopSweep();
  }

  /** @internal timer: answers expired actions, forgets expired echoes. */
  sweep(now: number): void {
    for (const e of this.pending.values()) {
      if (e.deadline > now) continue;
      this.stats.timeouts++;
      this.finish(e, [errorReply(e.callerId, failureText(ErrorCodes.AMI_ERR_ACTION_TIMEOUT, e.timeoutMs))]);
    }
    for (const [key, echo] of this.echoes) if (echo.deadline <= now) this.echoes.delete(key);
    this.maybeStopSweep();
  }

  private startSweep(): void {
    // Kept referenced: a caller is waiting. It stops at the first tick that finds both maps empty.
    this.sweepTimer = setInterval(onSweep, this.sweepEveryMs, this);
  }

  private maybeStopSweep(): void {
    if (this.sweepTimer !== null && this.pending.size === 0 && this.echoes.size === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  /** Stops the timer (after failAll). */
  stop(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }
}

function onSweep(m: Mux): void {
  m.sweep(Date.now());
}

/**
 * Actions that change the state of the AMI session itself. On a connection shared by every caller they
 * would log everyone off or mute everyone's events (DESIGN.md: session-local, answered by the proxy).
 */
export const SESSION_ACTIONS: ReadonlySet<string> = new Set(['login', 'logoff', 'challenge', 'events', 'filter', 'waitevent']);

/** The `Response: Error` a caller gets when Asterisk could not answer (lost, timeout, not connected). */
/** The error for a collected reply over the cap. */
export function replyTooLarge(max: number): string {
  return `Reply too large: more than ${max} bytes (maxactionreplybytes); ask for less, e.g. with a filter`;
}

export function errorReply(callerId: string | undefined, message: string): AmiMessage {
  return callerId === undefined
    ? AmiMessage.from([['Response', 'Error'], ['Message', message]])
    : AmiMessage.from([['Response', 'Error'], ['ActionID', callerId], ['Message', message]]);
}

const ACTION_ID = 'ActionID';
// Frozen: nothing may ever add to it (a finished entry is out of the tables, so nothing does).
const NO_MESSAGES = Object.freeze([]) as unknown as AmiMessage[];
const RESPONSE = 'Response';

/** Line i's value equals `lower` ignoring case (ASCII), without decoding it. */
function valueIs(msg: AmiMessage, i: number, lower: string): boolean {
  const at = msg.valueOffset(i);
  if (at === -1) return false;
  const n = lower.length;
  if (msg.lineEnd(i) - at !== n) return false;
  const raw = msg.raw;
  for (let j = 0; j < n; j++) if ((raw[at + j]! | 0x20) !== lower.charCodeAt(j)) return false;
  return true;
}

function isListEnd(msg: AmiMessage, name: string | undefined): boolean {
  const list = msg.get('EventList');
  if (list !== undefined) return list.toLowerCase() !== 'start';
  return name !== undefined && name.length > 8 && name.slice(-8).toLowerCase() === 'complete';
}

function endsWithWillFollow(text: string): boolean {
  const t = text.trimEnd();
  return t.length >= 11 && t.slice(-11).toLowerCase() === 'will follow';
}

function parseTimeout(v: string | undefined): number {
  if (v === undefined) return ORIGINATE_DEFAULT_TIMEOUT;
  const n = parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? n : ORIGINATE_DEFAULT_TIMEOUT;
}
