// What /ws and /events share: the push context (limits, counters, the view registry), who a push
// client is (cookie session or bearer, or a first-frame Login on /ws), the `events=` and `since=`
// parameters, and the client's walk from its resume position to the live stream of its view.
//
// A client is a cursor and a view. It joins the view for its session's read classes, event mask and
// filters, replays the ring from `since` (or starts at the view's live edge) at its own pace —
// pausing while more than half its buffer limit is unsent and going on when the socket drains — and
// once it reaches the view's `published` mark it goes live: the view's sink then hands it each turn's
// entries (one uWS topic publish per entry and view for WebSockets, one write per SSE stream).
// A live client whose unsent bytes pass the limit is closed (slow consumer): counted, logged, and
// free to come back with `since` and lose nothing still in the ring.
import type { ClassMask, EventFilterRule, User } from '../auth/types.ts';
import { parseEventMask } from '../auth/classes.ts';
import type { EventLog, LogEntry } from '../events/event-log.ts';
import { sseEventsLostRecord, sseRecord, wsEventFrame, wsEventsLostFrame } from '../format/push.ts';
import { View, ViewRegistry, viewKey, type ViewSink, type ViewSpec } from '../events/views.ts';
import type { Session } from '../session/session.ts';
import type { SessionStore } from '../session/store.ts';
import { sessionIdFromCookies } from '../session/cookie.ts';
import { log } from '../log.ts';
import type { AjamDispatcher } from './ajam.ts';
import type { HttpResponse } from './uws.ts';

/** The SSE heartbeat (the 15 s; not a bound, so not a setting). */
export const SSE_HEARTBEAT_MS = 15_000;

export interface PushLimits {
  /** Unsent bytes per socket above which a live client is closed (1008 / SSE end). */
  bufferLimit: number;
  /** Largest client frame on /ws; a bigger one closes the socket with 1009. */
  maxFrame: number;
  /** Actions of one socket awaiting their reply; more get an error frame. */
  maxInFlight: number;
  /** WebSocket + SSE clients at once; more get 503. */
  maxClients: number;
}

export interface PushCounters {
  wsOpen: number;
  sseOpen: number;
  /** Clients closed for passing the buffer limit, since start. */
  slowClosed: number;
  /** Connections refused because maxClients were open, since start. */
  refusedFull: number;
  /** /ws frames refused: over maxFrame (socket closed 1009), over maxInFlight (error frame). */
  refusedFrame: number;
  refusedInFlight: number;
  /** Frames sent to catching-up clients (resume), since start. */
  replayed: number;
}

/** After a users reload: may what `user` opened from `address` go on (lib/auth/reload-keeps.ts)? */
export type UserKept = (user: User, address: string) => boolean;

/** One push transport's part of a client. */
export abstract class PushClient {
  readonly ctx: PushContext;
  view: View<PushClient> | null;
  /** Next sequence number to deliver while catching up. */
  position: number;
  /**
   * While catching up: how many seqs from `position` up to the view's `published` mark were missing
   * when the client was last told (one server's losses may lie after another's held entries). A
   * ring may drop more of them while the client pauses for a drain; those are new and are told.
   */
  toldGap: number;
  /** Resumed from a point newer than the log (a proxy restart): tell `Count: unknown` first. */
  unknownLoss: boolean;
  live: boolean;
  closed: boolean;

  constructor(ctx: PushContext) {
    this.ctx = ctx;
    this.view = null;
    this.position = 0;
    this.toldGap = 0;
    this.unknownLoss = false;
    this.live = false;
    this.closed = false;
  }

  /** Bytes handed to the socket and not yet sent. */
  abstract buffered(): number;
  /** Writes catch-up bytes (corked by the caller where the transport allows). */
  abstract write(bytes: Buffer): void;
  /** The entry's bytes in this transport's format (shared through the entry's cache). */
  abstract frame(entry: LogEntry): Buffer;
  abstract lostFrame(lastLostSeq: number, count: number | 'unknown'): Buffer;
  /** Runs `fn` with the socket corked. */
  abstract corked(fn: () => void): void;
  /** Called when the client becomes live in / leaves `view`. */
  protected abstract subscribe(view: View<PushClient>): void;
  protected abstract unsubscribe(view: View<PushClient>): void;
  /** Ends the connection for passing the buffer limit. */
  protected abstract kick(reason: string): void;
  abstract get kind(): 'ws' | 'sse';

  /**
   * Starts (or moves) this client on the view for `spec`, from sequence number `from` (undefined:
   * the live edge; RESUME_AHEAD: everything the ring holds, after an EventsLost with an unknown count).
   */
  start(spec: ViewSpec, from: number | undefined | typeof RESUME_AHEAD): void {
    const v = this.ctx.views.join(spec);
    this.view = v;
    if (from === RESUME_AHEAD) {
      // The oldest entry held (any server's: catchUp filters); the unknown loss covers what is before.
      const first = this.ctx.log.nextEntry(0)?.seq ?? v.published;
      this.position = first < v.published ? first : v.published;
      this.unknownLoss = true;
    } else {
      this.position = from === undefined ? v.published : from;
    }
    this.catchUp();
  }

  /** After Events / Filter on this client's session: moves it to the view of `spec` if that differs. */
  respec(spec: ViewSpec): void {
    const old = this.view;
    if (old === null || this.closed || viewKey(spec) === old.key) return;
    if (this.live) {
      // Everything before old.published reached the client through the old view.
      this.position = old.published;
      this.live = false;
      old.live.delete(this);
      this.unsubscribe(old);
    }
    this.ctx.views.leave(old);
    this.start(spec, this.position);
  }

  /** Replays the ring up to the view's live edge, pausing while the socket is full; then goes live. */
  catchUp(): void {
    const v = this.view;
    if (v === null || this.live || this.closed) return;
    const logRef = this.ctx.log;
    const high = this.ctx.limits.bufferLimit >> 1;
    this.corked(() => {
      if (this.unknownLoss) {
        this.unknownLoss = false;
        this.write(this.lostFrame(this.position - 1, 'unknown'));
      }
      // Nothing is dropped while this runs, so the losses ahead are counted (and told) once per call.
      const lost = this.position < v.published ? logRef.lostBetween(this.position, v.published, v.serverMask) - this.toldGap : 0;
      if (lost > 0) {
        const next = logRef.nextEntry(this.position);
        this.write(this.lostFrame((next === undefined || next.seq > v.published ? v.published : next.seq) - 1, lost));
        logRef.delivered.lost += lost;
      }
      while (this.position < v.published) {
        if (this.buffered() > high) break; // go on at drain
        const e = logRef.nextEntry(this.position);
        if (e === undefined || e.seq >= v.published) {
          this.position = v.published;
          break;
        }
        this.position = e.seq + 1;
        if (v.accepts(e)) {
          this.write(this.frame(e));
          this.ctx.counters.replayed++;
          logRef.delivered.events++;
        }
      }
      // Every loss ahead of the position is told now; at the next call only newer ones are.
      this.toldGap = this.position < v.published ? logRef.lostBetween(this.position, v.published, v.serverMask) : 0;
    });
    if (this.position >= v.published && !this.closed && this.view === v) {
      this.live = true;
      v.live.add(this);
      this.subscribe(v);
    }
  }

  /** The socket drained: a client still catching up goes on. */
  onDrain(): void {
    if (!this.live) this.catchUp();
  }

  /** Live client with too many unsent bytes: close it (once), count it, log it. */
  slow(): void {
    if (this.closed) return;
    const limit = this.ctx.limits.bufferLimit;
    this.ctx.counters.slowClosed++;
    log.warn('push client too slow: closed', { transport: this.kind, buffered: this.buffered(), limit });
    this.kick(`slow consumer: more than ${limit} bytes unsent`);
  }

  /** Leaves the view; called once when the connection is gone. */
  detach(): void {
    if (this.closed) return;
    this.closed = true;
    const v = this.view;
    if (v !== null) {
      v.live.delete(this);
      this.ctx.views.leave(v);
    }
    this.view = null;
  }
}

/** How a transport fans an entry out to the live WebSocket members of a view (a uWS topic). */
export interface TopicPublisher {
  publish(topic: string, bytes: Buffer): void;
}

export function topicOf(view: View<PushClient>): string {
  return `v${view.id}`;
}

export interface PushContextOptions {
  store: SessionStore;
  dispatcher: AjamDispatcher;
  log: EventLog;
  limits: PushLimits;
}

export class PushContext implements ViewSink<PushClient> {
  readonly store: SessionStore;
  readonly dispatcher: AjamDispatcher;
  readonly log: EventLog;
  readonly limits: PushLimits;
  readonly views: ViewRegistry<PushClient>;
  readonly counters: PushCounters;
  /** One per app the WebSocket route is registered on (plain HTTP, TLS): topics are per app. */
  readonly publishers: TopicPublisher[];
  /** Open WebSockets, so a shutdown can close each with 1001 (Going Away). */
  readonly sockets: Set<{ end(code: number, reason: string): void; endIfRevoked(keeps: UserKept): void }>;

  constructor(opts: PushContextOptions) {
    this.store = opts.store;
    this.dispatcher = opts.dispatcher;
    this.log = opts.log;
    this.limits = opts.limits;
    this.views = new ViewRegistry<PushClient>(opts.log, this);
    this.counters = { wsOpen: 0, sseOpen: 0, slowClosed: 0, replayed: 0, refusedFull: 0, refusedFrame: 0, refusedInFlight: 0 };
    this.publishers = [];
    this.sockets = new Set();
  }

  get clients(): number {
    return this.counters.wsOpen + this.counters.sseOpen;
  }

  /** After a users reload: ends the WebSockets whose user `keeps` no longer admits (1008). */
  endRevoked(keeps: UserKept): void {
    for (const c of [...this.sockets]) c.endIfRevoked(keeps);
  }

  /** A view's new entries (once per turn): each formatted once per transport, then fanned out. */
  deliver(view: View<PushClient>, entries: readonly LogEntry[], lost: number): void {
    // A client still holding more than the limit from earlier turns is too slow: it is closed
    // before this turn's bytes are added (its close frame / stream end follows what it has). So a
    // socket holds at most the limit plus one turn's events, and one burst bigger than the limit
    // does not cost a client that reads.
    const limit = this.limits.bufferLimit;
    for (const c of view.live) if (c.buffered() > limit) c.slow();
    // For /metrics: one delivery per entry per live client (what ajam_events_out_total counts).
    const d = this.log.delivered;
    d.events += entries.length * view.live.size;
    d.lost += lost * view.live.size;
    let ws = false;
    let sse = false;
    for (const c of view.live) {
      if (c.kind === 'ws') ws = true;
      else sse = true;
      if (ws && sse) break;
    }
    // A view falls behind the ring only if one turn appended more entries than the ring holds.
    const lastLost = lost > 0 ? (entries[0]?.seq ?? this.log.nextSeq) - 1 : 0;
    if (ws) {
      const topic = topicOf(view);
      for (const pub of this.publishers) {
        if (lost > 0) pub.publish(topic, wsEventsLostFrame(lastLost, lost));
        for (let i = 0; i < entries.length; i++) pub.publish(topic, wsFrameOf(entries[i]!));
      }
    }
    let batch: Buffer | null = null;
    if (sse) {
      const parts: Buffer[] = [];
      if (lost > 0) parts.push(sseEventsLostRecord(lastLost, lost));
      for (let i = 0; i < entries.length; i++) parts.push(sseRecordOf(entries[i]!));
      batch = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    }
    if (batch !== null) for (const c of view.live) if (c.kind === 'sse') c.write(batch);
  }

  close(): void {
    this.views.close();
  }
}

/** The entry as a WebSocket event frame, formatted once and shared. */
export function wsFrameOf(e: LogEntry): Buffer {
  return e.cache?.ws ?? e.keep('ws', wsEventFrame(e.seq, e.msg));
}

/** The entry as an SSE record, formatted once and shared. */
export function sseRecordOf(e: LogEntry): Buffer {
  return e.cache?.sse ?? e.keep('sse', sseRecord(e.seq, e.name, e.msg));
}

/** Who a push request is: a user with the classes and filters to start from. */
export interface PushIdentity {
  user: User;
  readPerm: ClassMask;
  writePerm: ClassMask;
  filters: EventFilterRule[];
  /** The cookie session it came from (kept alive while an SSE stream runs), if any. */
  session: Session | undefined;
}

/** Wrong Bearer/Basic credentials: answer 401 after `delayMs` (the failed-login delay; 0 when locked). */
export class BearerRefused {
  readonly delayMs: number;
  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }
}

/**
 * Checks an `Authorization` header (Bearer, or Basic when allowed): the user, a refusal (already
 * counted by the brute-force limiter), or undefined when the header is not such credentials
 * (lib/auth/stateless.ts authenticate).
 */
export type BearerCheck = (authorization: string, address: string) => User | BearerRefused | undefined;

/**
 * Who a push request is: a bearer token when one is sent and the server checks them, else the
 * logged-in session named by the cookie. undefined: no credentials; BearerRefused: wrong ones.
 */
export function resolveIdentity(
  store: SessionStore,
  cookie: string,
  authorization: string,
  address: string,
  bearer: BearerCheck | undefined,
): PushIdentity | BearerRefused | undefined {
  const user = bearer === undefined || authorization === '' ? undefined : bearer(authorization, address);
  if (user instanceof BearerRefused) return user;
  if (user !== undefined) {
    // Shared, not copied: a Filter action replaces a session's array (lib/session/local.ts filter).
    return { user, readPerm: user.read, writePerm: user.write, filters: user.eventFilters, session: undefined };
  }
  return identityFromCookie(store, cookie);
}

/**
 * Answers a refused push request after its failed-login delay, as the AJAM endpoints answer a wrong
 * bearer (issue 7): a timer holds only the request, which may go away meanwhile (then nothing is
 * written). `answer` writes the refusal (it corks itself).
 */
export function refuseLater(res: HttpResponse, delayMs: number, answer: () => void): void {
  if (delayMs <= 0) {
    answer();
    return;
  }
  const pending = { aborted: false };
  res.onAborted(() => {
    pending.aborted = true;
  });
  // unref: a refusal still waiting must not keep a stopping process alive.
  setTimeout(() => {
    if (!pending.aborted) answer();
  }, delayMs).unref();
}

/** The logged-in session named by the request's cookie, as an identity; undefined when none. */
export function identityFromCookie(store: SessionStore, cookie: string): PushIdentity | undefined {
  const s = store.find(sessionIdFromCookies(cookie));
  if (s === undefined || !s.authenticated || s.user === undefined) return undefined;
  return { user: s.user, readPerm: s.readPerm, writePerm: s.writePerm, filters: s.filters, session: s };
}

/** Parsed `events=` and `since=` query parameters (values percent-decoded). */
export interface PushQuery {
  /** Event mask asked for (before `& readPerm`); undefined = all the user may read. */
  mask: number | undefined;
  since: number | undefined;
}

/** The query's `events` and `since`; a string saying what is wrong when either is invalid. */
export function parsePushQuery(query: string): PushQuery | string {
  let mask: number | undefined;
  let since: number | undefined;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    const value = decode(eq === -1 ? '' : part.slice(eq + 1));
    if (name === undefined || value === undefined) return 'malformed percent-encoding in the query';
    const lower = name.toLowerCase();
    if (lower === 'events') {
      const m = parseEventMask(value);
      if (m < 0) return `invalid events: ${JSON.stringify(value)} (a class list, on or off)`;
      mask = m;
    } else if (lower === 'since') {
      const n = parseSeq(value);
      if (n === undefined) return `invalid since: ${JSON.stringify(value)} (a sequence number)`;
      since = n;
    }
  }
  return { mask, since };
}

/** A sequence number as a client sends it (`since`, `Last-Event-ID`): decimal digits only. */
export function parseSeq(text: string): number | undefined {
  const t = text.trim();
  if (!/^[0-9]{1,15}$/.test(t)) return undefined;
  return Number(t);
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The view spec of an identity with an `events=` mask (intersected with the read classes, as Events). */
export function specOf(identity: PushIdentity, mask: number | undefined): ViewSpec {
  const readPerm = identity.readPerm;
  return {
    serverMask: identity.user.serverMask,
    readPerm,
    eventMask: mask === undefined ? readPerm : readPerm & mask,
    filters: identity.filters,
  };
}

/** resumeFrom's answer for a `since` this run of the log never handed out (newer, or from an earlier run). */
export const RESUME_AHEAD = 'ahead';

/**
 * Where a client resuming after `since` starts: the next entry; undefined (the live edge) without
 * `since`; RESUME_AHEAD when `since` is not a number this run of the log handed out (newer than its
 * newest, or below its first) — it comes from before a proxy restart, so an unknown number of
 * events is lost, and all the ring holds is new.
 */
export function resumeFrom(eventLog: EventLog, since: number | undefined): number | undefined | typeof RESUME_AHEAD {
  if (since === undefined) return undefined;
  // Newer than this log, or older than its first seq (each run starts above the last: runFirstSeq).
  return since + 1 > eventLog.nextSeq || since + 1 < eventLog.firstSeq ? RESUME_AHEAD : since + 1;
}
