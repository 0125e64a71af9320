// All live HTTP sessions: lookup by cookie id, creation, expiry (spec §2.2).
//
// Lifetimes are Asterisk's: when a request ends, an authenticated session gets `httptimeout`
// seconds, an unauthenticated one 5 s; a session is never purged while a request is in flight.
// Unlike Asterisk (one session per 5 s pass), every expired session goes in each purge pass.
import { randomBytes } from 'node:crypto';
import { Session } from './session.ts';
import { addressOf, type ClientAddress } from './types.ts';
import { clientKey } from '../auth/limiter.ts';
import { invalidArgument } from '../errors.ts';
import { DEFAULTS } from '../config/defaults.ts';


export interface SessionStoreOptions {
  /** Seconds an authenticated session lives after its last request ends. */
  httptimeout?: number;
  /** Caps (see admit*): sessions in all, logged-in sessions per user, unauthenticated per address. */
  maxSessions?: number;
  maxSessionsPerUser?: number;
  maxUnauthPerAddress?: number;
  /** Seconds an unauthenticated session lives (Asterisk: 5, or httptimeout if that is smaller). */
  unauthLifetime?: number;
  purgeIntervalMs?: number;
}

// 128-bit ids from the CSPRNG (Asterisk's are 32 bits, guessable). One syscall per 256 ids.
const ID_BYTES = 16;
const POOL_IDS = 256;
let idPool = Buffer.alloc(0);
let idOffset = 0;

export function newSessionId(): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * POOL_IDS);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

/** The AMI `Message:` texts of a refused admission (issue 7 §2: a clear error, never a crash). */
export const CAP_MSG = {
  TOTAL: 'Too many sessions on this server, try again later',
  PER_USER: 'Too many sessions for this user',
  PER_ADDRESS: 'Too many unauthenticated sessions from this address',
} as const;

export class SessionStore {
  readonly httptimeout: number;
  readonly unauthLifetime: number;
  readonly maxSessions: number;
  readonly maxSessionsPerUser: number;
  readonly maxUnauthPerAddress: number;
  private readonly sessions: Map<string, Session>;
  /** Logged-in stored sessions per lower-case user name; unauthenticated stored ones per address. */
  private readonly perUser: Map<string, number>;
  private readonly unauthPerAddress: Map<string, number>;
  /** Admissions refused at each cap since start (named as the settings, for metrics). */
  readonly refusals = { maxsessions: 0, maxsessionsperuser: 0, maxunauthperaddress: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: SessionStoreOptions = {}) {
    const httptimeout = opts.httptimeout ?? DEFAULTS.httptimeoutMs / 1000;
    if (!(httptimeout > 0)) throw invalidArgument('httptimeout must be positive');
    this.httptimeout = httptimeout;
    this.unauthLifetime = Math.min(opts.unauthLifetime ?? DEFAULTS.unauthLifetimeMs / 1000, httptimeout);
    this.maxSessions = opts.maxSessions ?? DEFAULTS.maxSessions;
    this.maxSessionsPerUser = opts.maxSessionsPerUser ?? DEFAULTS.maxSessionsPerUser;
    this.maxUnauthPerAddress = opts.maxUnauthPerAddress ?? DEFAULTS.maxUnauthPerAddress;
    this.sessions = new Map();
    this.perUser = new Map();
    this.unauthPerAddress = new Map();
    const interval = opts.purgeIntervalMs ?? DEFAULTS.sessionPurgeIntervalMs;
    this.timer = setInterval(purgeTick, interval, this);
    this.timer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The live session with this id, or undefined (an expired one is purged on the spot). */
  find(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const s = this.sessions.get(id);
    if (s === undefined) return undefined;
    if (s.expired(Date.now())) {
      this.destroy(s);
      return undefined;
    }
    return s;
  }

  /** A new unauthenticated session, stored at once (tests and tools; requests use `open`). */
  create(address: string): Session {
    const s = this.transient(address);
    this.store(s);
    return s;
  }

  /**
   * A new unauthenticated session that is NOT stored: a request without a valid cookie gets one
   * (its Set-Cookie names it, as Asterisk sends one) but it costs nothing once the request ends,
   * unless Login or Challenge admits it (admitLogin / admitUnauthenticated).
   */
  transient(address: string): Session {
    let id = newSessionId();
    while (this.sessions.has(id)) id = newSessionId();
    return new Session(id, address, Date.now() + this.unauthLifetime * 1000);
  }

  /**
   * Start of a request: the session named by the cookie, or a new transient one, marked in flight.
   * Every `open` must be paired with one `release` after the response has been written (or dropped).
   */
  open(id: string | undefined, address: ClientAddress): Session {
    return this.openFound(this.find(id), address);
  }

  /** As `open`, for a session the caller already looked up with `find` (undefined: a new transient one). */
  openFound(found: Session | undefined, address: ClientAddress): Session {
    const s = found ?? this.transient(addressOf(address));
    s.inFlight++;
    return s;
  }

  /**
   * Challenge on a session that is not logged in: keep it (the challenge must survive until the
   * Login), within the caps. Returns the refusal text, or undefined when admitted.
   */
  admitUnauthenticated(s: Session): string | undefined {
    if (s.stored || s.destroyed) return undefined;
    if (this.sessions.size >= this.maxSessions) return this.refuse('maxsessions', CAP_MSG.TOTAL);
    if (this.unauthCount(s.address) >= this.maxUnauthPerAddress) return this.refuse('maxunauthperaddress', CAP_MSG.PER_ADDRESS);
    this.store(s);
    return undefined;
  }

  /**
   * A successful login of `userName` on `s` (before it is marked authenticated): within the caps,
   * the session is kept and counted for the user. Returns the refusal text, or undefined.
   */
  admitLogin(s: Session, userName: string): string | undefined {
    const name = userName.toLowerCase();
    if ((this.perUser.get(name) ?? 0) >= this.maxSessionsPerUser) return this.refuse('maxsessionsperuser', CAP_MSG.PER_USER);
    if (!s.stored && this.sessions.size >= this.maxSessions) return this.refuse('maxsessions', CAP_MSG.TOTAL);
    if (s.stored) this.uncount(s);
    else this.store(s);
    s.countedUser = name;
    this.perUser.set(name, (this.perUser.get(name) ?? 0) + 1);
    return undefined;
  }

  /** Counts a refusal at a cap (for metrics) and returns its text. */
  private refuse(cap: keyof SessionStore['refusals'], text: string): string {
    this.refusals[cap]++;
    return text;
  }

  private store(s: Session): void {
    s.stored = true;
    this.sessions.set(s.id, s);
    const key = clientKey(s.address);
    this.unauthPerAddress.set(key, (this.unauthPerAddress.get(key) ?? 0) + 1);
  }

  /** Takes a stored session out of its count (unauthenticated per address, or its user's). */
  private uncount(s: Session): void {
    const user = s.countedUser;
    const map = user === undefined ? this.unauthPerAddress : this.perUser;
    const key = user ?? clientKey(s.address);
    const n = (map.get(key) ?? 1) - 1;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
    s.countedUser = undefined;
  }

  /** Logged-in sessions of a user (lower-case name) that are stored. */
  userCount(userName: string): number {
    return this.perUser.get(userName.toLowerCase()) ?? 0;
  }

  /** Unauthenticated stored sessions from an address (an IPv6 one: from its /64, as the limiter counts). */
  unauthCount(address: string): number {
    return this.unauthPerAddress.get(clientKey(address)) ?? 0;
  }

  /** End of a request: the lifetime restarts from now (spec §2.2). */
  release(s: Session): void {
    if (s.inFlight > 0) s.inFlight--;
    s.expiresAt = Date.now() + (s.authenticated ? this.httptimeout : this.unauthLifetime) * 1000;
  }

  /** Ends a session: forgotten at once (its cookie now names nothing), a parked WaitEvent returns. */
  destroy(s: Session): void {
    if (s.destroyed) return;
    s.destroyed = true;
    if (this.sessions.get(s.id) === s) {
      this.sessions.delete(s.id);
      this.uncount(s);
    }
    const wait = s.wait;
    if (wait !== null) wait.sessionEnded();
  }

  /** Another live, logged-in session of this user (for allowmultiplelogin = no), other than `except`. */
  userHasSession(username: string, except?: Session): boolean {
    const now = Date.now();
    const name = username.toLowerCase();
    for (const s of this.sessions.values()) {
      if (s === except || !s.authenticated || s.expired(now)) continue;
      if (s.user!.name.toLowerCase() === name) return true;
    }
    return false;
  }

  /** Removes every idle session past its lifetime. */
  purge(now = Date.now()): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.expired(now)) {
        this.destroy(s);
        n++;
      }
    }
    return n;
  }

  /** Stops the purge timer and ends every session. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const s of [...this.sessions.values()]) this.destroy(s);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }
}

function purgeTick(store: SessionStore): void {
  store.purge();
}
