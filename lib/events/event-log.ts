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

  constructor(seq: number, msg: AmiMessage, classes: ClassMask, name: string, notice = false, serverBit = -1) {
    this.seq = seq;
    this.msg = msg;
    this.classes = classes;
    this.name = name;
    this.notice = notice;
    this.serverBit = serverBit;
    this.cache = undefined;
  }

  /** The event in `format`, formatted once by `fn` on first use, then shared. */
  bytes(format: FormatName, fn: (msg: AmiMessage) => Buffer): Buffer {
    const cache = this.cache ?? (this.cache = new FormatSlots());
    return cache[format] ?? (cache[format] = fn(this.msg));
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
}

export class EventLog {
  readonly capacity: number;
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
    return oldest > 1 ? oldest : 1;
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
    this.ring[seq % this.capacity] = entry;
    if (!this.flushScheduled && this.waiters.size > 0) {
      this.flushScheduled = true;
      setImmediate(flushWaiters, this);
    }
    return entry;
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
