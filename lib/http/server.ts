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
// `/health` lives under the prefix like every other route. The digest endpoints (/arawman, /amxml,
// /amanager) are served when a DigestSessions is given (lib/app.ts always gives one).
// Listeners: plain HTTP on host:port (unless `plain: false`) and HTTPS (uWS SSLApp) when `tls` is
// given; both run the same handler, an HTTPS request only differs in its cookie being `Secure`.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SessionStore } from '../session/store.ts';
import { sessionIdFromCookies } from '../session/cookie.ts';
import { log } from '../log.ts';
import { closeListenSocket, createApp, listen, uwsNative, type TlsFiles } from './uws.ts';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from './uws.ts';
import {
  ROUTE_AMANAGER,
  ROUTE_AMXML,
  ROUTE_ARAWMAN,
  ROUTE_HEALTH,
  ROUTE_MANAGER,
  ROUTE_MXML,
  ROUTE_RAWMAN,
  ROUTE_STATIC,
  isAllowedMethod,
  matchRoute,
  normalizePrefix,
  requestLineTooLong,
  staticSubpath,
} from './request.ts';
import { AjamContext, handleAjam } from './ajam.ts';
import type { AjamDispatcher, AjamRequestInfo, StatelessOptions } from './ajam.ts';
import type { TrustedProxies } from './forwarded.ts';
import { sendError } from './error-pages.ts';
import { STATUS, send } from './reply.ts';
import { isPrivatePath, readStatic, staticPathAllowed } from './static.ts';
import type { DigestSessions } from './digest.ts';

export interface HealthInfo {
  /** false → /health answers 503 (e.g. no AMI connection is up). */
  ready: boolean;
  [key: string]: unknown;
}

export interface HttpServerOptions {
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
  /** Serve plain HTTP on host:port (default true; `[general] httpenable`). */
  plain?: boolean;
  /** Serve HTTPS too (`[general] tlsenable`); port 0 picks a free one. */
  tls?: TlsFiles & { host: string; port: number };
  /** Bearer / Basic authentication on every AJAM endpoint. */
  stateless?: StatelessOptions;
  /** `[general] trustproxy`. */
  trustProxy?: TrustedProxies;
}

interface Listener {
  readonly app: TemplatedApp;
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  socket: us_listen_socket | undefined;
  boundPort: number;
}

// Headers copied out of the request by collectHeader; one scratch object is safe because uWS
// request handlers run synchronously and never re-enter.
const scratch = {
  cookie: '',
  authorization: '',
  contentType: '',
  contentLength: '',
  ifNoneMatch: '',
  forwardedFor: '',
  forwardedProto: '',
};

function collectHeader(key: string, value: string): void {
  // The last Cookie header wins (spec §2.1); uWS's getHeader would return the first.
  if (key === 'cookie') scratch.cookie = value;
  else if (key === 'authorization') scratch.authorization = value;
  else if (key === 'content-type') scratch.contentType = value;
  else if (key === 'content-length') scratch.contentLength = value;
  else if (key === 'if-none-match') scratch.ifNoneMatch = value;
  // Several X-Forwarded-For headers are one list, in order (RFC 9110 §5.3).
  else if (key === 'x-forwarded-for') scratch.forwardedFor = scratch.forwardedFor === '' ? value : `${scratch.forwardedFor},${value}`;
  else if (key === 'x-forwarded-proto') scratch.forwardedProto = value;
}

function readHeaders(req: HttpRequest): void {
  scratch.cookie = '';
  scratch.authorization = '';
  scratch.contentType = '';
  scratch.contentLength = '';
  scratch.ifNoneMatch = '';
  scratch.forwardedFor = '';
  scratch.forwardedProto = '';
  req.forEach(collectHeader);
}

export class HttpServer {
  readonly options: HttpServerOptions;
  readonly prefix: string;
  readonly servername: string;
  readonly staticRoot: string | undefined;
  readonly ajam: AjamContext;
  private readonly listeners: Listener[];
  private closed: boolean;

  constructor(options: HttpServerOptions) {
    this.options = options;
    this.prefix = normalizePrefix(options.prefix);
    this.servername = options.servername;
    this.staticRoot = options.staticDir === undefined ? undefined : realStaticRoot(options.staticDir);
    this.ajam = new AjamContext(options.store, options.dispatcher, options.servername, this.prefix, options.digest, {
      stateless: options.stateless,
      trust: options.trustProxy,
    });
    this.listeners = [];
    if (options.plain !== false) this.addListener(createApp(), false, options.host, options.port);
    const tls = options.tls;
    if (tls !== undefined) this.addListener(createApp(tls), true, tls.host, tls.port);
    if (this.listeners.length === 0) throw new TypeError('HttpServer: neither plain HTTP nor TLS enabled');
    this.closed = false;
  }

  private addListener(app: TemplatedApp, tls: boolean, host: string, port: number): void {
    app.any('/*', (res, req) => {
      try {
        this.onRequest(res, req, tls);
      } catch (err) {
        // A bug must cost one request, not the process.
        log.error('request handler failed', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        try {
          sendError(res, 'internal', this.servername, { close: true });
        } catch {
          // already answered or aborted
        }
      }
    });
    this.listeners.push({ app, tls, host, port, socket: undefined, boundPort: 0 });
  }

  /** The plain HTTP port bound (0 when plain HTTP is off). */
  get port(): number {
    return this.listeners.find((l) => !l.tls)?.boundPort ?? 0;
  }

  /** The HTTPS port bound (0 when TLS is off). */
  get tlsPort(): number {
    return this.listeners.find((l) => l.tls)?.boundPort ?? 0;
  }

  /** Starts every listener; resolves the plain port (0 when plain HTTP is off). */
  async listen(): Promise<number> {
    for (const l of this.listeners) {
      const { socket, port } = await listen(l.app, l.host, l.port);
      l.socket = socket;
      l.boundPort = port;
      log.info(l.tls ? 'https listening' : 'http listening', { host: l.host, port, prefix: this.prefix || '/', uwsNative });
    }
    return this.port;
  }

  /** Stops listening and closes every connection (in-flight requests see onAborted). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners) {
      if (l.socket !== undefined) closeListenSocket(l.socket);
      l.socket = undefined;
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
    if (requestLineTooLong(method, path, query)) {
      sendError(res, 'lineTooLong', servername, { head, close: true });
      return;
    }
    if (!isAllowedMethod(method)) {
      sendError(res, 'notImplemented', servername);
      return;
    }
    const route = matchRoute(path, this.prefix);
    if (
      route === ROUTE_RAWMAN ||
      route === ROUTE_MXML ||
      route === ROUTE_MANAGER ||
      ((route === ROUTE_ARAWMAN || route === ROUTE_AMXML || route === ROUTE_AMANAGER) && this.ajam.digest !== undefined)
    ) {
      readHeaders(req);
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
      };
      handleAjam(this.ajam, res, route, info);
    } else if (route === ROUTE_STATIC && this.staticRoot !== undefined) {
      if (method === 'POST') {
        sendError(res, 'notImplemented', servername);
        return;
      }
      readHeaders(req);
      this.onStatic(res, staticSubpath(path, this.prefix), head, scratch.cookie, scratch.ifNoneMatch);
    } else if (route === ROUTE_HEALTH) {
      if (method === 'POST') sendError(res, 'notImplemented', servername);
      else this.onHealth(res, head);
    } else {
      sendError(res, 'notFound', servername, { head });
    }
  }

  private onStatic(res: HttpResponse, sub: string, head: boolean, cookie: string, ifNoneMatch: string): void {
    const servername = this.servername;
    if (!staticPathAllowed(sub)) {
      sendError(res, 'staticDenied', servername, { head });
      return;
    }
    if (isPrivatePath(sub)) {
      const s = this.options.store.find(sessionIdFromCookies(cookie));
      if (s === undefined || !s.authenticated) {
        sendError(res, 'staticDenied', servername, { head });
        return;
      }
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void readStatic(this.staticRoot!, sub, ifNoneMatch).then((r) => {
      if (aborted) return;
      if (r.kind === 'not-found') return sendError(res, 'notFound', servername, { head });
      if (r.kind === 'forbidden') return sendError(res, 'staticDenied', servername, { head });
      const headers: string[] = [];
      if (servername !== '') headers.push('Server', servername);
      if (r.kind === 'not-modified') {
        headers.push('ETag', r.etag, 'Last-Modified', r.lastModified);
        res.cork(() => {
          res.writeStatus(STATUS.NOT_MODIFIED);
          for (let i = 0; i < headers.length; i += 2) res.writeHeader(headers[i]!, headers[i + 1]!);
          res.endWithoutBody();
        });
        return;
      }
      headers.push('Content-type', r.type, 'ETag', r.etag, 'Last-Modified', r.lastModified);
      send(res, STATUS.OK, headers, r.body, { head });
    });
  }

  private onHealth(res: HttpResponse, head: boolean): void {
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
  }
}

function realStaticRoot(dir: string): string | undefined {
  try {
    return realpathSync(resolve(dir));
  } catch {
    log.warn('static folder not found, /static disabled', { dir });
    return undefined;
  }
}
