// <prefix>/ws: AMI over a WebSocket (README "WebSocket"). Text frames, one JSON value each.
// - Upgrade: authenticated by the `mansession_id` cookie of a logged-in session (or a bearer token,
//   when the server has a bearer check); otherwise the first frame must be a Login action (any other
//   first frame closes with 1008). `events=` and `since=` as in lib/http/push.ts.
// - Each socket has its own session in the store, admitted as a login (so the session caps apply),
//   and its actions go through the same dispatcher as AJAM: permissions, guard rails, and the
//   session-local actions (Events, Filter, Logoff) acting on this socket. Reply frames go out in the
//   order the actions were sent.
// - Events reach live sockets through one uWS topic per view (native fan-out); see push.ts.
import { ActionRequest } from '../session/request.ts';
import { error as amiError } from '../session/replies.ts';
import type { Session } from '../session/session.ts';
import type { ActionResult } from '../session/types.ts';
import type { LogEntry } from '../events/event-log.ts';
import type { View, ViewSpec } from '../events/views.ts';
import { jsonOutput, wsErrorFrame, wsEventsLostFrame, wsReplyFrame } from '../format/push.ts';
import { log } from '../log.ts';
import {
  PushClient,
  parsePushQuery,
  resolveIdentity,
  refuseLater,
  BearerRefused,
  resumeFrom,
  topicOf,
  wsFrameOf,
  type BearerCheck,
  type PushContext,
  type UserKept,
  type PushIdentity,
  type PushQuery,
} from './push.ts';
import type { ClientAddressOf } from './forwarded.ts';
import { MAX_PARAMS } from './request.ts';
import { remoteAddress } from './uws.ts';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior, us_socket_context_t } from './uws.ts';

/** Close codes (RFC 6455). */
export const WS_NORMAL = 1000;
/** The server is shutting down (RFC 6455 §7.4.1). */
export const WS_GOING_AWAY = 1001;
export const WS_POLICY = 1008;
export const WS_TOO_BIG = 1009;

/**
 * The socket's user data: uWS copies its properties onto each socket's object, so it holds one, the
 * client (made by the upgrade handler, attached to the socket in `open`, null once closed).
 */
interface WsData {
  client: WsClient | null;
}

/** The HTTP answer to an upgrade that is refused. */
export interface UpgradeRefusal {
  status: string;
  text: string;
}

export interface WsRouteOptions {
  ctx: PushContext;
  /** True when the request's path is the /ws route (prefix and case rules of matchRoute). */
  isWsPath: (path: string) => boolean;
  /** Answers a request that is not for /ws (the 404 page). */
  notFound: (res: HttpResponse) => void;
  /** Bearer authentication of an `Authorization` header, when the server has it. */
  bearer?: BearerCheck;
  /** The client address (the forwarded one behind a `trustproxy`; null: malformed, answer 400). */
  clientAddress?: ClientAddressOf;
  /** Writes a refusal (status line, plain text body). */
  refuse: (res: HttpResponse, r: UpgradeRefusal) => void;
}

/** One queued action awaiting its reply frame. */
interface PendingReply {
  actionId: string;
  frame: Buffer | null;
  destroy: boolean;
}

const WAITEVENT_ON_WS = 'WaitEvent is not used on /ws: events are pushed';

export class WsClient extends PushClient {
  private ws: WebSocket<WsData> | null;
  /** The socket's own session (set by `attach`). */
  session!: Session;
  /** The upgrade's `events=` mask (-1: none) and `since` (-1: none): numbers, not an object per socket. */
  private readonly queryMask: number;
  private readonly querySince: number;
  readonly address: string;
  /** Who the upgrade authenticated (cookie or bearer), until `attach` uses it. */
  private identity: PushIdentity | undefined;
  /** Actions awaiting their reply frame, in the order sent (made on the first action). */
  private replies: PendingReply[] | null;
  private loggingIn: boolean;

  constructor(ctx: PushContext, identity: PushIdentity | undefined, query: PushQuery, address: string) {
    super(ctx);
    this.ws = null;
    this.queryMask = query.mask ?? -1;
    this.querySince = query.since ?? -1;
    this.address = address;
    this.identity = identity;
    this.replies = null;
    this.loggingIn = false;
  }

  /**
   * The upgrade is done (uWS `open`): the socket gets its own session, kept and counted as a login
   * of the upgrade's user (the session caps apply as to any login), and its events start; without
   * an identity the first frame must log in.
   */
  attach(ws: WebSocket<WsData>): void {
    const ctx = this.ctx;
    this.ws = ws;
    // In flight (never purged) until the socket closes.
    const session = (this.session = ctx.store.open(undefined, this.address));
    const id = this.identity;
    this.identity = undefined;
    if (id === undefined) return;
    const full = ctx.store.admitLogin(session, id.user.name);
    if (full !== undefined) {
      this.end(WS_POLICY, full);
      return;
    }
    session.user = id.user;
    session.authenticated = true;
    session.readPerm = id.readPerm;
    session.writePerm = id.writePerm;
    session.eventMask = id.readPerm;
    session.filters = id.filters;
    this.startEvents();
  }

  get kind(): 'ws' {
    return 'ws';
  }

  buffered(): number {
    return this.ws === null ? 0 : this.ws.getBufferedAmount();
  }

  write(bytes: Buffer): void {
    this.ws?.send(bytes, false);
  }

  frame(entry: LogEntry): Buffer {
    return wsFrameOf(entry);
  }

  lostFrame(lastLostSeq: number, count: number | 'unknown'): Buffer {
    return wsEventsLostFrame(lastLostSeq, count);
  }

  corked(fn: () => void): void {
    if (this.ws === null) return;
    this.ws.cork(fn);
  }

  protected subscribe(view: View<PushClient>): void {
    this.ws?.subscribe(topicOf(view));
  }

  protected unsubscribe(view: View<PushClient>): void {
    this.ws?.unsubscribe(topicOf(view));
  }

  protected kick(reason: string): void {
    this.end(WS_POLICY, reason);
  }

  /** After a users reload: closed (1008) when its session was ended or its user is not kept. */
  endIfRevoked(keeps: UserKept): void {
    const s = this.session;
    if (s === null || s === undefined || s.user === undefined) return;
    if (s.destroyed || !keeps(s.user, s.address)) this.end(WS_POLICY, 'session ended: the users file changed');
  }

  /** Closes the socket with a close frame (queued after what is buffered). */
  end(code: number, reason: string): void {
    const ws = this.ws;
    this.detach();
    this.ws = null;
    if (ws !== null) ws.end(code, reason);
  }

  /** The socket is gone (uWS close handler): it must not be touched again. */
  gone(): void {
    this.ws = null;
    this.detach();
  }

  /** Starts the event stream for the session as it is now (after the upgrade or a Login). */
  startEvents(): void {
    const s = this.session;
    if (this.queryMask !== -1) s.eventMask &= this.queryMask;
    this.start(sessionSpec(s), resumeFrom(this.ctx.log, this.querySince === -1 ? undefined : this.querySince));
  }

  /** One text frame from the client. */
  onFrame(data: ArrayBuffer, isBinary: boolean): void {
    if (this.ws === null) return;
    if (data.byteLength > this.ctx.limits.maxFrame) {
      this.ctx.counters.refusedFrame++;
      this.end(WS_TOO_BIG, `frame over ${this.ctx.limits.maxFrame} bytes`);
      return;
    }
    const parsed = isBinary ? 'binary frames are not accepted (send JSON text)' : framePairs(Buffer.from(data).toString('utf8'));
    const s = this.session;
    if (!s.authenticated) {
      if (this.loggingIn) {
        this.send(wsErrorFrame('wait for the Login reply'));
        return;
      }
      if (typeof parsed === 'string' || new ActionRequest(parsed).action.toLowerCase() !== 'login') {
        this.end(WS_POLICY, 'the first frame must be a Login action');
        return;
      }
      this.loggingIn = true;
      this.run(parsed);
      return;
    }
    if (this.replies !== null && this.replies.length >= this.ctx.limits.maxInFlight) {
      this.ctx.counters.refusedInFlight++;
      this.send(wsErrorFrame(`too many actions awaiting a reply (limit ${this.ctx.limits.maxInFlight})`));
      return;
    }
    if (typeof parsed === 'string') {
      // In its place among the replies, so the client can tell which frame it was about.
      (this.replies ??= []).push({ actionId: '', frame: wsErrorFrame(parsed), destroy: false });
      this.flush();
      return;
    }
    this.run(parsed);
  }

  private run(pairs: Array<[string, string]>): void {
    const req = new ActionRequest(pairs);
    const pending: PendingReply = { actionId: req.actionId, frame: null, destroy: false };
    (this.replies ??= []).push(pending);
    let result: ActionResult | Promise<ActionResult>;
    if (this.session.authenticated && req.action.toLowerCase() === 'waitevent') {
      result = { output: [amiError(req.actionId, WAITEVENT_ON_WS)] };
    } else {
      result = this.ctx.dispatcher.handle(this.session, pairs, this.address);
    }
    Promise.resolve(result).then(
      (r) => this.replied(pending, r),
      (err: unknown) => {
        log.error('ws action failed', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        this.replied(pending, { output: [amiError(req.actionId, 'Internal error')] });
      },
    );
  }

  private replied(pending: PendingReply, r: ActionResult): void {
    pending.frame = wsReplyFrame(pending.actionId, jsonOutput(r.output));
    pending.destroy = r.destroySession === true;
    this.flush();
  }

  /** Sends the replies that are ready, in the order the frames came. */
  private flush(): void {
    const q = this.replies;
    if (q === null) return;
    while (q.length > 0 && q[0]!.frame !== null) {
      const p = q.shift()!;
      if (this.ws === null) continue;
      this.send(p.frame!);
      if (this.loggingIn) {
        this.loggingIn = false;
        if (!this.session.authenticated) {
          this.end(WS_POLICY, 'authentication failed');
          continue;
        }
        this.startEvents();
        continue;
      }
      if (p.destroy) {
        this.end(WS_NORMAL, 'Goodbye');
        continue;
      }
      // Events / Filter may have changed what this socket sees.
      this.respec(sessionSpec(this.session));
    }
  }

  private send(frame: Buffer): void {
    this.ws?.send(frame, false);
  }
}

/** What the socket's session sees now (its mask already holds `events=` and any Events action). */
function sessionSpec(s: Session): ViewSpec {
  return { serverMask: s.user?.serverMask, readPerm: s.readPerm, eventMask: s.eventMask, filters: s.filters };
}

/**
 * A client frame as AMI parameters: a JSON object whose values are strings (an array of strings
 * repeats the key, e.g. several `Variable`s). A string says what is wrong.
 */
export function framePairs(text: string): Array<[string, string]> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'malformed JSON';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'a frame must be a JSON object of AMI parameters';
  const pairs: Array<[string, string]> = [];
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val === 'string') pairs.push([k, val]);
    else if (Array.isArray(val) && val.every((x) => typeof x === 'string')) for (const x of val as string[]) pairs.push([k, x]);
    else return `the value of ${JSON.stringify(k)} must be a string (or an array of strings)`;
  }
  // The AJAM endpoints' bound (Asterisk's AST_MAX_MANHEADERS).
  if (pairs.length > MAX_PARAMS) return `too many parameters (limit ${MAX_PARAMS})`;
  return pairs;
}

/** Seconds of silence (no frame, no pong) after which a socket is closed; see registerWs. */
export const WS_IDLE_TIMEOUT_S = 15;

/** Frames up to this many bytes get our own 1009 past `wsmaxframe`; see wsPayloadBound. */
export const WS_PAYLOAD_FLOOR = 1024 * 1024;

/**
 * uWS's maxPayloadLength for a `wsmaxframe`: a frame (or fragmented message) over `maxFrame` but
 * within this bound is read whole and closed by us with 1009 and a reason; one over the bound is
 * refused by uWS from its header alone, before any of it is buffered, by dropping the connection
 * without a close frame (the client sees 1006). The bound is what one socket may make the proxy
 * buffer: 1 MiB (16× the default wsmaxframe), or 4 × wsmaxframe when that is more.
 */
export function wsPayloadBound(maxFrame: number): number {
  return Math.max(maxFrame * 4, WS_PAYLOAD_FLOOR);
}

// The last client address seen at an upgrade: sockets from one address (a load balancer, nginx, an
// office's NAT) share one string instead of a copy each — kept by the socket and its session.
let lastAddress = '';

function sharedAddress(address: string): string {
  if (address === lastAddress) return lastAddress;
  lastAddress = address;
  return address;
}

/** Registers the /ws route on a native uWS app. */
export function registerWs(app: TemplatedApp, o: WsRouteOptions): void {
  const ctx = o.ctx;
  ctx.publishers.push({ publish: (topic, bytes) => void app.publish(topic, bytes, false) });
  const behavior: WebSocketBehavior<WsData> = {
    maxPayloadLength: wsPayloadBound(o.ctx.limits.maxFrame),
    // No uWS limit (it would silently skip messages, and even the close frame): the sink closes a
    // socket over the limit right after publishing, so the 1008 close frame is queued behind the data.
    maxBackpressure: 0,
    closeOnBackpressureLimit: 0,
    // uWS pings a socket silent for idleTimeout − margin and closes it when still silent at
    // idleTimeout; the margin (4 s for 9–15, 8 s up to 31, else 16 s) is also how long a socket
    // closed with end() — a slow consumer's 1008 — is kept, with all it buffered, for a client that
    // never reads its close frame. 15: pings after 11 s of silence, dead or stalled sockets let go
    // after 15 s, a slow consumer's buffer 4 s after its close (at 120 it was 16 s).
    idleTimeout: WS_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
    upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
      if (!o.isWsPath(req.getUrl())) {
        o.notFound(res);
        return;
      }
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      let cookie = '';
      let authorization = '';
      let forwardedFor = '';
      let authorizations = 0;
      // A browser names the page that opens a socket in Origin; WebSockets have no CORS, so a
      // page of another site must not ride on the operator's cookie (it may still Login by frame).
      const origin = req.getHeader('origin');
      const crossSite = origin !== '' && !sameHostname(origin, req.getHeader('host'));
      req.forEach((k, v) => {
        // The last Cookie header wins, as on the AJAM routes.
        if (k === 'cookie') cookie = v;
        else if (k === 'authorization') {
          authorization = v;
          authorizations++;
        }
        else if (k === 'x-forwarded-for') forwardedFor = forwardedFor === '' ? v : `${forwardedFor},${v}`;
      });
      if (authorizations > 1) {
        // As on the AJAM routes: another hop might authenticate the other one.
        o.refuse(res, { status: '400 Bad Request', text: 'More than one Authorization header' });
        return;
      }
      const query = parsePushQuery(req.getQuery() ?? '');
      if (typeof query === 'string') {
        o.refuse(res, { status: '400 Bad Request', text: query });
        return;
      }
      if (ctx.clients >= ctx.limits.maxClients) {
        ctx.counters.refusedFull++;
        o.refuse(res, { status: '503 Service Unavailable', text: `too many push clients (limit ${ctx.limits.maxClients})` });
        return;
      }
      const address = o.clientAddress === undefined ? remoteAddress(res) : o.clientAddress(res, forwardedFor);
      if (address === null) {
        o.refuse(res, { status: '400 Bad Request', text: 'Invalid X-Forwarded-For' });
        return;
      }
      const identity = resolveIdentity(ctx.store, crossSite ? '' : cookie, authorization, address, o.bearer);
      if (identity instanceof BearerRefused) {
        // As a failed login: answered after the delay, holding nothing but this request.
        refuseLater(res, identity.delayMs, () => o.refuse(res, { status: '401 Unauthorized', text: 'invalid bearer token' }));
        return;
      }
      const data: WsData = { client: new WsClient(ctx, identity, query, sharedAddress(address)) };
      res.upgrade(data, key, protocol, extensions, context);
    },
    open: (ws) => {
      const c = ws.getUserData().client!;
      ctx.counters.wsOpen++;
      ctx.sockets.add(c);
      c.attach(ws);
    },
    message: (ws, message, isBinary) => {
      ws.getUserData().client?.onFrame(message, isBinary);
    },
    drain: (ws) => {
      ws.getUserData().client?.onDrain();
    },
    close: (ws) => {
      const d = ws.getUserData();
      const c = d.client;
      d.client = null;
      ctx.counters.wsOpen--;
      if (c !== null) {
        ctx.sockets.delete(c);
        c.gone();
        ctx.store.destroy(c.session);
      }
    },
  };
  app.ws('/*', behavior);
}

/**
 * Is the page in `origin` on the host this request was sent to? Host names only (the port may
 * differ behind a reverse proxy, and a site is not port-bound for cookies either); `null` and
 * anything unparseable are not.
 */
export function sameHostname(origin: string, host: string): boolean {
  try {
    return new URL(origin).hostname.toLowerCase() === new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
}
