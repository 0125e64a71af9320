// All live HTTP sessions: lookup by cookie id, creation, expiry (spec §2.2).
//
// Lifetimes are Asterisk's: when a request ends, an authenticated session gets `httptimeout`
// seconds, an unauthenticated one 5 s; a session is never purged while a request is in flight.
// Unlike Asterisk (one session per 5 s pass), every expired session goes in each purge pass.
import { randomBytes } from 'node:crypto';
import { Session } from './session.ts';
import { addressOf, type ClientAddress } from './types.ts';
import { invalidArgument } from '../errors.ts';
import { DEFAULTS } from '../config/defaults.ts';


export interface SessionStoreOptions {
  /** Seconds an authenticated session lives after its last request ends. */
  httptimeout?: number;
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

export class SessionStore {
  readonly httptimeout: number;
  readonly unauthLifetime: number;
  private readonly sessions: Map<string, Session>;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: SessionStoreOptions = {}) {
    const httptimeout = opts.httptimeout ?? DEFAULTS.httptimeoutMs / 1000;
    if (!(httptimeout > 0)) throw invalidArgument('httptimeout must be positive');
    this.httptimeout = httptimeout;
    this.unauthLifetime = Math.min(opts.unauthLifetime ?? DEFAULTS.unauthLifetimeMs / 1000, httptimeout);
    this.sessions = new Map();
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

  /** A new unauthenticated session (spec §2.3: unknown or missing cookies get one silently). */
  create(address: string): Session {
    let id = newSessionId();
    while (this.sessions.has(id)) id = newSessionId();
    const s = new Session(id, address, Date.now() + this.unauthLifetime * 1000);
    this.sessions.set(id, s);
    return s;
  }

  /**
   * Start of a request: the session named by the cookie, or a new one, marked in flight. Every
   * `open` must be paired with one `release` after the response has been written (or dropped).
   */
  open(id: string | undefined, address: ClientAddress): Session {
    const s = this.find(id) ?? this.create(addressOf(address));
    s.inFlight++;
    return s;
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
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
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
