// One AJAM request, from uWS callback to written reply: copy what we need out of `req` at once,
// register onAborted before anything async, read a form body with a cap, open the session (a
// stateless one for `Authorization: Bearer`/`Basic`; else named by the cookie, or a new one; on the
// digest endpoints by the Digest header), run the action, format the AMI output, write it corked,
// and only then commit the WaitEvent cursor.
import type { Session } from '../session/session.ts';
import type { SessionStore } from '../session/store.ts';
import type { ActionResult, ClientAddress } from '../session/types.ts';
import { sessionIdFromCookies } from '../session/cookie.ts';
import { error as amiError } from '../session/replies.ts';
import { CONTENT_TYPE, cookieAttributes, setCookieValue } from '../format/http.ts';
import { rawman } from '../format/rawman.ts';
import { ajaxTarget, mxml } from '../format/mxml.ts';
import { html, htmlDigest } from '../format/html.ts';
import { jsonOutput } from '../format/push.ts';
import { cachedBody } from './reply-format.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { isBasic, type StatelessAuth } from '../auth/stateless.ts';
import type { User } from '../auth/types.ts';
import type { EventLog } from '../events/event-log.ts';
import { statelessSession } from '../session/stateless.ts';
import { log } from '../log.ts';
import { DEFAULTS } from '../config/defaults.ts';
import type { AddressThrottle } from '../auth/throttle.ts';
import { remoteAddress, type HttpResponse } from './uws.ts';
import type { TrustedProxies } from './forwarded.ts';
import { CACHE_CONTROL, HeaderBlock, joinHeaders, sendBlock } from './reply.ts';
import {
  ROUTE_AJSON,
  ROUTE_AMANAGER,
  ROUTE_AMXML,
  ROUTE_ARAWMAN,
  ROUTE_JSON,
  ROUTE_MANAGER,
  ROUTE_MXML,
  ROUTE_RAWMAN,
  isFormContentType,
  parseParams,
  MAX_BODY,
} from './request.ts';
import type { Param } from './request.ts';
import { sendError, sendUnauthorized } from './error-pages.ts';
import { DIGEST_REALM, wwwAuthenticate } from './digest.ts';
import type { DigestSessions } from './digest.ts';
import { STATUS_CLIENT_CLOSED, type Endpoint, type Metrics } from '../metrics.ts';

/** What the HTTP layer needs from lib/session/dispatch.ts (structural, so tests may pass their own). */
export interface AjamDispatcher {
  handle(
    session: Session,
    pairs: ReadonlyArray<readonly [string, string]>,
    client: ClientAddress,
  ): ActionResult | Promise<ActionResult>;
}

export type AjamRoute =
  | typeof ROUTE_RAWMAN
  | typeof ROUTE_MXML
  | typeof ROUTE_MANAGER
  | typeof ROUTE_ARAWMAN
  | typeof ROUTE_AMXML
  | typeof ROUTE_AMANAGER
  | typeof ROUTE_JSON
  | typeof ROUTE_AJSON;

function isDigestRoute(route: AjamRoute): boolean {
  return route === ROUTE_ARAWMAN || route === ROUTE_AMXML || route === ROUTE_AMANAGER || route === ROUTE_AJSON;
}

/** /json and /ajson (not Asterisk's). */
export const JSON_CONTENT_TYPE = 'application/json';

// Stands for the session id while the cookie routes' blocks are built (never a valid id).
const ID_MARK = '\0id\0';

/**
 * One route's reply headers, prebuilt as a HeaderBlock: Server, Cache-Control, Content-type, then
 * on the cookie routes Set-Cookie and Pragma (the digest routes send neither, as Asterisk). Only
 * the session id varies, so a cookie route keeps the bytes before and after it.
 */
class RouteHeaders {
  readonly key: Buffer;
  /** The whole value (digest routes), or the part before the session id (cookie routes). */
  readonly head: Buffer;
  /** The part after the session id; null on the digest routes. */
  readonly tail: Buffer | null;
  /** The digest routes' block (nothing varies). */
  readonly fixed: HeaderBlock | null;
  /** Cookie routes: each session's block, built at its first reply on this route. */
  private readonly perSession: WeakMap<Session, HeaderBlock>;

  constructor(servername: string, contentType: string, cookieAttributes: string | null) {
    const h: string[] = [];
    if (servername !== '') h.push('Server', servername);
    h.push('Cache-Control', CACHE_CONTROL, 'Content-type', contentType);
    if (cookieAttributes !== null) h.push('Set-Cookie', setCookieValue(ID_MARK, cookieAttributes), 'Pragma', 'SuppressEvents');
    const { key, value } = joinHeaders(h);
    this.key = Buffer.from(key, 'latin1');
    if (cookieAttributes === null) {
      this.head = Buffer.from(value, 'utf8');
      this.tail = null;
      this.fixed = new HeaderBlock(this.key, this.head);
    } else {
      const at = value.indexOf(ID_MARK);
      this.head = Buffer.from(value.slice(0, at), 'utf8');
      this.tail = Buffer.from(value.slice(at + ID_MARK.length), 'utf8');
      this.fixed = null;
    }
    this.perSession = new WeakMap();
  }

  /** The block for a reply on `session` (its id is the store's hex, trusted as is). */
  block(session: Session): HeaderBlock {
    if (this.fixed !== null) return this.fixed;
    // A session never stored (a request without a valid cookie) replies once: nothing to keep.
    if (!session.stored) return this.build(session.id, false);
    let b = this.perSession.get(session);
    if (b === undefined) {
      b = this.build(session.id, true);
      this.perSession.set(session, b);
    }
    return b;
  }

  private build(id: string, kept: boolean): HeaderBlock {
    const head = this.head;
    const tail = this.tail!;
    // A kept block gets its own memory, not a slice of Node's shared pool (it lives as long as the
    // session); a one-off block takes the pool's, freed with the reply.
    const size = head.length + id.length + tail.length;
    const out = kept ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
    head.copy(out, 0);
    out.write(id, head.length, 'latin1');
    tail.copy(out, head.length + id.length);
    return new HeaderBlock(this.key, out);
  }
}

/** Stateless authentication (Bearer / Basic) for every AJAM endpoint. */
export interface StatelessOptions {
  auth: StatelessAuth;
  /** The event log a stateless request's WaitEvent reads from. */
  log: EventLog;
}

/** The route whose headers a stateless reply uses: same format, no Set-Cookie (digest routes' blocks). */
function cookielessRoute(route: AjamRoute): AjamRoute {
  if (route === ROUTE_JSON) return ROUTE_AJSON;
  return route === ROUTE_RAWMAN ? ROUTE_ARAWMAN : route === ROUTE_MXML ? ROUTE_AMXML : route === ROUTE_MANAGER ? ROUTE_AMANAGER : route;
}

/** Built once per server from the config. */
export class AjamContext {
  readonly store: SessionStore;
  readonly dispatcher: AjamDispatcher;
  readonly servername: string;
  readonly cookieAttributes: string;
  /** Digest endpoint sessions; undefined serves no digest endpoint. */
  readonly digest: DigestSessions | undefined;
  /** Per route: its reply headers. */
  readonly headers: ReadonlyArray<RouteHeaders>;
  /** The same over HTTPS (TLS listener, or X-Forwarded-Proto: https from a trusted proxy): the cookie is `Secure`. */
  readonly secureHeaders: ReadonlyArray<RouteHeaders>;
  /** Bearer/Basic; undefined: Authorization is only read on the digest endpoints. */
  readonly stateless: StatelessOptions | undefined;
  /** Peers whose X-Forwarded-For/-Proto are believed; undefined: nobody's. */
  readonly trust: TrustedProxies | undefined;
  /** The 401 challenge of a failed Bearer/Basic request. */
  readonly statelessChallenge: string;
  /**
   * Requests running on a stateless session (Bearer/Basic), so a users reload can end revoked ones.
   * An array with swap-remove (each request knows its index): a Set of request objects gave each
   * one a hash, which cost bearer requests about 2 µs of CPU each (bench:ajam, c = 10 and 50).
   */
  readonly statelessOpen: AjamRequest[];
  readonly metrics: Metrics | undefined;
  /** Budget of requests without a valid session, per address (undefined: unlimited). */
  readonly throttle: AddressThrottle | undefined;
  /** `requesttimeout`: a POST body must arrive within this of its headers (ms). */
  readonly bodyTimeoutMs: number;
  /** Shutting down: new requests get 503 and `Connection: close`. */
  draining: boolean;
  /** Requests started and not yet answered (or given up by their client). */
  active: number;
  private idleWaiters: Array<() => void>;

  constructor(
    store: SessionStore,
    dispatcher: AjamDispatcher,
    servername: string,
    prefix: string,
    digest?: DigestSessions,
    extra: {
      stateless?: StatelessOptions;
      trust?: TrustedProxies;
      metrics?: Metrics | undefined;
      throttle?: AddressThrottle | undefined;
      bodyTimeoutMs?: number | undefined;
    } = {},
  ) {
    this.metrics = extra.metrics;
    this.bodyTimeoutMs = extra.bodyTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.throttle = extra.throttle;
    this.draining = false;
    this.active = 0;
    this.idleWaiters = [];
    this.store = store;
    this.dispatcher = dispatcher;
    this.servername = servername;
    this.digest = digest;
    this.stateless = extra.stateless;
    this.trust = extra.trust;
    this.statelessOpen = [];
    this.statelessChallenge = `Bearer realm="${DIGEST_REALM}"${extra.stateless?.auth.allowBasic === true ? `, Basic realm="${DIGEST_REALM}"` : ''}`;
    this.cookieAttributes = cookieAttributes(store.httptimeout, prefix);
    this.headers = routeHeaders(servername, this.cookieAttributes);
    this.secureHeaders = routeHeaders(servername, this.cookieAttributes + '; Secure');
  }

  /** Resolves once `active` is 0. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** One request is over: count it, and wake idle() waiters when it was the last. */
  /**
   * After a users reload: ends the stateless sessions whose user's credentials, classes, servers or
   * ACL changed (`keeps` says no), so a parked WaitEvent of a revoked token answers now, with what
   * it had, instead of waiting for events up to its timeout.
   */
  endRevokedStateless(keeps: (user: User, address: string) => boolean): void {
    for (const r of this.statelessOpen.slice()) {
      const s = r.stateless;
      if (r.aborted || s === null || s.user === undefined) continue;
      if (!keeps(s.user, r.address)) this.store.destroy(s);
    }
  }

  finished(r: AjamRequest, status: number): void {
    if (r.done) return;
    r.done = true;
    if (r.openAt !== -1) {
      const open = this.statelessOpen;
      const last = open.pop()!;
      if (last !== r) {
        open[r.openAt] = last;
        last.openAt = r.openAt;
      }
      r.openAt = -1;
    }
    const m = this.metrics;
    if (m !== undefined) m.request(ENDPOINT[r.route], status, r.start, performance.now());
    if (--this.active === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}

function routeHeaders(servername: string, attrs: string): RouteHeaders[] {
  const headers: RouteHeaders[] = [];
  headers[ROUTE_RAWMAN] = new RouteHeaders(servername, CONTENT_TYPE.rawman, attrs);
  headers[ROUTE_MXML] = new RouteHeaders(servername, CONTENT_TYPE.mxml, attrs);
  headers[ROUTE_MANAGER] = new RouteHeaders(servername, CONTENT_TYPE.manager, attrs);
  headers[ROUTE_ARAWMAN] = new RouteHeaders(servername, CONTENT_TYPE.rawman, null);
  headers[ROUTE_AMXML] = new RouteHeaders(servername, CONTENT_TYPE.mxml, null);
  headers[ROUTE_AMANAGER] = new RouteHeaders(servername, CONTENT_TYPE.manager, null);
  headers[ROUTE_JSON] = new RouteHeaders(servername, JSON_CONTENT_TYPE, attrs);
  headers[ROUTE_AJSON] = new RouteHeaders(servername, JSON_CONTENT_TYPE, null);
  return headers;
}
const ENDPOINT: Record<AjamRoute, Endpoint> = {
  [ROUTE_RAWMAN]: 'rawman',
  [ROUTE_MXML]: 'mxml',
  [ROUTE_MANAGER]: 'manager',
  [ROUTE_ARAWMAN]: 'arawman',
  [ROUTE_AMXML]: 'amxml',
  [ROUTE_AMANAGER]: 'amanager',
  [ROUTE_JSON]: 'json',
  [ROUTE_AJSON]: 'ajson',
};

const INTERNAL_ERROR = 'Internal error';

/** Per-request state; every field set in the constructor. */
class AjamRequest {
  readonly ctx: AjamContext;
  readonly res: HttpResponse;
  readonly route: AjamRoute;
  readonly method: string;
  readonly head: boolean;
  readonly cookie: string;
  readonly authorization: string;
  /** HTTPS as the client sees it (TLS listener, or a trusted proxy's X-Forwarded-Proto). */
  secure: boolean;
  /** The client address once decoded (see `address`); set up front behind a trusted proxy. */
  addr: string | null;
  /** The session of a stateless request (ended when the client goes away). */
  stateless: Session | null;
  /** Index in AjamContext.statelessOpen while the request runs on a stateless session, else -1. */
  openAt: number;
  aborted: boolean;
  /** Body chunks (POST) and their total size; `failed` once the body was refused. */
  chunks: Buffer[];
  bodySize: number;
  failed: boolean;
  /** The body's deadline (requesttimeout), while it is still coming. */
  bodyTimer: NodeJS.Timeout | undefined;
  /** performance.now() at arrival (0 when metrics are off). */
  readonly start: number;
  /** The body was read and the action started (run() answers from then on). */
  running: boolean;
  /** Counted as finished (AjamContext.finished). */
  done: boolean;

  constructor(ctx: AjamContext, res: HttpResponse, route: AjamRoute, info: AjamRequestInfo) {
    this.ctx = ctx;
    this.res = res;
    this.route = route;
    this.method = info.method;
    this.head = info.method === 'HEAD';
    this.cookie = info.cookie;
    this.authorization = info.authorization;
    this.secure = info.tls;
    this.addr = null;
    this.stateless = null;
    this.openAt = -1;
    this.aborted = false;
    this.chunks = [];
    this.bodySize = 0;
    this.failed = false;
    this.bodyTimer = undefined;
    this.start = info.start;
    this.running = false;
    this.done = false;
  }

  /**
   * The client address, decoded on first read: only a new session, Login's ACL and the digest
   * endpoints need it, and decoding it for every request cost about 5% of a Ping. Every reader
   * runs before run()'s first await, while `res` is still valid (the request is a ClientAddress).
   */
  get address(): string {
    let a = this.addr;
    if (a === null) a = this.addr = remoteAddress(this.res);
    return a;
  }
}

export interface AjamRequestInfo {
  method: string;
  query: string;
  cookie: string;
  /** Authorization header (Bearer/Basic anywhere, Digest on the digest endpoints). */
  authorization: string;
  contentType: string;
  /** Raw Content-Length header ('' when absent). */
  contentLength: string;
  /** X-Forwarded-For (several headers joined with commas) and X-Forwarded-Proto; '' when absent. */
  forwardedFor: string;
  forwardedProto: string;
  /** Arrived on the TLS listener. */
  tls: boolean;
  /** performance.now() at arrival, for the latency metric (0: not timed). */
  start: number;
}

/**
 * Handles a request already matched to an AJAM route with an allowed method. Everything from
 * `req` has been copied into `info` by the caller, synchronously.
 */
export function handleAjam(ctx: AjamContext, res: HttpResponse, route: AjamRoute, info: AjamRequestInfo): void {
  const r = new AjamRequest(ctx, res, route, info);
  ctx.active++;
  res.onAborted(() => {
    r.aborted = true;
    if (r.bodyTimer !== undefined) clearTimeout(r.bodyTimer);
    // A stateless request's parked WaitEvent has nobody left to answer: end it now.
    if (r.stateless !== null) ctx.store.destroy(r.stateless);
    // While the body is still coming nothing else will finish it; once running, run() does.
    if (!r.running) ctx.finished(r, STATUS_CLIENT_CLOSED);
  });
  if (ctx.draining) {
    ctx.finished(r, sendError(res, 'unavailable', ctx.servername, { head: r.head, close: true }));
    return;
  }
  const trust = ctx.trust;
  if (trust !== undefined) {
    const peer = remoteAddress(res);
    const addr = trust.clientAddress(peer, info.forwardedFor);
    if (addr === null) {
      ctx.finished(r, sendError(res, 'badForwarded', ctx.servername, { head: r.head, close: true }));
      return;
    }
    r.addr = addr;
    if (!r.secure) r.secure = trust.forwardedHttps(peer, info.forwardedProto);
  }
  if (info.method !== 'POST') {
    params(r, parseParams(info.query));
    return;
  }
  // POST: the query string is ignored (spec §1.4); the body counts only as a form.
  const cl = info.contentLength;
  if (cl !== '') {
    if (!/^[0-9]+$/.test(cl)) {
      ctx.finished(r, sendError(res, 'badContentLength', ctx.servername, { close: true }));
      return;
    }
    if (Number(cl) > MAX_BODY) {
      ctx.finished(r, sendError(res, 'bodyTooLarge', ctx.servername, { close: true }));
      return;
    }
  }
  const form = isFormContentType(info.contentType);
  // Native uWS closes a connection whose request is not in within its fixed ~10 s, without an
  // answer; this deadline is ours (shorter if configured, and answered with 408 on both layers).
  r.bodyTimer = setTimeout(bodyTimedOut, ctx.bodyTimeoutMs, r);
  res.onData((ab, isLast) => {
    if (r.aborted || r.failed) return;
    const n = ab.byteLength;
    if (r.bodySize + n > MAX_BODY) {
      // Chunked bodies have no Content-Length to check up front.
      r.failed = true;
      clearTimeout(r.bodyTimer);
      ctx.finished(r, sendError(res, 'bodyTooLarge', ctx.servername, { close: true }));
      return;
    }
    // The ArrayBuffer is only valid during this callback: copy.
    if (n !== 0 && form) r.chunks.push(Buffer.from(new Uint8Array(ab)));
    r.bodySize += n;
    if (isLast) {
      clearTimeout(r.bodyTimer);
      r.bodyTimer = undefined;
      const body = r.chunks.length === 1 ? r.chunks[0]! : Buffer.concat(r.chunks);
      r.chunks = [];
      params(r, form ? parseParams(body) : []);
    }
  });
}

/** The body did not arrive within requesttimeout: 408, connection closed, nothing run. */
function bodyTimedOut(r: AjamRequest): void {
  r.bodyTimer = undefined;
  if (r.aborted || r.failed || r.running) return;
  r.failed = true;
  r.ctx.finished(r, sendError(r.res, 'bodyTimeout', r.ctx.servername, { close: true }));
}

function params(r: AjamRequest, p: Param[] | null): void {
  if (p === null) {
    r.ctx.finished(r, sendError(r.res, 'tooManyParams', r.ctx.servername, { head: r.head }));
    return;
  }
  r.running = true;
  run(r, p).catch((err: unknown) => {
    // Last resort: run() handles its own errors; this only keeps a bug from killing the process.
    log.error('request failed', { err });
    r.ctx.finished(r, 500);
  });
}

/** How long a request over its address's budget waits before its connection is closed. */
const THROTTLE_CLOSE_MS = 1000;

function closeThrottled(r: AjamRequest): void {
  if (!r.aborted) r.res.close();
}

async function run(r: AjamRequest, p: Param[]): Promise<void> {
  const { ctx } = r;
  if (r.aborted) {
    ctx.finished(r, STATUS_CLIENT_CLOSED);
    return;
  }
  const digest = isDigestRoute(r.route);
  let session: Session;
  const stateless = ctx.stateless;
  if (stateless !== undefined && stateless.auth.allowBasic && isBasic(r.authorization)) {
    // A Basic attempt waits for its user's turn (per-user slow-down); the address is read first,
    // while `res` is valid. A full queue: 401 at once, nothing checked.
    void r.address;
    if (!(await stateless.auth.basicTurn(r.authorization, r))) {
      ctx.finished(r, r.aborted ? STATUS_CLIENT_CLOSED : sendUnauthorized(r.res, ctx.servername, ctx.statelessChallenge, r.head));
      return;
    }
    if (r.aborted) {
      ctx.finished(r, STATUS_CLIENT_CLOSED);
      return;
    }
  }
  const who = stateless === undefined || r.authorization === '' ? undefined : stateless.auth.authenticate(r.authorization, r);
  if (who !== undefined && who.kind === 'invalid') {
    // As a failed Login: answered after the delay (a timer, no slot held; none when the address
    // is locked out), nothing stored.
    if (who.delayMs > 0) await delay(who.delayMs);
    ctx.finished(r, r.aborted ? STATUS_CLIENT_CLOSED : sendUnauthorized(r.res, ctx.servername, ctx.statelessChallenge, r.head));
    return;
  }
  if (who !== undefined && who.kind === 'ok') {
    // The address only if the check decoded it (behind a trusted proxy it always is): nothing reads
    // it on a session that is never stored, and decoding it costs more than the check itself.
    session = r.stateless = statelessSession(who.user, r.addr ?? '', stateless!.log, ctx.store.httptimeout);
    r.openAt = ctx.statelessOpen.push(r) - 1;
  } else if (digest) {
    // The user's turn first (per-user slow-down); the address is read while `res` is valid.
    const turn = ctx.digest!.turn(r.authorization, r.address);
    if (turn !== true && !(await turn)) {
      ctx.finished(r, r.aborted ? STATUS_CLIENT_CLOSED : sendUnauthorized(r.res, ctx.servername, wwwAuthenticate(ctx.digest!.newNonce(), false), r.head));
      return;
    }
    if (r.aborted) {
      ctx.finished(r, STATUS_CLIENT_CLOSED);
      return;
    }
    const auth = ctx.digest!.authorize(r.authorization, r.method, r.address);
    if (auth.kind === 'unauthorized') {
      ctx.finished(r, sendUnauthorized(r.res, ctx.servername, wwwAuthenticate(auth.nonce, auth.stale), r.head));
      return;
    }
    if (auth.kind === 'forbidden') {
      ctx.finished(r, sendError(r.res, 'digestAcl', ctx.servername, { head: r.head }));
      return;
    }
    if (auth.kind === 'full') {
      // A session cap: the AMI error in the route's format, nothing kept.
      const session = ctx.store.transient(r.address);
      sendBlock(r.res, ctx.headers[r.route]!.block(session), format(r.route, { output: [amiError(undefined, auth.message)] }, p), r.head, undefined);
      ctx.finished(r, 200);
      return;
    }
    session = auth.session;
  } else {
    const found = ctx.store.find(sessionIdFromCookies(r.cookie));
    // No valid session: within this address's budget (unauthrate), or the connection is closed
    // without an answer after a second's wait (lib/auth/throttle.ts). The wait is a timer (it
    // holds nothing but the socket) and stops a flooder's connection from coming straight back.
    // Checked before a transient session is made: a refused junk cookie costs a lookup and a token.
    if (found === undefined && ctx.throttle !== undefined && !ctx.throttle.take(r.address)) {
      ctx.finished(r, STATUS_CLIENT_CLOSED);
      setTimeout(closeThrottled, THROTTLE_CLOSE_MS, r);
      return;
    }
    session = ctx.store.openFound(found, r);
  }
  let status = STATUS_CLIENT_CLOSED;
  try {
    let result: ActionResult;
    try {
      result = await ctx.dispatcher.handle(session, p, r);
    } catch (err) {
      // A bug, not bad input: answer like an AMI error, keep serving.
      log.error('action failed', { err });
      result = { output: [amiError(undefined, INTERNAL_ERROR)] };
    }
    if (!r.aborted) {
      const body = format(r.route, result, p);
      const route = r.stateless === null ? r.route : cookielessRoute(r.route);
      const block = (r.secure ? ctx.secureHeaders : ctx.headers)[route]!.block(session);
      sendBlock(r.res, block, body, r.head, result.commit);
      status = 200;
    }
  } catch (err) {
    // Formatting or writing failed (a bug): the client must not hang, the process must not die.
    status = 500;
    log.error('reply failed', { err });
    if (!r.aborted) {
      try {
        r.res.close();
      } catch {
        // already answered: nothing left to do
      }
    }
  } finally {
    // Always: a session left in flight would never expire; a stateless one simply ends.
    if (r.stateless !== null) ctx.store.destroy(session);
    else ctx.store.release(session);
    ctx.finished(r, status);
  }
}

function format(route: AjamRoute, result: ActionResult, p: ReadonlyArray<Param>): Buffer {
  const { output, entries } = result;
  if (route === ROUTE_RAWMAN || route === ROUTE_ARAWMAN) return rawman(output);
  if (route === ROUTE_JSON || route === ROUTE_AJSON) return cachedBody('json', output, entries) ?? jsonOutput(output);
  if (route === ROUTE_MXML || route === ROUTE_AMXML) {
    const t = ajaxTarget(p);
    return cachedBody('mxml', output, entries, t) ?? mxml(rawman(output), t.dest, t.objtype);
  }
  if (route === ROUTE_MANAGER) return cachedBody('html', output, entries) ?? html(rawman(output));
  return cachedBody('htmlDigest', output, entries) ?? htmlDigest(rawman(output));
}
