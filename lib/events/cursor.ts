// A session's position in the shared event log. Reading does not consume: the caller commits the
// end of what it read only once the response carrying those events has been written, so a client
// that disconnects mid-reply gets the same events again on its next read (an improvement over
// Asterisk, whose per-session queue loses them, spec §4.4).
import type { EventLog, LogEntry } from './event-log.ts';

export interface CursorRead {
  /** Entries that passed the filter, oldest first. */
  entries: LogEntry[];
  /** Entries overwritten in the ring before this cursor reached them (0 normally). */
  lost: number;
  /** Pass to `commit` once the reply is written. */
  end: number;
}

export type EntryFilter = (entry: LogEntry) => boolean;

export class Cursor {
  readonly log: EventLog;
  /** Sequence number of the first entry not yet delivered. */
  position: number;

  constructor(log: EventLog) {
    this.log = log;
    this.position = log.nextSeq;
  }

  /** Entries from the position on that pass `accept`, and how many were lost; does not advance. */
  read(accept: EntryFilter): CursorRead {
    const log = this.log;
    const end = log.nextSeq;
    const oldest = log.oldestSeq;
    let seq = this.position;
    let lost = 0;
    if (seq < oldest) {
      lost = oldest - seq;
      seq = oldest;
    }
    const entries: LogEntry[] = [];
    for (; seq < end; seq++) {
      const e = log.get(seq)!;
      if (accept(e)) entries.push(e);
    }
    // Entries this session may not see are never delivered, so stepping over them loses nothing and
    // keeps a quiet session (say a wallboard during a flood of dialplan events) from falling out of
    // the ring and rescanning the same entries on every wake-up.
    if (entries.length === 0 && lost === 0) this.position = end;
    return { entries, lost, end };
  }

  /** True when `read` would return something (entries or a loss) right now. */
  pending(accept: EntryFilter): boolean {
    const log = this.log;
    const end = log.nextSeq;
    const oldest = log.oldestSeq;
    if (this.position < oldest) return true;
    for (let seq = this.position; seq < end; seq++) {
      if (accept(log.get(seq)!)) {
        this.position = seq;
        return true;
      }
    }
    this.position = end;
    return false;
  }

  /** Marks everything before `end` delivered. Never moves backwards (a late commit is a no-op). */
  commit(end: number): void {
    if (end > this.position) this.position = end;
  }

  /** Skips to the newest entry, e.g. when a session (re)starts receiving events. */
  reset(): void {
    this.position = this.log.nextSeq;
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
