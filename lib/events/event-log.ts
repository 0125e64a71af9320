// The shared event log: one ring buffer of untagged AMI events with sequence numbers
// (DESIGN.md "Sessions are cursors"). Sessions never copy events; each holds a cursor (cursor.ts)
// and reads the entries it may see. Waiting readers are woken once per event-loop turn, however
// many events arrived in it ("Batch per tick").
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
  /** Bytes this entry holds (raw, plus each cached format), counted against the log's byte bound. */
  size: number;
  /** The log that counts this entry's bytes (null once it left the ring). */
  owner: EventLog | null;

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
  }

  /** The event in `format`, formatted once by `fn` on first use, then shared. */
  bytes(format: FormatName, fn: (msg: AmiMessage) => Buffer): Buffer {
    const cache = this.cache ?? (this.cache = new FormatSlots());
    let b = cache[format];
    if (b === undefined) {
      b = cache[format] = fn(this.msg);
      this.size += b.length;
      if (this.owner !== null) this.owner.charge(b.length);
    }
    return b;
  }
}

/** A reader waiting for new entries (a WaitEvent, a WebSocket, an SSE stream). */
export interface LogWaiter {
  /** Called at most once per event-loop turn in which entries were appended. */
  wake(): void;
}

export interface EventLogOptions {
  /** Entries kept; older ones are overwritten and readers that had not reached them are told. */
  capacity?: number;
  /**
   * Bytes kept (raw events plus their cached formats); past it the oldest entries are dropped,
   * as past `capacity`, and readers that had not reached them are told.
   */
  maxBytes?: number;
}

export class EventLog {
  readonly capacity: number;
  readonly maxBytes: number;
  /** Bytes held by the entries in the ring (see LogEntry.size). */
  private held: number;
  /** Oldest sequence number still held when the byte bound dropped entries (else 1). */
  private first: number;
  /** Entries handed to clients and EventsLost counts told since start (readers add; for metrics). */
  readonly delivered: { events: number; lost: number } = { events: 0, lost: 0 };
  private readonly ring: (LogEntry | undefined)[];
  private next: number;
  private readonly waiters: Set<LogWaiter>;
  private flushScheduled: boolean;

  constructor(opts: EventLogOptions = {}) {
    const capacity = opts.capacity ?? DEFAULTS.eventBuffer;
    if (!Number.isInteger(capacity) || capacity < 1) throw invalidArgument('EventLog capacity must be a positive integer');
    this.capacity = capacity;
    this.maxBytes = opts.maxBytes ?? DEFAULTS.eventBufferBytes;
    if (!(this.maxBytes > 0)) throw invalidArgument('EventLog maxBytes must be positive');
    this.held = 0;
    this.first = 1;
    this.ring = new Array<LogEntry | undefined>(capacity).fill(undefined);
    // Sequence numbers start at 1 so that 0 can never be a valid position.
    this.next = 1;
    this.waiters = new Set();
    this.flushScheduled = false;
  }

  /** Sequence number the next appended entry will get. */
  get nextSeq(): number {
    return this.next;
  }

  /** Sequence number of the oldest entry still held (== nextSeq when empty). */
  get oldestSeq(): number {
    const oldest = this.next - this.capacity;
    return oldest > this.first ? oldest : this.first;
  }

  /** Bytes currently held (raw events and their cached formats). */
  get bytes(): number {
    return this.held;
  }

  /** @internal an entry cached a format: its bytes count too (trimmed at the next append). */
  charge(n: number): void {
    this.held += n;
  }

  /** Entries currently held. */
  get size(): number {
    return this.next - this.oldestSeq;
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
    const seq = this.next++;
    const entry = new LogEntry(seq, msg, classes, msg.event ?? '', notice, serverBit);
    const slot = seq % this.capacity;
    const old = this.ring[slot];
    if (old !== undefined) this.release(old);
    this.ring[slot] = entry;
    entry.owner = this;
    this.held += entry.size;
    // The byte bound: drop the oldest until it fits (the newest entry always stays).
    if (this.held > this.maxBytes) {
      let oldest = this.oldestSeq;
      while (this.held > this.maxBytes && oldest < seq) {
        const s = oldest % this.capacity;
        const e = this.ring[s];
        if (e !== undefined) this.release(e);
        this.ring[s] = undefined;
        oldest++;
      }
      this.first = oldest;
    }
    if (!this.flushScheduled && this.waiters.size > 0) {
      this.flushScheduled = true;
      setImmediate(flushWaiters, this);
    }
    return entry;
  }

  private release(e: LogEntry): void {
    if (e.owner === this) {
      this.held -= e.size;
      e.owner = null;
    }
  }

  /** The entry with this sequence number, or undefined if it is not (or no longer) held. */
  get(seq: number): LogEntry | undefined {
    if (seq < this.oldestSeq || seq >= this.next) return undefined;
    return this.ring[seq % this.capacity];
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
