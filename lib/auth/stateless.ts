// Stateless authentication: `Authorization: Bearer <token>` (any user with `token = sha256:…`
// lines) and, with `[general] allowbasic = yes`, `Authorization: Basic` with the user's secret.
// One header authenticates one request: no session is stored, no cookie is set (load tools, cron
// scripts). Every endpoint calls authenticateHeader; the JSON/WebSocket/SSE endpoints may too.
//
// - Token lookup is by the token's SHA-256 in a Map, then confirmed with timingSafeEqual: the Map's
//   timing can only tell an attacker whether the hash of what they sent is known, which needs a
//   SHA-256 preimage to use. Basic checks the secret as Login does (verifySecret: plain or sha256:,
//   constant time).
// - The user's ACL applies to the client address (the forwarded one behind a trusted proxy); a
//   refusal is a failed login like a wrong token.
// - The proxy's own AMI login names (every server's) are never accepted, whatever the users file says.
// - The client address is decoded only when something needs it (a user with permit/deny rules, a
//   limiter with a failure within its window or longest lockout, a failure): decoding it from uWS
//   costs more than the whole check.
// - Every failure counts as a failed login for the brute-force limiter (lib/auth/limiter.ts); an
//   address it has locked is refused at once, whatever the credentials. Its per-user slow-down
//   (serialized turns, basicTurn) applies to Basic attempts on the AJAM endpoints before the secret
//   is checked; /ws and /events answer at the upgrade and cannot wait, so there an attempt that
//   would wait is refused unchecked (basicTurnNow). A bearer token names no user until it matches.
import { timingSafeEqual } from 'node:crypto';
import type { User } from './types.ts';
import type { AuthLimiter } from './limiter.ts';
import { safeEqual } from './md5.ts';
import { verifySecret } from './secret.ts';
import { tokenHash } from './tokens.ts';
import { addressOf, type ClientAddress } from '../session/types.ts';
import { DEFAULTS } from '../config/defaults.ts';

export interface StatelessAuthOptions {
  /** Users by lower-case name. */
  users: ReadonlyMap<string, User>;
  /** `[general] allowbasic`: accept `Authorization: Basic` with the user's secret. */
  allowBasic: boolean;
  /** The proxy's own AMI usernames (one per Asterisk server): never an HTTP login. */
  amiUsernames: readonly string[];
  limiter?: AuthLimiter;
  /** Delay before a failure is answered (default 1000 ms, as a failed Login). */
  failDelayMs?: number;
}

/** The user, 'invalid' (answer 401), or undefined (no Bearer/accepted Basic credentials: not ours). */
export type StatelessOutcome = User | 'invalid' | undefined;

/** authenticate()'s answer: as StatelessOutcome, plus how long to hold a refusal back. */
export type StatelessResult =
  | { kind: 'none' }
  | { kind: 'ok'; user: User }
  /** delayMs: 0 for a locked address (refused at once), else the failure delay to apply. */
  | { kind: 'invalid'; delayMs: number };

const NONE: StatelessResult = { kind: 'none' };

// Username logged for a bearer failure: the token names nobody until it matches.
const BEARER_USER = '(bearer token)';
// A locked address is refused at once (as Login), nothing checked.
const LOCKED: StatelessResult = { kind: 'invalid', delayMs: 0 };

/** An `Authorization: Basic …` header (scheme case-insensitive). */
export function isBasic(authorization: string): boolean {
  return authorization.length > 6 && authorization.charCodeAt(5) === 32 && authorization.slice(0, 5).toLowerCase() === 'basic';
}

/**
 * The user name and secret of a Basic credential: standard-alphabet base64 of `name:secret` with a
 * non-empty name; undefined when it is not that. The one reading of a Basic header, for the
 * slow-down's turn (which user) and for the check itself.
 */
function decodeBasic(b64: string): { name: string; secret: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon <= 0 ? undefined : { name: text.slice(0, colon), secret: text.slice(colon + 1) };
}

/** A `token = sha256:…` line's user, its digest, and the answer a match gives (built once). */
interface TokenEntry {
  user: User;
  hash: Buffer;
  ok: StatelessResult;
}

/** Tokens remembered after a match (see `recent`); past it the memory starts over. */
const MAX_RECENT_TOKENS = 1024;

export class StatelessAuth {
  readonly allowBasic: boolean;
  private readonly users: ReadonlyMap<string, User>;
  private readonly byHash: Map<string, TokenEntry>;
  /**
   * Tokens that matched, by the exact text sent: a load tool or script sends the same one on every
   * request, and this skips its SHA-256 (the larger part of a bearer check). Only tokens that
   * matched get in, so a stranger cannot fill it; bounded by MAX_RECENT_TOKENS; emptied by
   * usersChanged (SIGHUP), so a removed token stops at once. A lookup compares the text only when
   * V8's seeded string hash already matched, so its timing says nothing about a token's bytes.
   */
  private readonly recent: Map<string, TokenEntry>;
  private readonly amiUsernames: ReadonlySet<string>;
  private readonly limiter: AuthLimiter | undefined;
  /** The delay of an ordinary failure (a failed Login's, default 1 s). */
  readonly failDelayMs: number;

  constructor(opts: StatelessAuthOptions) {
    this.allowBasic = opts.allowBasic;
    this.users = opts.users;
    this.amiUsernames = new Set(opts.amiUsernames.filter((n) => n !== '').map((n) => n.toLowerCase()));
    this.limiter = opts.limiter;
    this.failDelayMs = opts.failDelayMs ?? DEFAULTS.loginFailDelayMs;
    this.byHash = new Map();
    this.recent = new Map();
    this.usersChanged();
  }

  /**
   * Rebuilds the token table from the users map (call after a reload changed it in place): a
   * removed `token` line stops working at once, a new one starts.
   */
  usersChanged(): void {
    this.byHash.clear();
    this.recent.clear();
    for (const user of this.users.values()) {
      if (this.reserved(user)) continue;
      const ok: StatelessResult = { kind: 'ok', user };
      for (const hex of user.tokenHashes ?? []) this.byHash.set(hex, { user, hash: Buffer.from(hex, 'hex'), ok });
    }
  }

  /** Tokens remembered after a match (at most MAX_RECENT_TOKENS). */
  get rememberedTokens(): number {
    return this.recent.size;
  }

  /**
   * Authenticates one request from its `Authorization` header ('' when absent) and client address
   * (the forwarded one behind a trusted proxy). Other schemes (Digest), an absent header, and Basic
   * while allowbasic is off give undefined: the request is not a stateless one. On 'invalid' the
   * caller answers 401 (JSON/WebSocket/SSE endpoints: their own refusal) and stores nothing.
   */
  authenticateHeader(authorization: string, address: ClientAddress): StatelessOutcome {
    const r = this.authenticate(authorization, address);
    return r.kind === 'ok' ? r.user : r.kind === 'invalid' ? 'invalid' : undefined;
  }

  /** As authenticateHeader, with the delay a refusal should be answered after. */
  authenticate(authorization: string, address: ClientAddress): StatelessResult {
    if (authorization.length < 5) return NONE;
    // The usual spelling first, without lower-casing a copy of the scheme.
    if (authorization.startsWith('Bearer ')) return this.bearer(authorization.slice(7).trim(), address);
    // `Bearer` with nothing after it (trailing blanks are trimmed by the server) is a bearer attempt.
    const space = authorization.indexOf(' ');
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    const credentials = space === -1 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer') return this.bearer(credentials, address);
    if (scheme === 'basic' && this.allowBasic) return this.basic(credentials, address);
    return NONE;
  }

  /**
   * Before a Basic attempt is checked: waits for the user's turn (the per-user slow-down,
   * lib/auth/limiter.ts); false when that user's queue is full (answer 401 at once). Read the
   * client address before calling: the wait outlives the request's callback.
   */
  async basicTurn(authorization: string, address: ClientAddress): Promise<boolean> {
    const name = this.basicUser(authorization);
    return name === undefined || this.limiter!.waitTurn(addressOf(address), name);
  }

  /**
   * basicTurn for the push endpoints, which answer at the upgrade and cannot wait: false (refuse
   * at once, unchecked) when a Basic attempt would have to wait for its user's turn.
   */
  basicTurnNow(authorization: string, address: ClientAddress): boolean {
    const name = this.basicUser(authorization);
    return name === undefined || this.limiter!.turnFreeNow(addressOf(address), name);
  }

  /** The user a Basic attempt names, when the per-user slow-down applies to it. */
  private basicUser(authorization: string): string | undefined {
    if (!this.allowBasic || !this.watching() || !isBasic(authorization)) return undefined;
    return decodeBasic(authorization.slice(6).trim())?.name;
  }

  private bearer(token: string, address: ClientAddress): StatelessResult {
    if (this.watching() && this.limiter!.check(addressOf(address), BEARER_USER).locked) return LOCKED;
    let entry = this.recent.get(token);
    if (entry === undefined) {
      const hex = tokenHash(token);
      entry = this.byHash.get(hex);
      if (entry === undefined || !timingSafeEqual(entry.hash, Buffer.from(hex, 'hex'))) return this.fail(address, BEARER_USER, 'bearer', 0);
      if (this.recent.size >= MAX_RECENT_TOKENS) this.recent.clear();
      this.recent.set(token, entry);
    }
    // The user's ACL and the limiter are checked on every request, remembered token or not.
    if (entry.user.allowsEveryAddress === true && !this.watching()) return entry.ok;
    return this.admit(entry.user, address, 'bearer');
  }

  private basic(b64: string, address: ClientAddress): StatelessResult {
    // Strict base64 (RFC 7617 uses the standard alphabet, padded); anything else is a failed attempt.
    const credentials = b64.length % 4 === 0 ? decodeBasic(b64) : undefined;
    if (credentials === undefined) return this.fail(address, '', 'basic', 0);
    const { name, secret } = credentials;
    if (this.watching() && this.limiter!.check(addressOf(address), name).locked) return LOCKED;
    // The per-user slow-down was waited for before the check (basicTurn; basicTurnNow on /ws, /events).
    const user = this.users.get(name.toLowerCase());
    const known = user !== undefined && !this.reserved(user);
    // Compare even for an unknown user, so the reply time does not tell which names exist.
    if (!known) {
      safeEqual(secret, secret);
      return this.fail(address, name, 'basic', 0);
    }
    // Plain or `sha256:` secret, as Login (lib/auth/secret.ts); no secret at all never passes.
    if (!verifySecret(user, secret)) return this.fail(address, name, 'basic', 0);
    return this.admit(user, address, 'basic');
  }

  private admit(user: User, address: ClientAddress, how: string): StatelessResult {
    if (user.allowsEveryAddress !== true && !user.allows(addressOf(address))) return this.fail(address, user.name, how, 0);
    if (this.watching()) this.limiter!.recordSuccess(addressOf(address), user.name);
    return { kind: 'ok', user };
  }

  /** Whether the limiter may hold a lock or a live count (else check and recordSuccess are no-ops). */
  private watching(): boolean {
    const l = this.limiter;
    return l !== undefined && !l.quiet();
  }

  private fail(address: ClientAddress, username: string, how: string, slowDownMs: number): StatelessResult {
    this.limiter?.recordFailure(addressOf(address), username, how);
    return { kind: 'invalid', delayMs: Math.max(this.failDelayMs, slowDownMs) };
  }

  private reserved(user: User): boolean {
    return this.amiUsernames.has(user.name.toLowerCase());
  }
}
