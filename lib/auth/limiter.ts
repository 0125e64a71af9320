// Brute-force limits for every way of logging in (Login, Challenge, HTTP digest, Bearer/Basic).
//
// Per client address: `limit` failures within `windowMs` lock the address; while locked every
// attempt is refused at once, whatever the secret (the caller answers Asterisk's `Authentication
// failed`). Each further lockout of the same address doubles, up to `maxLockMs`.
// Per user (across addresses): never a lock (a stranger must not lock the real admin out), only a
// slow-down once the user has `limit` recent failures: `userStepMs` per failure past the limit, at
// most `maxUserDelayMs`, and the user's password checks are serialized: each waits for its turn,
// turns that far apart (`waitTurn`), so parallel guesses gain nothing. At most `maxUserQueue`
// attempts wait per user; one more is refused at once without a check (`Authentication failed`).
// Addresses this user logged in from (the last MAX_KNOWN_ADDRESSES of them) skip the slow-down and
// the queue: a stranger's storm never stands between the real admin and their usual places.
// Callers: `check` before looking at the secret, `waitTurn` before checking a password,
// `recordFailure` as soon as it is known wrong (before any answer delay, so parallel attempts
// count at once), `recordSuccess` on a good login.
// The tables are bounded (`maxTracked` entries each, oldest forgotten first).
// An address is counted as a client: IPv4 (mapped or not) as itself, IPv6 by its /64 (one
// subscriber's network: a fresh count per address would be a fresh count per guess).
import { log } from '../log.ts';
import { parseIp } from './acl.ts';
import { DEFAULTS } from '../config/defaults.ts';
import { invalidArgument } from '../errors.ts';
import { setTimeout as delay } from 'node:timers/promises';

export interface AuthLimiterOptions {
  /** Failures within the window that lock an address (default 5). */
  limit?: number;
  /** The failure window, ms (default 60 s). Also the first lockout's length. */
  windowMs?: number;
  /** The longest lockout, ms (default 15 min). */
  maxLockMs?: number;
  /** The most a user's attempts are slowed down, ms (default 2 s). */
  maxUserDelayMs?: number;
  /** Slow-down per failure of a user past `limit`, ms (default 250). */
  userStepMs?: number;
  /** Attempts of one user waiting for their turn (default 10); more are refused at once. */
  maxUserQueue?: number;
  /** Entries kept per table (addresses, users; default 100,000). */
  maxTracked?: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface AuthVerdict {
  /** The address is locked: refuse at once without looking at the secret. */
  locked: boolean;
  /** When locked: ms until the lock ends. Otherwise: the user's current slow-down per attempt. */
  delayMs: number;
}

/** Addresses remembered per user as places it logged in from (they skip the slow-down). */
const MAX_KNOWN_ADDRESSES = 8;

class Failures {
  /** Start of the current window and failures in it. */
  windowStart: number;
  count: number;
  /** Locked until (epoch ms), 0 when not locked. */
  lockedUntil: number;
  /** Lockouts so far (the next one lasts windowMs · 2^lockouts). */
  lockouts: number;
  /** Attempts refused during the current lock (logged when the next lock starts, or never). */
  refused: number;
  /** The user of every failure in the window, or null once they differed (address entries). */
  user: string | null | undefined;
  /** User entries: attempts waiting for their turn, and when the last turn given is (epoch ms). */
  queued: number;
  lastTurn: number;

  constructor(now: number) {
    this.windowStart = now;
    this.count = 0;
    this.lockedUntil = 0;
    this.lockouts = 0;
    this.refused = 0;
    this.user = undefined;
    this.queued = 0;
    this.lastTurn = 0;
  }
}

export class AuthLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly maxLockMs: number;
  readonly maxUserDelayMs: number;
  readonly userStepMs: number;
  readonly maxUserQueue: number;
  readonly maxTracked: number;
  private readonly now: () => number;
  private readonly byAddress: Map<string, Failures>;
  private readonly byUser: Map<string, Failures>;
  /** Per user (lower-case): client keys it logged in from, most recent last (bounded). */
  private readonly known: Map<string, string[]>;
  /** When the last failure was recorded (-Infinity: never). */
  private lastFailureAt: number;
  /** Since start, for metrics: failures recorded and lockouts started. */
  readonly totals = { failures: 0, lockouts: 0 };
  /** Since start: attempts refused with the user's queue full, and attempts that waited a turn. */
  readonly turns = { queueFull: 0, waited: 0 };

  constructor(opts: AuthLimiterOptions = {}) {
    this.limit = opts.limit ?? DEFAULTS.authLimit;
    this.windowMs = opts.windowMs ?? DEFAULTS.authWindowMs;
    this.maxLockMs = opts.maxLockMs ?? DEFAULTS.authMaxLockMs;
    this.maxUserDelayMs = opts.maxUserDelayMs ?? DEFAULTS.authMaxUserDelayMs;
    this.userStepMs = opts.userStepMs ?? DEFAULTS.authUserStepMs;
    this.maxUserQueue = opts.maxUserQueue ?? DEFAULTS.authMaxUserQueue;
    this.known = new Map();
    this.maxTracked = opts.maxTracked ?? DEFAULTS.authMaxTracked;
    this.now = opts.now ?? Date.now;
    this.byAddress = new Map();
    this.byUser = new Map();
    this.lastFailureAt = -Infinity;
    if (!(this.limit >= 1)) throw invalidArgument('limit must be at least 1');
  }

  /** Before an attempt: is the address locked, and how long to slow this user's attempt down. */
  check(address: string, user: string): AuthVerdict {
    const now = this.now();
    const a = this.byAddress.get(clientKey(address));
    if (a !== undefined && a.lockedUntil > now) {
      a.refused++;
      return { locked: true, delayMs: a.lockedUntil - now };
    }
    return { locked: false, delayMs: this.userDelay(this.byUser.get(user.toLowerCase()), now) };
  }

  /** The slow-down of a user's attempts now (0: none). */
  private userDelay(u: Failures | undefined, now: number): number {
    if (u === undefined || now - u.windowStart > this.windowMs || u.count < this.limit) return 0;
    return Math.min(this.maxUserDelayMs, (u.count - this.limit + 1) * this.userStepMs);
  }

  /**
   * Before checking a password of `user` from `address`: the ms to wait for this attempt's turn (0:
   * check now; also for a locked address, which the caller's `check` then refuses), or -1 when
   * `maxUserQueue` attempts already wait (refuse at once, check nothing).
   * Turns of a slowed-down user are the slow-down apart, so attempts are checked one at a time
   * however many arrive together. A caller given a wait > 0 calls `turnTaken` when it ends
   * (`waitTurn` does both).
   */
  reserveTurn(address: string, user: string): number {
    const lower = user.toLowerCase();
    const now = this.now();
    const step = this.turnStep(lower, clientKey(address), now);
    if (step === 0) return 0;
    const u = this.byUser.get(lower);
    if (u!.queued >= this.maxUserQueue) {
      this.turns.queueFull++;
      return -1;
    }
    const turn = Math.max(now, u!.lastTurn) + step;
    u!.lastTurn = turn;
    u!.queued++;
    this.turns.waited++;
    return turn - now;
  }

  /**
   * For callers that cannot wait (the push endpoints check Basic at the upgrade): true when this
   * attempt needs no turn (no slow-down, one of the user's places, or a locked address that `check`
   * refuses); else false, counted as a full queue: refuse at once, check nothing.
   */
  turnFreeNow(address: string, user: string): boolean {
    if (this.turnStep(user.toLowerCase(), clientKey(address), this.now()) === 0) return true;
    this.turns.queueFull++;
    return false;
  }

  /**
   * How far apart this user's attempts from this address must take turns; 0 when this one needs no
   * turn: no slow-down, one of the user's places, or a locked address. A locked address is refused
   * at once by the check that follows: it takes no turn, so it cannot keep the user's queue full
   * (Basic and digest ask for a turn before that check).
   */
  private turnStep(lowerUser: string, key: string, now: number): number {
    const step = this.userDelay(this.byUser.get(lowerUser), now);
    if (step === 0 || this.isKnown(lowerUser, key)) return 0;
    const a = this.byAddress.get(key);
    return a !== undefined && a.lockedUntil > now ? 0 : step;
  }

  /** A turn given by reserveTurn has come (or its caller went away). */
  turnTaken(user: string): void {
    const u = this.byUser.get(user.toLowerCase());
    if (u !== undefined && u.queued > 0) u.queued--;
  }

  /** reserveTurn, waited: false when the queue is full (refuse at once). */
  async waitTurn(address: string, user: string): Promise<boolean> {
    const ms = this.reserveTurn(address, user);
    if (ms < 0) return false;
    if (ms > 0) {
      try {
        await delay(ms);
      } finally {
        this.turnTaken(user);
      }
    }
    return true;
  }

  /** Attempts of `user` waiting for their turn. */
  queuedFor(user: string): number {
    return this.byUser.get(user.toLowerCase())?.queued ?? 0;
  }

  private isKnown(lowerUser: string, key: string): boolean {
    const list = this.known.get(lowerUser);
    return list !== undefined && list.includes(key);
  }

  /** A wrong secret/key/token/digest: counted and logged (address and user only, never the secret). */
  recordFailure(address: string, user: string, how = 'login'): void {
    const now = this.now();
    this.lastFailureAt = now;
    const a = this.entry(this.byAddress, clientKey(address), now);
    const lower = user.toLowerCase();
    const u = this.entry(this.byUser, lower, now);
    u.count++;
    this.totals.failures++;
    if (a.lockedUntil > now) return; // already locked: the lockout line said it all
    a.count++;
    a.user = a.user === undefined || a.user === lower ? lower : null;
    log.warn('authentication failed', { address, user, how, failures: a.count });
    if (a.count >= this.limit) {
      const ms = Math.min(this.maxLockMs, this.windowMs * 2 ** Math.min(a.lockouts, 30));
      a.lockedUntil = now + ms;
      a.lockouts++;
      this.totals.lockouts++;
      a.count = 0;
      a.user = undefined;
      a.windowStart = now;
      log.warn('address locked out after failed logins', {
        address,
        user,
        seconds: Math.round(ms / 1000),
        lockout: a.lockouts,
        refusedBefore: a.refused,
      });
      a.refused = 0;
    }
  }

  /**
   * A good login: the address's failure count starts over when every failure in the window was
   * this user's own (typos); guesses at other users stay counted, or logging in with one's own
   * account between guesses would never lock. The lockout level stays until it ages.
   */
  recordSuccess(address: string, user: string): void {
    const lower = user.toLowerCase();
    const a = this.byAddress.get(clientKey(address));
    if (a !== undefined && (a.count === 0 || a.user === lower)) {
      a.count = 0;
      a.user = undefined;
    }
    const u = this.byUser.get(lower);
    if (u !== undefined) u.count = 0;
    // Remembered as one of this user's places (users come from the users file: a bounded set).
    const key = clientKey(address);
    let list = this.known.get(lower);
    if (list === undefined) this.known.set(lower, (list = []));
    const at = list.indexOf(key);
    if (at !== -1) list.splice(at, 1);
    else if (list.length >= MAX_KNOWN_ADDRESSES) list.shift();
    list.push(key);
  }

  /** Is the address locked now (for tests and /health-style reporting). */
  isLocked(address: string): boolean {
    const a = this.byAddress.get(clientKey(address));
    return a !== undefined && a.lockedUntil > this.now();
  }

  /**
   * No failure for longer than both the window and the longest lockout: nothing is locked and no
   * count is live, so `check` would pass and `recordSuccess` change nothing. Lets a caller skip
   * decoding the client address on the hot path (Bearer requests, lib/auth/stateless.ts).
   */
  quiet(): boolean {
    return this.now() - this.lastFailureAt > Math.max(this.windowMs, this.maxLockMs);
  }

  get trackedAddresses(): number {
    return this.byAddress.size;
  }

  get trackedUsers(): number {
    return this.byUser.size;
  }

  /**
   * The entry for `key` with its window rolled forward. A clean stretch of maxLockMs after the
   * last lock forgets the lockout level too.
   */
  private entry(map: Map<string, Failures>, key: string, now: number): Failures {
    let f = map.get(key);
    if (f === undefined) {
      if (map.size >= this.maxTracked) this.evict(map, now);
      f = new Failures(now);
      map.set(key, f);
      return f;
    }
    if (f.lockedUntil <= now && now - f.windowStart > this.windowMs) {
      if (f.lockedUntil !== 0 && now - f.lockedUntil > this.maxLockMs) f.lockouts = 0;
      f.windowStart = now;
      f.count = 0;
      f.user = undefined;
    }
    // Most recently touched last, so eviction drops the stalest.
    map.delete(key);
    map.set(key, f);
    return f;
  }

  /** Makes room: drops the oldest tenth, but never an entry still locked. */
  private evict(map: Map<string, Failures>, now: number): void {
    let drop = Math.max(1, map.size >> 3);
    for (const [k, f] of map) {
      if (drop === 0) break;
      if (f.lockedUntil > now) continue;
      map.delete(k);
      drop--;
    }
    // Everything locked (a huge distributed attack): drop the oldest anyway, the table stays bounded.
    if (map.size >= this.maxTracked) {
      const first = map.keys().next();
      if (first.done !== true) map.delete(first.value);
    }
  }
}

/** The limiter's key for a client address: IPv4 as written canonically, IPv6 as its /64. */
export function clientKey(address: string): string {
  const ip = parseIp(address);
  if (ip === undefined) return address;
  const w = ip.words;
  if (!ip.v6) return `${w[3] >>> 24}.${(w[3] >>> 16) & 255}.${(w[3] >>> 8) & 255}.${w[3] & 255}`;
  const g = (x: number): string => `${(x >>> 16).toString(16)}:${(x & 0xffff).toString(16)}`;
  return `${g(w[0])}:${g(w[1])}::/64`;
}
