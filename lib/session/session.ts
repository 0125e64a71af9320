// One HTTP manager session (spec §2): identity, who logged in, what it may do and see, its place in
// the event log, and its lifetime. Every field is set in the constructor (stable shape).
import type { ClassMask, EventFilterRule, User } from '../auth/types.ts';
import type { AmiMessage } from '../ami/message.ts';
import type { Cursor } from '../events/cursor.ts';
import type { LogEntry } from '../events/event-log.ts';
import { acceptsEntry, acceptsEvent } from '../auth/event-access.ts';

/** The WaitEvent currently parked on a session (waitevent.ts); at most one per session (spec §4.3). */
export interface ParkedWait {
  /** A newer WaitEvent took over: return an empty output. */
  supersede(): void;
  /** The session was destroyed (logoff, failed login elsewhere, shutdown): return now. */
  sessionEnded(): void;
}

export class Session {
  // identity
  readonly id: string;
  /** Address of the request that created the session. */
  readonly address: string;

  // authentication (copied from the user at login; later reloads do not change a live session)
  user: User | undefined;
  authenticated: boolean;
  readPerm: ClassMask;
  writePerm: ClassMask;
  /** MD5 challenge issued by Challenge ('' when none). */
  challenge: string;

  // events
  /** Asterisk's `send_events`: classes this session currently wants (readPerm & Events mask). */
  eventMask: ClassMask;
  /** The user's eventfilters followed by those added with the Filter action. */
  filters: EventFilterRule[];
  /** Set at login. */
  cursor: Cursor | null;
  wait: ParkedWait | null;
  /** `accept`'s closure, made on first use: most sessions never read a cursor (a request without a
   * cookie, a WebSocket's session: push clients read through views), and 10,000 sockets × a closure
   * and its context was about 1 MB. */
  private acceptFn: ((entry: LogEntry) => boolean) | undefined;

  // lifetime
  /** Requests currently being handled on this session (it never expires while > 0). */
  inFlight: number;
  /** Epoch ms after which an idle session is purged. */
  expiresAt: number;
  destroyed: boolean;
  /** Kept by the store (Login or Challenge admitted it); a transient session is not. */
  stored: boolean;
  /** The user this stored session is counted for (lower case), undefined while unauthenticated. */
  countedUser: string | undefined;

  constructor(id: string, address: string, expiresAt: number) {
    this.id = id;
    this.address = address;
    this.user = undefined;
    this.authenticated = false;
    this.readPerm = 0;
    this.writePerm = 0;
    this.challenge = '';
    this.eventMask = 0;
    this.filters = [];
    this.cursor = null;
    this.wait = null;
    // Server limits and proxy notices included (lib/auth/event-access.ts, shared with push views).
    this.acceptFn = undefined;
    this.inFlight = 0;
    this.expiresAt = expiresAt;
    this.destroyed = false;
    this.stored = false;
    this.countedUser = undefined;
  }

  /** `accepts` for a log entry, bound once, handed to the cursor on every read. */
  get accept(): (entry: LogEntry) => boolean {
    return this.acceptFn ?? (this.acceptFn = (entry) => acceptsEntry(this.user?.serverMask, this.readPerm, this.eventMask, this.filters, entry));
  }

  get username(): string | undefined {
    return this.user?.name;
  }

  /**
   * Whether an event with these classes reaches this session (spec §4.4): the user's read classes
   * and the session's event mask must each hold ALL of them, then the eventfilters / Filter rules.
   * An event without a `Privilege:` (classes 0) needs events to be on at all.
   */
  accepts(classes: ClassMask, msg: AmiMessage): boolean {
    return acceptsEvent(this.readPerm, this.eventMask, this.filters, classes, msg);
  }

  /** Idle and past its lifetime. */
  expired(now: number): boolean {
    return this.inFlight === 0 && now > this.expiresAt;
  }
}

