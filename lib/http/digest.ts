// HTTP Digest (MD5) for /arawman, /amxml, /amanager (spec §2.5): no cookie, the Authorization
// header authenticates each request and names the session through its nonce.
//
// As Asterisk: realm `asterisk`, `WWW-authenticate: Digest algorithm=MD5, realm=…, nonce=…,
// qop="auth", opaque=<nonce>[, stale=true]`; HA2 uses the digest's own `uri=`; a nonce older than
// 62 s or a non-increasing nc gets a new nonce with stale=true, and the session follows the new
// nonce; the user's ACL is checked on every request (403); digest sessions start with events off
// until their first WaitEvent.
// Deliberate differences: only nonces this process issued are accepted (Asterisk accepts any
// client-chosen nonce as a new session id); nonces are 128-bit and HMAC-signed, not 32-bit random;
// the session id is not the nonce, so a cookie cannot name a digest session; the user's
// eventfilters are applied (Asterisk skips them for digest sessions, spec §6).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { User } from '../auth/types.ts';
import { safeEqual } from '../auth/md5.ts';
import { Cursor } from '../events/cursor.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Session } from '../session/session.ts';
import type { SessionStore } from '../session/store.ts';
import type { AuthLimiter } from '../auth/limiter.ts';

export const DIGEST_REALM = 'asterisk';
/** Asterisk renews a nonce this long after it was issued. */
export const NONCE_LIFETIME_MS = 62_000;

export interface DigestAuth {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop: string;
  nc: string;
  cnonce: string;
}

/** Parses `Digest k="v", k=v, …`; undefined for any other scheme or a malformed header. */
export function parseDigest(header: string): DigestAuth | undefined {
  const m = /^\s*digest\s+/i.exec(header);
  if (m === null) return undefined;
  const f: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/y;
  re.lastIndex = m[0].length;
  while (re.lastIndex < header.length) {
    const kv = re.exec(header);
    if (kv === null) return undefined;
    f[kv[1]!.toLowerCase()] = kv[2] !== undefined ? kv[2].replace(/\\(.)/g, '$1') : kv[3]!;
  }
  if (!f.username || !f.nonce || !f.response || f.uri === undefined) return undefined;
  return {
    username: f.username,
    realm: f.realm ?? '',
    nonce: f.nonce,
    uri: f.uri,
    response: f.response,
    qop: f.qop ?? '',
    nc: f.nc ?? '',
    cnonce: f.cnonce ?? '',
  };
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** The expected `response=` for a user's secret (RFC 2617 with qop=auth, RFC 2069 without). */
export function digestResponse(a: DigestAuth, secret: string, method: string, realm = DIGEST_REALM): string {
  const ha1 = md5(`${a.username}:${realm}:${secret}`);
  const ha2 = md5(`${method}:${a.uri}`);
  return a.qop === '' ? md5(`${ha1}:${a.nonce}:${ha2}`) : md5(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`);
}

export function wwwAuthenticate(nonce: string, stale: boolean, realm = DIGEST_REALM): string {
  return `Digest algorithm=MD5, realm="${realm}", nonce="${nonce}", qop="auth", opaque="${nonce}"${stale ? ', stale=true' : ''}`;
}

/** One digest session: which session a nonce names, and the replay counter. */
class DigestState {
  readonly session: Session;
  readonly user: User;
  /** The nonce in use; an older one only earns a stale=true. */
  nonce: string;
  nc: number;

  constructor(session: Session, user: User, nonce: string) {
    this.session = session;
    this.user = user;
    this.nonce = nonce;
    this.nc = 0;
  }
}

export type DigestOutcome =
  | { kind: 'ok'; session: Session }
  /** A session cap was hit: answer `message` as an AMI error on a session that is not kept. */
  | { kind: 'full'; message: string }
  | { kind: 'unauthorized'; nonce: string; stale: boolean }
  | { kind: 'forbidden' };

const NONCE_TS_HEX = 12;
const NONCE_MAC_HEX = 20;
const NONCE_RE = /^[0-9a-f]{32}$/;

export class DigestSessions {
  private readonly key: Buffer;
  private readonly byNonce: Map<string, DigestState>;
  private readonly store: SessionStore;
  private readonly users: ReadonlyMap<string, User>;
  private readonly log: EventLog;
  private readonly limiter: AuthLimiter | undefined;

  constructor(store: SessionStore, users: ReadonlyMap<string, User>, log: EventLog, limiter?: AuthLimiter) {
    this.key = randomBytes(32);
    this.byNonce = new Map();
    this.store = store;
    this.users = users;
    this.log = log;
    this.limiter = limiter;
  }

  /** `<issued ms, 12 hex><hmac, 20 hex>`: verifiable and datable without keeping state. */
  newNonce(now = Date.now()): string {
    const ts = now.toString(16).padStart(NONCE_TS_HEX, '0');
    return ts + createHmac('sha256', this.key).update(ts).digest('hex').slice(0, NONCE_MAC_HEX);
  }

  /** Issue time of a nonce we made, or -1. */
  private issuedAt(nonce: string): number {
    if (!NONCE_RE.test(nonce)) return -1;
    const ts = nonce.slice(0, NONCE_TS_HEX);
    const mac = createHmac('sha256', this.key).update(ts).digest('hex').slice(0, NONCE_MAC_HEX);
    return safeEqual(mac, nonce.slice(NONCE_TS_HEX)) ? parseInt(ts, 16) : -1;
  }

  /**
   * Before a digest is checked: waits for its user's turn (the per-user slow-down, serialized, as
   * Login's; lib/auth/limiter.ts); false when that user's queue is full (answer 401 at once).
   */
  turn(header: string, address: string): Promise<boolean> | true {
    const l = this.limiter;
    if (l === undefined || l.quiet()) return true;
    const a = parseDigest(header);
    return a === undefined ? true : l.waitTurn(address, a.username);
  }

  /**
   * Authenticates one request. On 'ok' the session is open (in flight) and must be released with
   * store.release after the reply, like a cookie session.
   */
  authorize(header: string, method: string, address: string, now = Date.now()): DigestOutcome {
    const a = parseDigest(header);
    const fresh = (): DigestOutcome => ({ kind: 'unauthorized', nonce: this.newNonce(now), stale: false });
    if (a === undefined) return fresh();
    // A locked-out address gets a plain 401 whatever it sends (brute force, lib/auth/limiter.ts).
    if (this.limiter?.check(address, a.username).locked === true) return fresh();
    const user = this.users.get(a.username.toLowerCase());
    if (user === undefined || user.secret === undefined) return this.failed(address, a.username, fresh);
    if (!user.allows(address)) return { kind: 'forbidden' };
    if (!safeEqual(digestResponse(a, user.secret, method), a.response.toLowerCase())) return this.failed(address, a.username, fresh);
    const issued = this.issuedAt(a.nonce);
    if (issued === -1) return fresh();

    let st = this.byNonce.get(a.nonce);
    if (st !== undefined && (st.user !== user || this.store.find(st.session.id) === undefined)) {
      // Logged off, expired, or another user's nonce: start over.
      this.forget(st);
      st = undefined;
    }
    if (st !== undefined && st.nonce !== a.nonce) {
      return { kind: 'unauthorized', nonce: st.nonce, stale: true };
    }
    const nc = a.qop === '' ? st === undefined ? 0 : st.nc + 1 : parseInt(a.nc, 16);
    if (now - issued > NONCE_LIFETIME_MS || (st !== undefined && !(nc > st.nc))) {
      const next = this.newNonce(now);
      if (st !== undefined) {
        st.nonce = next;
        st.nc = 0;
        this.byNonce.set(next, st);
      }
      return { kind: 'unauthorized', nonce: next, stale: true };
    }
    if (st === undefined) {
      const s = this.openNew(user, address);
      if (typeof s === 'string') return { kind: 'full', message: s };
      // A digest login: this address becomes one of the user's places (skips its slow-down).
      this.limiter?.recordSuccess(address, user.name);
      st = new DigestState(s, user, a.nonce);
      this.byNonce.set(a.nonce, st);
      this.sweep();
    } else {
      this.store.open(st.session.id, address);
    }
    st.nc = Number.isFinite(nc) ? nc : st.nc + 1;
    // Asterisk resets a digest session's timer before the action runs (WaitEvent's cap follows).
    st.session.expiresAt = now + this.store.httptimeout * 1000;
    return { kind: 'ok', session: st.session };
  }

  /** A wrong digest (unknown user or response): counted by the limiter, answered with a new nonce. */
  private failed(address: string, username: string, fresh: () => DigestOutcome): DigestOutcome {
    this.limiter?.recordFailure(address, username, 'digest');
    return fresh();
  }

  /** A new authenticated session for a digest user (no Login action runs). */
  private openNew(user: User, address: string): Session | string {
    const s = this.store.transient(address);
    const full = this.store.admitLogin(s, user.name);
    if (full !== undefined) return full;
    s.inFlight++;
    s.user = user;
    s.authenticated = true;
    s.readPerm = user.read;
    s.writePerm = user.write;
    // Events start off (new design); the first WaitEvent turns them on from that moment.
    s.eventMask = 0;
    s.filters = user.eventFilters.slice();
    s.cursor = new Cursor(this.log, user.serverMask);
    return s;
  }

  private forget(st: DigestState): void {
    for (const [n, v] of this.byNonce) if (v === st) this.byNonce.delete(n);
  }

  /** Drops entries whose session is gone; amortised over new registrations. */
  private sweep(): void {
    if (this.byNonce.size < 64 || (this.byNonce.size & 63) !== 0) return;
    for (const [n, st] of this.byNonce) if (this.store.find(st.session.id) === undefined) this.byNonce.delete(n);
  }

  get size(): number {
    return this.byNonce.size;
  }
}
