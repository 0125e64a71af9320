// The shared event log (DESIGN.md "Sessions are cursors"): one ring of AMI events per Asterisk
// server, each bounded by its own entries and bytes, and ONE sequence space over all of them, so a
// `seq` is the same number for every client and `since` resumes across servers. A flood from one
// server pushes out only that server's oldest events. Sessions never copy events; each holds a
// cursor (cursor.ts) and reads the entries it may see, merged by seq (a k-way walk over the rings;
// with one server, the common case, a plain ring walk). Waiting readers are woken once per
// event-loop turn, however many events arrived in it ("Batch per tick").
import type { AmiMessage } from '../ami/message.ts';
import type { ClassMask } from '../auth/types.ts';
import { maskFromPrivilege } from '../auth/classes.ts';
import { invalidArgument } from '../errors.ts';
import { DEFAULTS } from '../config/defaults.ts';

/** Formats whose bytes are cached per entry; rawman needs no slot, it is `msg.raw`. */
export type FormatName = 'json' | 'mxml' | 'html' | 'sse' | 'ws';

/** Lazily formatted bytes of one event, shared by every session that receives it. */
export class FormatSlots {
  json: Buffer | undefined = undefined;
  mxml: Buffer | undefined = undefined;
  html: Buffer | undefined = undefined;
  sse: Buffer | undefined = undefined;
  ws: Buffer | undefined = undefined;
}

export class LogEntry {
  readonly seq: number;
  readonly msg: AmiMessage;
  /** Classes from the event's `Privilege:` header; a session must hold all of them. */
  readonly classes: ClassMask;
  /** `Event:` value ('' if none). */
  readonly name: string;
  /**
   * A notice from the proxy about the stream itself (an events gap): every session with events on
   * receives it, whatever its classes and filters.
   */
  readonly notice: boolean;
  /** Bit of the Asterisk server it came from (lib/mux/servers.ts); -1 (every bit) for all servers. */
  readonly serverBit: number;
  /** Allocated on the first format request only: most entries are only ever sent as rawman. */
  cache: FormatSlots | undefined;
  /** Bytes this entry holds (raw, plus each cached format), counted against its ring's byte bound. */
  size: number;
  /** The ring that counts this entry's bytes (null once it left the ring). */
  owner: EventRing | null;
  /** With several rings: the next newer entry held in any ring (SeqChain), null for the newest. */
  newer: LogEntry | null;
  older: LogEntry | null;

  constructor(seq: number, msg: AmiMessage, classes: ClassMask, name: string, notice = false, serverBit = -1) {
    this.seq = seq;
    this.msg = msg;
    this.classes = classes;
    this.name = name;
    this.notice = notice;
    this.serverBit = serverBit;
    this.cache = undefined;
    this.size = msg.raw.length;
    this.owner = null;
    this.newer = null;
    this.older = null;
  }

  /** The event in `format`, formatted once by `fn` on first use, then shared. */
  bytes(format: FormatName, fn: (msg: AmiMessage) => Buffer): Buffer {
    return this.cache?.[format] ?? this.keep(format, fn(this.msg));
  }

  /** Caches `b` as the event in `format`; its bytes count against the ring's byte bound. */
  keep(format: FormatName, b: Buffer): Buffer {
    const cache = this.cache ?? (this.cache = new FormatSlots());
    cache[format] = b;
    this.size += b.length;
    if (this.owner !== null) this.owner.charge(b.length);
    return b;
  }
}

/** A reader waiting for new entries (a WaitEvent, a WebSocket, an SSE stream). */
export interface LogWaiter {
  /** Called at most once per event-loop turn in which entries were appended. */
  wake(): void;
}

/** The bounds of one ring. */
export interface RingBounds {
  /** Entries kept; older ones are dropped and readers that had not reached them are told. */
  capacity?: number;
  /**
   * Bytes kept (raw events plus their cached formats); past it the oldest entries are dropped,
   * as past `capacity`, and readers that had not reached them are told.
   */
  maxBytes?: number;
}

/**
 * The first sequence number of a proxy run started at `nowMs`: 100 per millisecond since the epoch
 * (15 digits), so each run's seqs start above every seq of the runs before it (as long as those
 * averaged under 100,000 events a second), and a client's `since` from an earlier run is known as
 * such however many events the new run has handed out (lib/http/push.ts resumeFrom).
 */
export function runFirstSeq(nowMs: number = Date.now()): number {
  return Math.floor(nowMs) * 100;
}

export interface EventLogOptions extends RingBounds {
  /** The first sequence number (default 1; the app gives runFirstSeq()). */
  firstSeq?: number;
  /**
   * One ring per Asterisk server, index i holding the entries of serverBit `1 << i` (the bounds
   * default to `capacity` / `maxBytes`). Absent: one ring for everything.
   */
  rings?: readonly RingBounds[];
}

/**
 * With several rings: every held entry, oldest to newest across all rings, as a doubly linked list
 * (an entry leaving its ring is unlinked), so a reader of every server walks entries in seq order
 * at one step each instead of merging the rings.
 */
export class SeqChain {
  newest: LogEntry | null = null;

  link(e: LogEntry): void {
    e.older = this.newest;
    if (this.newest !== null) this.newest.newer = e;
    this.newest = e;
  }

  unlink(e: LogEntry): void {
    if (e.older !== null) e.older.newer = e.newer;
    if (e.newer !== null) e.newer.older = e.older;
    else this.newest = e.older;
    e.older = e.newer = null;
  }
}

/**
 * One server's ring: its entries in sequence order. With several servers its seqs increase but
 * are not contiguous (the other servers' entries sit in between), so lookups by seq are binary
 * searches; with one server they are contiguous and a lookup is an index.
 */
export class EventRing {
  readonly capacity: number;
  readonly maxBytes: number;
  private readonly buf: (LogEntry | undefined)[];
  /** Slot of the oldest entry. */
  private head: number;
  /** Entries held. */
  count: number;
  /** Bytes held by the entries (see LogEntry.size). */
  held: number;
  /** Entries ever appended to this ring, and how many of them left it (by count or bytes). */
  appended: number;
  dropped: number;
  /** Seq of the newest entry that left this ring (0: none yet): every seq of its losses is <= it. */
  lastDroppedSeq: number;

  /** The log's SeqChain when there are several rings. */
  private readonly chain: SeqChain | null;
  /**
   * With several rings: the seqs of the last 2 × capacity entries appended (held or dropped), by
   * append count, so that a reader limited to some servers is told exactly its own rings' losses
   * (droppedBetween) unless it lags further than that.
   */
  private readonly history: Float64Array | null;
  /** The newest seq the history has forgotten (0: none yet): every forgotten one is <= it. */
  private forgotten: number;

  constructor(bounds: RingBounds, chain: SeqChain | null = null) {
    this.chain = chain;
    const capacity = bounds.capacity ?? DEFAULTS.eventBuffer;
    if (!Number.isInteger(capacity) || capacity < 1) throw invalidArgument('EventLog capacity must be a positive integer');
    const maxBytes = bounds.maxBytes ?? DEFAULTS.eventBufferBytes;
    if (!(maxBytes > 0)) throw invalidArgument('EventLog maxBytes must be positive');
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.buf = new Array<LogEntry | undefined>(capacity).fill(undefined);
    this.history = chain === null ? null : new Float64Array(2 * capacity);
    this.forgotten = 0;
    this.head = 0;
    this.count = 0;
    this.held = 0;
    this.appended = 0;
    this.dropped = 0;
    this.lastDroppedSeq = 0;
  }

  /** @internal an entry cached a format: its bytes count too (trimmed at the next append). */
  charge(n: number): void {
    this.held += n;
  }

  /** The i-th oldest entry held (0 <= i < count). */
  at(i: number): LogEntry {
    let slot = this.head + i;
    if (slot >= this.capacity) slot -= this.capacity;
    return this.buf[slot]!;
  }

  /** Seq of the oldest entry held, or `fallback` when empty. */
  oldest(fallback: number): number {
    return this.count === 0 ? fallback : this.buf[this.head]!.seq;
  }

  /** Index (0..count) of the first entry held whose seq is >= `seq`. */
  lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** How many entries ever appended have a seq >= `seq`; -1 when the history does not reach back that far. */
  private appendedFrom(seq: number): number {
    const h = this.history;
    if (h === null) return -1;
    const n = this.appended;
    const size = h.length;
    const first = n > size ? n - size : 0;
    let lo = first;
    let hi = n;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (h[mid % size]! < seq) lo = mid + 1;
      else hi = mid;
    }
    // Every remembered seq is >= `seq`: the forgotten ones before them may be too.
    if (lo === first && first > 0 && this.forgotten >= seq) return -1;
    return n - lo;
  }

  /** Entries with seq in [from, end) that this ring dropped; -1 when its history does not reach `from`. */
  droppedBetween(from: number, end: number): number {
    if (this.lastDroppedSeq < from) return 0; // the usual case: nothing dropped since `from`
    const fromFrom = this.appendedFrom(from);
    if (fromFrom < 0) return -1;
    const appended = fromFrom - this.appendedFrom(end);
    return appended - (this.lowerBound(end) - this.lowerBound(from));
  }

  push(entry: LogEntry): void {
    if (this.count === this.capacity) this.dropOldest();
    let slot = this.head + this.count;
    if (slot >= this.capacity) slot -= this.capacity;
    this.buf[slot] = entry;
    this.count++;
    const h = this.history;
    if (h !== null) {
      const slot = this.appended % h.length;
      if (this.appended >= h.length) this.forgotten = h[slot]!;
      h[slot] = entry.seq;
    }
    this.appended++;
    entry.owner = this;
    if (this.chain !== null) this.chain.link(entry);
    this.held += entry.size;
    // The byte bound: drop the oldest until it fits (the newest entry always stays).
    while (this.held > this.maxBytes && this.count > 1) this.dropOldest();
  }

  private dropOldest(): void {
    const e = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    if (++this.head === this.capacity) this.head = 0;
    this.count--;
    this.dropped++;
    this.lastDroppedSeq = e.seq;
    if (this.chain !== null) this.chain.unlink(e);
    if (e.owner === this) {
      this.held -= e.size;
      e.owner = null;
    }
  }
}

export class EventLog {
  /** Entries kept over all rings (the sum of their capacities). */
  readonly capacity: number;
  /** Bytes kept over all rings. */
  readonly maxBytes: number;
  /** One per server (index i: serverBit 1 << i); one ring when there is one server. */
  readonly rings: readonly EventRing[];
  /** Entries handed to clients and EventsLost counts told since start (readers add; for metrics). */
  readonly delivered: { events: number; lost: number } = { events: 0, lost: 0 };
  /** The seq of this run's first entry: lower ones come from an earlier run of the proxy. */
  readonly firstSeq: number;
  /** rings[0] when there is only one (the fast paths below). */
  private readonly only: EventRing | undefined;
  /** Scratch for merge: each ring's next index and the seq there. */
  private readonly pos: number[];
  private readonly heads: number[];
  private next: number;
  private readonly waiters: Set<LogWaiter>;
  private flushScheduled: boolean;

  constructor(opts: EventLogOptions = {}) {
    const base: RingBounds = { capacity: opts.capacity, maxBytes: opts.maxBytes };
    const specs = opts.rings === undefined || opts.rings.length === 0 ? [base] : opts.rings;
    const chain = specs.length > 1 ? new SeqChain() : null;
    this.rings = specs.map((b) => new EventRing({ capacity: b.capacity ?? base.capacity, maxBytes: b.maxBytes ?? base.maxBytes }, chain));
    this.only = this.rings.length === 1 ? this.rings[0] : undefined;
    this.pos = new Array<number>(this.rings.length).fill(0);
    this.heads = new Array<number>(this.rings.length).fill(0);
    this.capacity = this.rings.reduce((n, r) => n + r.capacity, 0);
    this.maxBytes = this.rings.reduce((n, r) => n + r.maxBytes, 0);
    // Sequence numbers start at 1 or more, so that 0 can never be a valid position.
    this.firstSeq = opts.firstSeq ?? 1;
    if (!Number.isSafeInteger(this.firstSeq) || this.firstSeq < 1) throw invalidArgument('EventLog firstSeq must be a positive integer');
    this.next = this.firstSeq;
    this.waiters = new Set();
    this.flushScheduled = false;
  }

  /** Sequence number the next appended entry will get. */
  get nextSeq(): number {
    return this.next;
  }

  /** Sequence number of the oldest entry still held in any ring (== nextSeq when empty). */
  get oldestSeq(): number {
    if (this.only !== undefined) return this.only.oldest(this.next);
    let oldest = this.next;
    for (const r of this.rings) {
      const o = r.oldest(this.next);
      if (o < oldest) oldest = o;
    }
    return oldest;
  }

  /** Bytes currently held (raw events and their cached formats), over all rings. */
  get bytes(): number {
    let n = 0;
    for (const r of this.rings) n += r.held;
    return n;
  }

  /** Entries currently held, over all rings. */
  get size(): number {
    let n = 0;
    for (const r of this.rings) n += r.count;
    return n;
  }

  /** An event; `serverBit` is its server's bit when there are several (see LogEntry.serverBit). */
  append(msg: AmiMessage, serverBit = -1): LogEntry {
    const privilege = msg.get('Privilege');
    return this.add(msg, privilege === undefined ? 0 : maskFromPrivilege(privilege), false, serverBit);
  }

  /** A proxy notice for every session with events on that may see that server (see LogEntry.notice). */
  appendNotice(msg: AmiMessage, serverBit = -1): LogEntry {
    return this.add(msg, 0, true, serverBit);
  }

  private add(msg: AmiMessage, classes: ClassMask, notice: boolean, serverBit: number): LogEntry {
    const entry = new LogEntry(this.next++, msg, classes, msg.event ?? '', notice, serverBit);
    this.ringOf(serverBit).push(entry);
    if (!this.flushScheduled && this.waiters.size > 0) {
      this.flushScheduled = true;
      setImmediate(flushWaiters, this);
    }
    return entry;
  }

  /**
   * The ring of serverBit `1 << i`. With a single ring everything goes there (-1, "every server",
   * included); with several, every entry names its one server (app.ts tags each notice too).
   */
  private ringOf(serverBit: number): EventRing {
    if (this.only !== undefined) return this.only;
    const ring = serverBit > 0 && (serverBit & (serverBit - 1)) === 0 ? this.rings[31 - Math.clz32(serverBit)] : undefined;
    if (ring === undefined) throw invalidArgument(`no event ring for server bit ${serverBit}`);
    return ring;
  }

  /** The entry with this sequence number, or undefined if it is not (or no longer) held. */
  get(seq: number): LogEntry | undefined {
    if (seq >= this.next || seq < 1) return undefined;
    const one = this.only;
    if (one !== undefined) {
      const i = seq - one.oldest(this.next);
      return i >= 0 && i < one.count ? one.at(i) : undefined;
    }
    for (const r of this.rings) {
      const i = r.lowerBound(seq);
      if (i < r.count && r.at(i).seq === seq) return r.at(i);
    }
    return undefined;
  }

  /** The held entry with the smallest seq >= `seq` (undefined when none is). */
  nextEntry(seq: number): LogEntry | undefined {
    const one = this.only;
    if (one !== undefined) {
      if (seq >= this.next) return undefined;
      const i = seq - one.oldest(this.next);
      return one.count === 0 ? undefined : one.at(i < 0 ? 0 : i);
    }
    let best: LogEntry | undefined;
    for (const r of this.rings) {
      const i = r.lowerBound(seq);
      if (i < r.count) {
        const e = r.at(i);
        if (best === undefined || e.seq < best.seq) best = e;
      }
    }
    return best;
  }

  /**
   * How many seqs in [from, end) a reader of `serverMask`'s servers (undefined: all) lost. A reader
   * of every server: the seqs no ring holds any more (exact). A reader of some servers: what its own
   * rings dropped in that range, counted from their append histories (exact), or, for a reader that
   * lags further than a history reaches, the seqs no ring holds up to the last loss of one of its own
   * rings — an upper bound, as EventsLost's Count already is for readers whose classes or filters
   * skip some events. Either way a reader of server B is not told about server A's losses alone.
   */
  lostBetween(from: number, end: number, serverMask: number | undefined): number {
    const one = this.only;
    if (one !== undefined) {
      const oldest = one.oldest(this.next);
      return from < oldest ? (oldest < end ? oldest : end) - from : 0;
    }
    const all = (1 << this.rings.length) - 1;
    if (serverMask !== undefined && (serverMask & all) !== all) {
      let own = 0;
      for (let i = 0; i < this.rings.length && own >= 0; i++) {
        if ((serverMask & (1 << i)) === 0) continue;
        const d = this.rings[i]!.droppedBetween(from, end);
        own = d < 0 ? -1 : own + d;
      }
      if (own >= 0) return own;
    }
    let hi = 0;
    for (let i = 0; i < this.rings.length; i++) {
      if (serverMask !== undefined && (serverMask & (1 << i)) === 0) continue;
      const r = this.rings[i]!;
      if (r.lastDroppedSeq + 1 > hi) hi = r.lastDroppedSeq + 1;
    }
    if (hi > end) hi = end;
    if (hi <= from) return 0;
    let holes = hi - from;
    for (const r of this.rings) holes -= r.lowerBound(hi) - r.lowerBound(from);
    return holes;
  }

  /**
   * Appends to `out`, oldest first, the held entries with seq in [from, end) that `accept` passes.
   * `serverMask` (the reader's servers; undefined = all) skips the other servers' rings unread, so
   * a flood on one server costs nothing to a reader of another.
   */
  collect(from: number, end: number, accept: (e: LogEntry) => boolean, out: LogEntry[], serverMask?: number): void {
    const one = this.only;
    if (one !== undefined) {
      this.walkOne(one, from, end, accept, out);
      return;
    }
    this.merge(from, end, accept, out, false, serverMask);
  }

  /** Seq of the first held entry in [from, end) that `accept` passes, or `end` when none does. */
  firstAccepted(from: number, end: number, accept: (e: LogEntry) => boolean, serverMask?: number): number {
    const one = this.only;
    if (one !== undefined) return this.walkOne(one, from, end, accept, undefined);
    const out: LogEntry[] = [];
    this.merge(from, end, accept, out, true, serverMask);
    return out.length > 0 ? out[0]!.seq : end;
  }

  /**
   * The single ring's walk over [from, end): each entry `accept` passes goes into `out`; without
   * `out`, the first one's seq is returned (`end` when none passes).
   */
  private walkOne(one: EventRing, from: number, end: number, accept: (e: LogEntry) => boolean, out: LogEntry[] | undefined): number {
    const oldest = one.oldest(this.next);
    const stop = Math.min(end, this.next) - oldest;
    for (let i = from < oldest ? 0 : from - oldest; i < stop; i++) {
      const e = one.at(i);
      if (!accept(e)) continue;
      if (out === undefined) return e.seq;
      out.push(e);
    }
    return end;
  }

  /**
   * The k-way walk over the rings by seq (k is small: the servers). Each step takes the run of the
   * ring with the lowest next seq up to the next seq of any other ring, so a burst from one server
   * costs one comparison per entry.
   */
  private merge(from: number, end: number, accept: (e: LogEntry) => boolean, out: LogEntry[], first: boolean, serverMask: number | undefined): void {
    const rings = this.rings;
    const k = rings.length;
    if (serverMask === undefined || (serverMask & ((1 << k) - 1)) === (1 << k) - 1) {
      // A reader of every server: from the oldest held entry at or after `from`, along the chain.
      for (let e = this.nextEntry(from) ?? null; e !== null && e.seq < end; e = e.newer) {
        if (accept(e)) {
          out.push(e);
          if (first) return;
        }
      }
      return;
    }
    const pos = this.pos;
    // heads[r]: seq at pos[r] (end when that ring has nothing more before `end`).
    const heads = this.heads;
    for (let r = 0; r < k; r++) {
      const ring = rings[r]!;
      if (serverMask !== undefined && (serverMask & (1 << r)) === 0) {
        heads[r] = end; // not this reader's server: never read
        continue;
      }
      const p = (pos[r] = ring.lowerBound(from));
      heads[r] = p < ring.count ? ring.at(p).seq : end;
    }
    for (;;) {
      let best = -1;
      let bestSeq = end;
      let next = end;
      for (let r = 0; r < k; r++) {
        const s = heads[r]!;
        if (s < bestSeq) {
          next = bestSeq;
          bestSeq = s;
          best = r;
        } else if (s < next) next = s;
      }
      if (best === -1) return;
      const ring = rings[best]!;
      const count = ring.count;
      let p = pos[best]!;
      let head = end;
      for (; p < count; p++) {
        const e = ring.at(p);
        if (e.seq >= next) {
          head = e.seq;
          break;
        }
        if (accept(e)) {
          out.push(e);
          if (first) return;
        }
      }
      pos[best] = p;
      heads[best] = head < end ? head : end;
    }
  }

  /** Registers a waiter until `unwatch`; it is woken after each turn that appended entries. */
  watch(waiter: LogWaiter): void {
    this.waiters.add(waiter);
  }

  unwatch(waiter: LogWaiter): void {
    this.waiters.delete(waiter);
  }

  get waiterCount(): number {
    return this.waiters.size;
  }

  /** @internal */
  flush(): void {
    this.flushScheduled = false;
    // A waiter may unwatch itself (or others) while being woken: Set iteration tolerates deletes.
    for (const w of this.waiters) w.wake();
  }
}

function flushWaiters(log: EventLog): void {
  log.flush();
}
