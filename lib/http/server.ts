// The uWS app: one catch-all route that checks, in Asterisk's order, the request line length,
// the method, then the path (spec §1.2-1.3), and hands the request to the AJAM, static or health
// handler. Anything else is the 404 page.
//
// Known uWS 20.30 limits (documented, not fixable from JS):
// - it only speaks HTTP/1.1 (an HTTP/1.0 request line is dropped without a reply) and requires Host;
// - methods it does not know (e.g. PROPFIND) close the connection without a reply; known methods
//   other than GET/HEAD/POST get Asterisk's 501;
// - a pipelined request arriving while an earlier response on the same connection is still pending
//   (every AJAM action is async) aborts that connection; browsers and the usual load tools do not
//   pipeline. The node:http compatibility layer (uws-compat.ts) has none of these limits;
// - raw non-UTF-8 bytes in a query string reach us as U+FFFD (percent-encoded bytes are exact).
// `/health` lives under the prefix like every other route and keeps its JSON (unchanged, for
// existing monitors); `/healthz` (alive) and `/readyz` (AMI events flowing) are the probes to use,
// `/metrics` the Prometheus scrape (allowed to `metricspermit` addresses only). `/` and `<prefix>/`
// redirect (302) to `<prefix>/static/index.html` when a static folder is served. The digest
// endpoints (/arawman, /amxml, /amanager) are served when a DigestSessions is given (lib/app.ts always gives one).
// Listeners: plain HTTP on host:port (unless `plain: false`) and HTTPS (uWS SSLApp) when `tls` is
// given; both run the same handler, an HTTPS request only differs in its cookie being `Secure`.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SessionStore } from '../session/store.ts';
import { sessionIdFromCookies } from '../session/cookie.ts';
import { log } from '../log.ts';
import type { AddressThrottle } from '../auth/throttle.ts';
import { closeListenSocket, createApp, listen, relisten, remoteAddress, uwsNative, type TlsFiles } from './uws.ts';
import { ConnectionCap } from './connection-cap.ts';
import { holdPort, releasePort } from './port-hold.ts';
import type { Server as NetServer } from 'node:net';
import type { Endpoint, Metrics } from '../metrics.ts';
import { STATUS_CLIENT_CLOSED } from '../metrics.ts';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from './uws.ts';
import {
  ROUTE_AMANAGER,
  ROUTE_AJSON,
  ROUTE_AMXML,
  ROUTE_ARAWMAN,
  ROUTE_EVENTS,
  ROUTE_HEALTH,
  ROUTE_HEALTHZ,
  ROUTE_JSON,
  ROUTE_MANAGER,
  ROUTE_METRICS,
  ROUTE_READYZ,
  ROUTE_MXML,
  ROUTE_RAWMAN,
  ROUTE_STATIC,
  ROUTE_WS,
  isAllowedMethod,
  matchRoute,
  normalizePrefix,
  requestLineTooLong,
  staticSubpath,
} from './request.ts';
import { AjamContext, handleAjam } from './ajam.ts';
import type { AjamDispatcher, AjamRequestInfo, StatelessOptions } from './ajam.ts';
import { clientAddressResolver, type TrustedProxies } from './forwarded.ts';
import { sendError } from './error-pages.ts';
import { STATUS, send } from './reply.ts';
import { isPrivatePath, readStatic, staticPathAllowed } from './static.ts';
import type { DigestSessions } from './digest.ts';
import { ListenError, probeListen } from './listen-error.ts';
import { escapeXml } from '../format/escape.ts';
import { BearerRefused, type BearerCheck, type PushContext } from './push.ts';
import type { User } from '../auth/types.ts';
import { registerWs, WS_GOING_AWAY } from './push-ws.ts';
import { SseStreams } from './push-sse.ts';
import { invalidArgument } from '../errors.ts';

const WS_NEEDS_NATIVE =
  'WebSockets need the native uWebSockets.js binary, which this Node build has none of; use /events (SSE) or /json';

export interface HealthInfo {
  /** false → /health answers 503 (e.g. no AMI connection is up). */
  ready: boolean;
  [key: string]: unknown;
}

export interface HttpServerOptions {
  /** Budget of AJAM requests without a valid session per client address (unauthrate). */
  unauthThrottle?: AddressThrottle | undefined;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** As in the config: `asterisk`, `/asterisk` or '' (no prefix). */
  prefix: string;
  /** `Server:` header and error-page address; '' omits both. */
  servername: string;
  /** Folder served under `<prefix>/static/`; undefined disables it (404). */
  staticDir?: string;
  store: SessionStore;
  dispatcher: AjamDispatcher;
  /** Serves /arawman, /amxml, /amanager (HTTP Digest); without it they are 404. */
  digest?: DigestSessions;
  /** Extra fields for /health (pool state, …). */
  health?: () => HealthInfo;
  /** Counts requests and serves `/metrics`; without it `/metrics` is 404. */
  metrics?: Metrics;
  /** Who may scrape `/metrics` (default: nobody). */
  metricsAllowed?: (address: string) => boolean;
  /** For `/readyz`: ready (200) or not, with the reason (503). Default: ready. */
  readiness?: () => Readiness;
  /** Serve plain HTTP on host:port (default true; `[general] httpenable`). */
  plain?: boolean;
  /** Serve HTTPS too (`[general] tlsenable`); port 0 picks a free one. */
  tls?: TlsFiles & { host: string; port: number };
  /** Bearer / Basic authentication on every AJAM endpoint. */
  stateless?: StatelessOptions;
  /** `[general] trustproxy`. */
  trustProxy?: TrustedProxies;
  /** Serves /ws and /events (Bearer/Basic from `stateless` apply there too); without it they are 404. */
  push?: PushContext;
  /** `maxconnections`: open HTTP(S) connections at once (lib/http/connection-cap.ts); undefined: no cap. */
  maxConnections?: number;
  /** `requesttimeout` in ms: a POST body's deadline (node:http layer: also headers and keep-alive idle). */
  requestTimeoutMs?: number;
}

interface Listener {
  readonly app: TemplatedApp;
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  socket: us_listen_socket | undefined;
  boundPort: number;
  /** The port held while the connection cap has the listen socket closed (lib/http/port-hold.ts). */
  held: NetServer | undefined;
}

export interface Readiness {
  ready: boolean;
  /** Why not ready (shown in the 503's JSON). */
  reason?: string;
  [key: string]: unknown;
}

/** The `endpoint` metric label of each route (index = RouteKind). */
const ENDPOINT_OF_ROUTE: readonly Endpoint[] = [
  'other', 'rawman', 'mxml', 'manager', 'static', 'health', 'arawman', 'amxml', 'amanager', 'metrics', 'healthz', 'readyz',
  'json', 'ajson', 'websocket', 'sse',
];
const JSON_HEADERS = ['Cache-Control', 'no-cache, no-store', 'Content-Type', 'application/json'];

// Headers copied out of the request by collectHeader; one scratch object is safe because uWS
// request handlers run synchronously and never re-enter.
const scratch = {
  cookie: '',
  authorization: '',
  /** Authorization headers seen: more than one is ambiguous (another hop may read the other). */
  authorizations: 0,
  contentType: '',
  contentLength: '',
  ifNoneMatch: '',
  forwardedFor: '',
  forwardedProto: '',
  lastEventId: '',
  /** Content-Length headers seen, and whether a Transfer-Encoding was (request smuggling checks). */
  contentLengths: 0,
  transferEncoding: false,
};

function collectHeader(key: string, value: string): void {
  // The last Cookie header wins (spec §2.1); uWS's getHeader would return the first.
  if (key === 'cookie') scratch.cookie = value;
  else if (key === 'authorization') {
    scratch.authorization = value;
    scratch.authorizations++;
  } else if (key === 'content-type') scratch.contentType = value;
  else if (key === 'content-length') {
    scratch.contentLength = value;
    scratch.contentLengths++;
  } else if (key === 'transfer-encoding') scratch.transferEncoding = true;
  else if (key === 'if-none-match') scratch.ifNoneMatch = value;
  // Several X-Forwarded-For headers are one list, in order (RFC 9110 §5.3).
  else if (key === 'x-forwarded-for') scratch.forwardedFor = scratch.forwardedFor === '' ? value : `${scratch.forwardedFor},${value}`;
  else if (key === 'x-forwarded-proto') scratch.forwardedProto = value;
  else if (key === 'last-event-id') scratch.lastEventId = value;
}

function readHeaders(req: HttpRequest): void {
  scratch.cookie = '';
  scratch.authorization = '';
  scratch.authorizations = 0;
  scratch.contentType = '';
  scratch.contentLength = '';
  scratch.ifNoneMatch = '';
  scratch.forwardedFor = '';
  scratch.forwardedProto = '';
  scratch.lastEventId = '';
  scratch.contentLengths = 0;
  scratch.transferEncoding = false;
  req.forEach(collectHeader);
}

/**
 * Framing a proxy in front could read differently (request smuggling): two Content-Length headers
 * (uWS would use the first, another server the last), or Content-Length beside Transfer-Encoding.
 * Read after readHeaders.
 */
function ambiguousFraming(): boolean {
  return scratch.contentLengths > 1 || (scratch.contentLengths === 1 && scratch.transferEncoding);
}

export class HttpServer {
  readonly options: HttpServerOptions;
  readonly prefix: string;
  readonly servername: string;
  readonly staticRoot: string | undefined;
  readonly ajam: AjamContext;
  private readonly listeners: Listener[];
  /** SSE streams, when push is served. */
  readonly sse: SseStreams | undefined;
  private closed: boolean;
  /** `maxconnections` (undefined: no cap). */
  readonly cap: ConnectionCap | undefined;

  constructor(options: HttpServerOptions) {
    this.options = options;
    this.prefix = normalizePrefix(options.prefix);
    this.servername = options.servername;
    this.staticRoot = options.staticDir === undefined ? undefined : realStaticRoot(options.staticDir);
    this.ajam = new AjamContext(options.store, options.dispatcher, options.servername, this.prefix, options.digest, {
      stateless: options.stateless,
      trust: options.trustProxy,
      metrics: options.metrics,
      throttle: options.unauthThrottle,
      bodyTimeoutMs: options.requestTimeoutMs,
    });
    this.listeners = [];
    const push = options.push;
    this.sse = push === undefined ? undefined : new SseStreams(push, options.servername, this.bearerCheck(), clientAddressResolver(options.trustProxy));
    const compat = { requestTimeoutMs: options.requestTimeoutMs, maxConnections: options.maxConnections };
    if (options.plain !== false) this.addListener(createApp(undefined, compat), false, options.host, options.port);
    const tls = options.tls;
    if (tls !== undefined) this.addListener(createApp(tls, compat), true, tls.host, tls.port);
    this.cap =
      options.maxConnections === undefined
        ? undefined
        : new ConnectionCap({
            max: options.maxConnections,
            ports: () => this.listeners.map((l) => l.boundPort),
            pause: () => this.pauseListening(),
            resume: () => this.resumeListening(),
          });
    if (this.listeners.length === 0) throw invalidArgument('HttpServer: neither plain HTTP nor TLS enabled');
    this.closed = false;
  }

  /** The client address for metricspermit (null: a malformed X-Forwarded-For, refused). */
  private metricsClient(res: HttpResponse, req: HttpRequest): string | null {
    if (this.options.trustProxy === undefined) return remoteAddress(res);
    readHeaders(req);
    return this.options.trustProxy.clientAddress(remoteAddress(res), scratch.forwardedFor);
  }

  /** Bearer (and, with allowbasic, Basic) for /ws and /events: the same check as the AJAM endpoints. */
  private bearerCheck(): BearerCheck | undefined {
    const auth = this.ajam.stateless?.auth;
    if (auth === undefined) return undefined;
    return (authorization, address) => {
      // A Basic guess that would have to wait for its user's turn is refused unchecked (no wait here).
      if (!auth.basicTurnNow(authorization, address)) return new BearerRefused(0);
      const r = auth.authenticate(authorization, address);
      return r.kind === 'ok' ? r.user : r.kind === 'invalid' ? new BearerRefused(r.delayMs) : undefined;
    };
  }

  private addListener(app: TemplatedApp, tls: boolean, host: string, port: number): void {
    // WebSockets need the native addon (the node:http compatibility layer answers /ws with 501).
    const push = this.options.push;
    if (push !== undefined && uwsNative) {
      registerWs(app, {
        ctx: push,
        isWsPath: (path) => matchRoute(path, this.prefix) === ROUTE_WS,
        notFound: (res) => void sendError(res, 'notFound', this.servername),
        bearer: this.bearerCheck(),
        clientAddress: clientAddressResolver(this.options.trustProxy),
        refuse: (res, r) => void this.sendText(res, r.status, r.text),
      });
    }
    app.any('/*', (res, req) => {
      try {
        this.onRequest(res, req, tls);
      } catch (err) {
        // A bug must cost one request, not the process.
        log.error('request handler failed', { err });
        try {
          sendError(res, 'internal', this.servername, { close: true });
        } catch {
          // already answered or aborted
        }
      }
    });
    this.listeners.push({ app, tls, host, port, socket: undefined, boundPort: 0, held: undefined });
  }

  /** The plain HTTP port bound (0 when plain HTTP is off). */
  get port(): number {
    return this.listeners.find((l) => !l.tls)?.boundPort ?? 0;
  }

  /** The HTTPS port bound (0 when TLS is off). */
  get tlsPort(): number {
    return this.listeners.find((l) => l.tls)?.boundPort ?? 0;
  }

  /** Starts every listener; resolves the plain port (0 when plain HTTP is off). Throws ListenError. */
  async listen(): Promise<number> {
    for (const l of this.listeners) {
      let bound: Awaited<ReturnType<typeof listen>>;
      try {
        bound = await listen(l.app, l.host, l.port);
      } catch {
        // uWS gives no reason: ListenError names it (address in use, …).
        throw new ListenError(l.host, l.port, await probeListen(l.host, l.port));
      }
      const { socket, port } = bound;
      l.socket = socket;
      l.boundPort = port;
      log.info(l.tls ? 'https listening' : 'http listening', { host: l.host, port, prefix: this.prefix || '/', uwsNative });
    }
    this.cap?.start();
    return this.port;
  }

  /**
   * The connection cap was reached: close every listen socket (open connections carry on) and hold
   * its port meanwhile, in the same turn, so that no other program can take it (lib/http/port-hold.ts).
   */
  private pauseListening(): void {
    for (const l of this.listeners) {
      if (l.socket !== undefined) closeListenSocket(l.socket);
      l.socket = undefined;
      if (l.held === undefined && !this.closed) l.held = holdPort(l.host, l.boundPort, l.tls);
    }
  }

  /** Below the cap again: listen on the same addresses; false if one failed (retried later). */
  private async resumeListening(): Promise<boolean> {
    let ok = true;
    for (const l of this.listeners) {
      if (l.socket !== undefined) continue;
      this.releaseHeld(l);
      const socket = this.closed || this.ajam.draining ? undefined : await relisten(l.app, l.host, l.boundPort);
      if (socket === false) {
        ok = false;
        // Held again until the next try (taken meanwhile by someone else: this fails too, and is logged).
        l.held = holdPort(l.host, l.boundPort, l.tls);
      }
      else if (socket !== undefined && (this.closed || this.ajam.draining)) closeListenSocket(socket);
      else if (socket !== undefined) l.socket = socket;
    }
    return ok;
  }

  /** Lets go of a port held during a cap episode (synchronously: it can be listened on at once). */
  private releaseHeld(l: Listener): void {
    if (l.held !== undefined) releasePort(l.held);
    l.held = undefined;
  }

  /**
   * Shutdown, first step: no new connections, and requests arriving on open keep-alive
   * connections get 503 with `Connection: close`; requests already running carry on.
   */
  stopAccepting(): void {
    this.ajam.draining = true;
    this.cap?.stop();
    this.sse?.close();
    const push = this.options.push;
    if (push !== undefined) for (const c of [...push.sockets]) c.end(WS_GOING_AWAY, 'server shutting down');
    for (const l of this.listeners) {
      if (l.socket !== undefined) closeListenSocket(l.socket);
      l.socket = undefined;
      this.releaseHeld(l);
    }
  }

  /** AJAM requests started and not yet answered. */
  get inFlight(): number {
    return this.ajam.active;
  }

  /** Resolves once no AJAM request is running (at once if none is). */
  idle(): Promise<void> {
    return this.ajam.idle();
  }

  /**
   * After a users reload: ends every WebSocket and SSE stream whose user `keeps` no longer admits
   * (user removed, credentials, classes or ACL changed): WebSocket 1008, SSE stream ended.
   */
  endRevokedPush(keeps: (user: User, address: string) => boolean): void {
    this.ajam.endRevokedStateless(keeps);
    this.options.push?.endRevoked(keeps);
    this.sse?.endRevoked(keeps);
  }

  /** Stops listening and closes every connection (in-flight requests see onAborted). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ajam.draining = true;
    this.cap?.stop();
    for (const l of this.listeners) {
      if (l.socket !== undefined) closeListenSocket(l.socket);
      l.socket = undefined;
      this.releaseHeld(l);
      // Native uWS has App.close() (not in the typings): it also drops keep-alive connections.
      const app = l.app as TemplatedApp & { close?: () => void };
      if (typeof app.close === 'function') app.close();
    }
  }

  private onRequest(res: HttpResponse, req: HttpRequest, tls: boolean): void {
    const method = req.getCaseSensitiveMethod();
    const path = req.getUrl();
    const query = req.getQuery() ?? '';
    const servername = this.servername;
    const head = method === 'HEAD';
    // Refused before routing: counted under endpoint="other", untimed.
    if (requestLineTooLong(method, path, query)) {
      const status = sendError(res, 'lineTooLong', servername, { head, close: true });
      this.options.metrics?.request('other', status, 0, 0);
      return;
    }
    if (!isAllowedMethod(method)) {
      const status = sendError(res, 'notImplemented', servername);
      this.options.metrics?.request('other', status, 0, 0);
      return;
    }
    // Every route: a body framed two ways must not leave the rest of the bytes to be read as a
    // next request. 400, and the connection is closed. Answered on the next turn: uWS 20.30 would
    // still parse and run a request pipelined behind this one in the same read even after an
    // end(…, close); with the answer pending it aborts the connection instead (nothing runs).
    readHeaders(req);
    if (ambiguousFraming()) {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      setImmediate(() => {
        if (aborted) return;
        let status = 0;
        res.cork(() => (status = sendError(res, 'ambiguousLength', servername, { head, close: true })));
        this.options.metrics?.request('other', status, 0, 0);
      });
      return;
    }
    const route = matchRoute(path, this.prefix);
    const metrics = this.options.metrics;
    const start = metrics === undefined ? 0 : performance.now();
    if (
      route === ROUTE_RAWMAN ||
      route === ROUTE_MXML ||
      route === ROUTE_MANAGER ||
      route === ROUTE_JSON ||
      ((route === ROUTE_ARAWMAN || route === ROUTE_AMXML || route === ROUTE_AMANAGER || route === ROUTE_AJSON) &&
        this.ajam.digest !== undefined)
    ) {
      if (scratch.authorizations > 1) {
        // Which one authenticates would depend on who reads it (first or last): refuse both.
        const status = sendError(res, 'duplicateAuthorization', servername, { head, close: true });
        if (metrics !== undefined) metrics.request(ENDPOINT_OF_ROUTE[route]!, status, start, performance.now());
        return;
      }
      const info: AjamRequestInfo = {
        method,
        query,
        cookie: scratch.cookie,
        authorization: scratch.authorization,
        contentType: scratch.contentType,
        contentLength: scratch.contentLength,
        forwardedFor: scratch.forwardedFor,
        forwardedProto: scratch.forwardedProto,
        tls,
        start,
      };
      handleAjam(this.ajam, res, route, info);
      return;
    }
    let status: number;
    if (route === ROUTE_STATIC && this.staticRoot !== undefined) {
      if (method === 'POST') {
        status = sendError(res, 'notImplemented', servername);
      } else {
        this.onStatic(res, staticSubpath(path, this.prefix), head, scratch.cookie, scratch.ifNoneMatch, start);
        return;
      }
    } else if (route === ROUTE_HEALTH || route === ROUTE_HEALTHZ || route === ROUTE_READYZ) {
      if (method === 'POST') status = sendError(res, 'notImplemented', servername);
      else if (route === ROUTE_HEALTH) status = this.onHealth(res, head);
      else if (route === ROUTE_HEALTHZ) status = this.sendJson(res, head, 200, { status: 'ok' });
      else status = this.onReady(res, head);
    } else if (route === ROUTE_EVENTS && this.sse !== undefined) {
      if (scratch.authorizations > 1) status = sendError(res, 'duplicateAuthorization', servername, { head, close: true });
      else status = this.sse.handle(res, {
        method,
        query,
        cookie: scratch.cookie,
        authorization: scratch.authorization,
        lastEventId: scratch.lastEventId,
        forwardedFor: scratch.forwardedFor,
      });
    } else if (route === ROUTE_WS && this.options.push !== undefined) {
      // A plain request (not an upgrade) on /ws, or any request when WebSockets are unavailable.
      if (uwsNative) status = this.sendText(res, '426 Upgrade Required', 'this is a WebSocket endpoint', ['Upgrade', 'websocket']);
      else status = this.sendText(res, '501 Not Implemented', WS_NEEDS_NATIVE);
    } else if (route === ROUTE_METRICS && metrics !== undefined) {
      if (method === 'POST') status = sendError(res, 'notImplemented', servername);
      // Behind a trusted proxy the forwarded client counts: otherwise every client of a local nginx
      // would be the loopback address metricspermit allows by default.
      else if (this.options.metricsAllowed?.(this.metricsClient(res, req) ?? '') !== true) status = sendError(res, 'aclDenied', servername, { head });
      else {
        this.onMetrics(res, head, metrics, start);
        return;
      }
    } else if (method !== 'POST' && this.staticRoot !== undefined && isFrontPath(path, this.prefix)) {
      status = this.onFront(res, head);
    } else {
      status = sendError(res, 'notFound', servername, { head });
    }
    if (metrics !== undefined) metrics.request(ENDPOINT_OF_ROUTE[route]!, status, start, performance.now());
  }

  /** `/` and `<prefix>/`: a first visit lands on the shipped page instead of a bare 404. */
  private onFront(res: HttpResponse, head: boolean): number {
    const location = `${this.prefix}/static/index.html`;
    const headers: string[] = [];
    if (this.servername !== '') headers.push('Server', this.servername);
    headers.push('Location', location, 'Cache-Control', 'no-cache, no-store', 'Content-Type', 'text/html');
    const href = escapeXml(location);
    const body = Buffer.from(`<!DOCTYPE html>\n<p>The page is at <a href="${href}">${href}</a>.</p>\n`);
    send(res, STATUS.FOUND, headers, body, { head });
    return 302;
  }

  private sendText(res: HttpResponse, status: string, text: string, extra: string[] = []): number {
    const headers: string[] = [];
    if (this.servername !== '') headers.push('Server', this.servername);
    headers.push('Cache-Control', 'no-cache, no-store', 'Content-Type', 'text/plain; charset=utf-8', ...extra);
    send(res, status, headers, Buffer.from(text + '\n'));
    return Number(status.slice(0, 3));
  }

  private onMetrics(res: HttpResponse, head: boolean, metrics: Metrics, start: number): void {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
      metrics.request('metrics', STATUS_CLIENT_CLOSED, start, performance.now());
    });
    void metrics.scrape().then(
      (text) => {
        if (aborted) return;
        const headers: string[] = [];
        if (this.servername !== '') headers.push('Server', this.servername);
        headers.push('Cache-Control', 'no-cache, no-store', 'Content-Type', metrics.contentType);
        send(res, STATUS.OK, headers, Buffer.from(text), { head });
        metrics.request('metrics', 200, start, performance.now());
      },
      (err: unknown) => {
        log.error('metrics scrape failed', { err });
        if (aborted) return;
        metrics.request('metrics', sendError(res, 'internal', this.servername, { head }), start, performance.now());
      },
    );
  }

  /** 200 when an AMI connection carrying events is logged in and FullyBooted, else 503 and why. */
  private onReady(res: HttpResponse, head: boolean): number {
    const r = this.ajam.draining ? { ready: false, reason: 'shutting down' } : (this.options.readiness?.() ?? { ready: true });
    return this.sendJson(res, head, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'unavailable', ...r });
  }

  private sendJson(res: HttpResponse, head: boolean, code: 200 | 503, value: unknown): number {
    const headers: string[] = [];
    if (this.servername !== '') headers.push('Server', this.servername);
    headers.push(...JSON_HEADERS);
    send(res, code === 200 ? STATUS.OK : STATUS.UNAVAILABLE, headers, Buffer.from(JSON.stringify(value) + '\n'), { head });
    return code;
  }

  private onStatic(res: HttpResponse, sub: string, head: boolean, cookie: string, ifNoneMatch: string, start: number): void {
    const servername = this.servername;
    const metrics = this.options.metrics;
    const done = (status: number): void => metrics?.request('static', status, start, performance.now());
    if (!staticPathAllowed(sub)) {
      done(sendError(res, 'staticDenied', servername, { head }));
      return;
    }
    if (isPrivatePath(sub)) {
      const s = this.options.store.find(sessionIdFromCookies(cookie));
      if (s === undefined || !s.authenticated) {
        done(sendError(res, 'staticDenied', servername, { head }));
        return;
      }
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
      done(STATUS_CLIENT_CLOSED);
    });
    void readStatic(this.staticRoot!, sub, ifNoneMatch).then((r) => {
      if (aborted) return;
      if (r.kind === 'not-found') return done(sendError(res, 'notFound', servername, { head }));
      if (r.kind === 'forbidden') return done(sendError(res, 'staticDenied', servername, { head }));
      const headers: string[] = [];
      if (servername !== '') headers.push('Server', servername);
      if (r.kind === 'not-modified') {
        headers.push('ETag', r.etag, 'Last-Modified', r.lastModified);
        res.cork(() => {
          res.writeStatus(STATUS.NOT_MODIFIED);
          for (let i = 0; i < headers.length; i += 2) res.writeHeader(headers[i]!, headers[i + 1]!);
          res.endWithoutBody();
        });
        done(304);
        return;
      }
      headers.push('Content-type', r.type, 'ETag', r.etag, 'Last-Modified', r.lastModified);
      send(res, STATUS.OK, headers, r.body, { head });
      done(200);
    });
  }

  private onHealth(res: HttpResponse, head: boolean): number {
    const extra = this.options.health?.() ?? { ready: true };
    const body = Buffer.from(
      JSON.stringify({
        status: extra.ready ? 'ok' : 'unavailable',
        ...extra,
        sessions: this.options.store.size,
        uws: uwsNative ? 'native' : 'fallback',
      }) + '\n',
    );
    const headers: string[] = [];
    if (this.servername !== '') headers.push('Server', this.servername);
    headers.push('Cache-Control', 'no-cache, no-store', 'Content-Type', 'application/json');
    send(res, extra.ready ? STATUS.OK : STATUS.UNAVAILABLE, headers, body, { head });
    return extra.ready ? 200 : 503;
  }
}

/** `/`, `<prefix>` or `<prefix>/` (the prefix compared case-insensitively, as every route). */
function isFrontPath(path: string, prefix: string): boolean {
  if (path === '/') return true;
  if (prefix === '') return false;
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  return p.toLowerCase() === prefix.toLowerCase();
}

function realStaticRoot(dir: string): string | undefined {
  try {
    return realpathSync(resolve(dir));
  } catch {
    log.warn('static folder not found, /static disabled', { dir });
    return undefined;
  }
}
