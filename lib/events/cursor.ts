// A session's position in the shared event log. Reading does not consume: the caller commits the
// end of what it read only once the response carrying those events has been written, so a client
// that disconnects mid-reply gets the same events again on its next read (an improvement over
// Asterisk, whose per-session queue loses them, spec §4.4).
import type { EventLog, LogEntry } from './event-log.ts';

export interface CursorRead {
  /** Entries that passed the filter, oldest first. */
  entries: LogEntry[];
  /** Entries dropped from the rings of this cursor's servers before it reached them (0 normally). */
  lost: number;
  /** Pass to `commit` once the reply is written. */
  end: number;
}

export type EntryFilter = (entry: LogEntry) => boolean;

export class Cursor {
  readonly log: EventLog;
  /** The servers whose losses this reader is told about (`servers = a,b`); undefined = all. */
  readonly serverMask: number | undefined;
  /** Sequence number of the first entry not yet delivered. */
  position: number;
  /**
   * Losses before this seq were told already. With several servers one server's dropped seqs can
   * lie after another server's entries still held, so a reply cut short (maxreplybytes) resumes
   * before losses it has already reported.
   */
  private lostTold: number;
  /**
   * How many of the seqs in [position, lostTold) were missing when they were told: a ring may drop
   * more of them before the next read (the reply was cut short before them), and those are new.
   */
  private toldGap: number;
  /** End of the last read's loss count, made told by the commit of that read. */
  private lostRead: number;

  constructor(log: EventLog, serverMask?: number) {
    this.log = log;
    this.serverMask = serverMask;
    this.position = log.nextSeq;
    this.lostTold = 0;
    this.toldGap = 0;
    this.lostRead = 0;
  }

  /** Losses in [position, end) not told yet: every missing seq there but those already told. */
  private untold(end: number): number {
    return this.log.lostBetween(this.position, end, this.serverMask) - this.toldGap;
  }

  /** After the position or lostTold moved: the told losses that still lie ahead of the position. */
  private settle(): void {
    this.toldGap = this.position < this.lostTold ? this.log.lostBetween(this.position, this.lostTold, this.serverMask) : 0;
  }

  /** Entries from the position on that pass `accept`, and how many were lost; does not advance. */
  read(accept: EntryFilter): CursorRead {
    const log = this.log;
    const end = log.nextSeq;
    const from = this.position;
    const lost = this.untold(end);
    const entries: LogEntry[] = [];
    log.collect(from, end, accept, entries, this.serverMask);
    this.lostRead = end;
    // Entries this session may not see are never delivered, so stepping over them loses nothing and
    // keeps a quiet session (say a wallboard during a flood of dialplan events) from falling out of
    // the ring and rescanning the same entries on every wake-up.
    if (entries.length === 0 && lost === 0) {
      this.position = end;
      this.settle();
    }
    return { entries, lost, end };
  }

  /** True when `read` would return something (entries or a loss) right now. */
  pending(accept: EntryFilter): boolean {
    const log = this.log;
    const end = log.nextSeq;
    if (this.untold(end) > 0) return true;
    const seq = log.firstAccepted(this.position, end, accept, this.serverMask);
    this.position = seq;
    this.settle();
    return seq < end;
  }

  /** Marks everything before `end` delivered. Never moves backwards (a late commit is a no-op). */
  commit(end: number): void {
    if (end > this.position) this.position = end;
    if (this.lostRead > this.lostTold) this.lostTold = this.lostRead;
    // Called in the turn that wrote the reply: no ring has dropped anything since the read.
    this.settle();
  }

  /** Skips to the newest entry, e.g. when a session (re)starts receiving events. */
  reset(): void {
    this.position = this.log.nextSeq;
    this.settle();
  }
}

/**
 * The message telling a session how many log entries it missed. It is not subject to class checks
 * or filters (it is about the session itself, not an Asterisk event), so it carries no `Privilege:`.
 * `Count` counts log entries, so it is an upper bound of the events that session would have seen.
 */
export function eventsLostMessage(count: number): Buffer {
  return Buffer.from(`Event: EventsLost\r\nCount: ${count}\r\n\r\n`);
}
