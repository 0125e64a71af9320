// <prefix>/events: Server-Sent Events (README "Server-Sent Events"). GET only; authenticated by the
// cookie of a logged-in session or a bearer token; `events=` as on /ws; resume with the
// `Last-Event-ID` header (what EventSource sends on reconnect) or `?since=N`. One record per event
// (`id: <seq>`, `event: <Event name>`, `data: <JSON>`), a `:` comment every 15 s, and headers that
// keep reverse proxies from buffering. The stream holds its cookie session in flight (it does not
// expire under a running stream) and ends when that session is logged off.
import type { LogEntry } from '../events/event-log.ts';
import type { View } from '../events/views.ts';
import { SSE_HEARTBEAT, SSE_NOOP, sseEventsLostRecord } from '../format/push.ts';
import type { Session } from '../session/session.ts';
import type { User } from '../auth/types.ts';
import {
  PushClient,
  SSE_HEARTBEAT_MS,
  parsePushQuery,
  parseSeq,
  resolveIdentity,
  refuseLater,
  BearerRefused,
  resumeFrom,
  specOf,
  sseRecordOf,
  type BearerCheck,
  type PushContext,
  type UserKept,
} from './push.ts';
import type { ClientAddressOf } from './forwarded.ts';
import { remoteAddress, type HttpResponse } from './uws.ts';
import { send } from './reply.ts';

export interface SseRequestInfo {
  method: string;
  query: string;
  cookie: string;
  authorization: string;
  /** `Last-Event-ID` header ('' when absent). */
  lastEventId: string;
  /** X-Forwarded-For ('' when absent; believed only from a `trustproxy` peer). */
  forwardedFor?: string;
}

export class SseClient extends PushClient {
  private res: HttpResponse | null;
  /** Bytes written since the socket last refused to take everything (uWS holds them). */
  private pending: number;
  /** The cookie session kept in flight, if the stream came by cookie. */
  readonly session: Session | undefined;
  /** Who opened the stream (cookie or bearer) and from where: a users reload may end it. */
  readonly user: User;
  readonly address: string;
  private readonly streams: Set<SseClient>;

  constructor(ctx: PushContext, res: HttpResponse, who: { session: Session | undefined; user: User; address: string }, streams: Set<SseClient>) {
    super(ctx);
    this.res = res;
    this.pending = 0;
    this.session = who.session;
    this.user = who.user;
    this.address = who.address;
    this.streams = streams;
  }

  get kind(): 'sse' {
    return 'sse';
  }

  buffered(): number {
    return this.pending;
  }

  write(bytes: Buffer): void {
    const res = this.res;
    if (res === null) return;
    // The cookie session was logged off (or expired): not one more event; the stream ends here
    // rather than at the next heartbeat.
    if (this.session?.destroyed === true) {
      this.end();
      return;
    }
    wRes = res;
    wBytes = bytes;
    res.cork(corkedWrite);
    if (!wOk || this.pending > 0) this.pending += bytes.length;
  }

  frame(entry: LogEntry): Buffer {
    return sseRecordOf(entry);
  }

  lostFrame(lastLostSeq: number, count: number | 'unknown'): Buffer {
    return sseEventsLostRecord(lastLostSeq, count);
  }

  corked(fn: () => void): void {
    this.res?.cork(fn);
  }

  // The view's sink writes each turn's records to every live SSE stream itself.
  protected subscribe(_view: View<PushClient>): void {}
  protected unsubscribe(_view: View<PushClient>): void {}

  protected kick(_reason: string): void {
    this.end();
  }

  /**
   * The socket is writable again. uWS leaves draining its buffer to us once onWritable is set, and
   * an empty write would end a chunked stream: a comment line (ignored by EventSource) pushes the
   * held bytes out. True when everything went.
   */
  drained(): boolean {
    const res = this.res;
    if (res === null) return true;
    const ok = res.write(SSE_NOOP);
    if (!ok) return false;
    this.pending = 0;
    this.onDrain();
    return true;
  }

  /** Ends the stream (terminating chunk) and lets go of everything. */
  end(): void {
    const res = this.res;
    this.finish();
    if (res !== null) res.cork(() => res.end());
  }

  /** The client went away (onAborted): `res` must not be touched again. */
  finish(): void {
    if (this.res === null) return;
    this.res = null;
    this.detach();
    this.streams.delete(this);
    this.ctx.counters.sseOpen--;
    if (this.session !== undefined) this.ctx.store.release(this.session);
  }

  heartbeat(): void {
    if (this.session?.destroyed === true) this.end();
    else this.write(SSE_HEARTBEAT);
  }
}

// One write's arguments, so that cork() needs no closure per write (cork runs synchronously).
let wRes: HttpResponse | null = null;
let wBytes: Buffer | null = null;
let wOk = true;

function corkedWrite(): void {
  wOk = wRes!.write(wBytes!);
  wRes = null;
  wBytes = null;
}

/** All SSE streams of one server, with their heartbeat. */
export class SseStreams {
  readonly ctx: PushContext;
  readonly servername: string;
  readonly bearer: BearerCheck | undefined;
  private readonly clientAddress: ClientAddressOf | undefined;
  private readonly streams: Set<SseClient>;
  private readonly timer: NodeJS.Timeout;

  constructor(ctx: PushContext, servername: string, bearer: BearerCheck | undefined, clientAddress?: ClientAddressOf) {
    this.ctx = ctx;
    this.clientAddress = clientAddress;
    this.servername = servername;
    this.bearer = bearer;
    this.streams = new Set();
    this.timer = setInterval(beat, SSE_HEARTBEAT_MS, this.streams);
    this.timer.unref();
  }

  /** Handles GET <prefix>/events; everything from the request is already in `info`. */
  /** Returns the status code answered (for the request metrics). */
  handle(res: HttpResponse, info: SseRequestInfo): number {
    const ctx = this.ctx;
    if (info.method !== 'GET') {
      return this.refuse(res, '405 Method Not Allowed', 'use GET', ['Allow', 'GET']);
    }
    const q = parsePushQuery(info.query);
    if (typeof q === 'string') return this.refuse(res, '400 Bad Request', q);
    let since = q.since;
    if (info.lastEventId !== '') {
      since = parseSeq(info.lastEventId);
      if (since === undefined) return this.refuse(res, '400 Bad Request', 'invalid Last-Event-ID (a sequence number)');
    }
    const address = this.clientAddress === undefined ? remoteAddress(res) : this.clientAddress(res, info.forwardedFor ?? '');
    if (address === null) return this.refuse(res, '400 Bad Request', 'Invalid X-Forwarded-For');
    const identity = resolveIdentity(ctx.store, info.cookie, info.authorization, address, this.bearer);
    if (identity instanceof BearerRefused) {
      // As a failed login: answered after the delay, holding nothing but this request.
      refuseLater(res, identity.delayMs, () => void this.refuse(res, '401 Unauthorized', 'invalid bearer token'));
      return 401;
    }
    if (identity === undefined) {
      return this.refuse(res, '401 Unauthorized', 'log in first (mansession_id cookie) or send Authorization: Bearer');
    }
    if (ctx.clients >= ctx.limits.maxClients) {
      ctx.counters.refusedFull++;
      return this.refuse(res, '503 Service Unavailable', `too many push clients (limit ${ctx.limits.maxClients})`);
    }
    const session = identity.session;
    if (session !== undefined) session.inFlight++;
    ctx.counters.sseOpen++;
    const c = new SseClient(ctx, res, { session, user: identity.user, address }, this.streams);
    this.streams.add(c);
    res.onAborted(() => c.finish());
    res.onWritable(() => c.drained());
    const servername = this.servername;
    res.cork(() => {
      res.writeStatus('200 OK');
      if (servername !== '') res.writeHeader('Server', servername);
      res.writeHeader('Content-Type', 'text/event-stream');
      res.writeHeader('Cache-Control', 'no-cache');
      res.writeHeader('X-Accel-Buffering', 'no');
      // Sends the headers now: the client knows it is connected before the first event.
      res.write(SSE_HEARTBEAT);
    });
    c.start(specOf(identity, q.mask), resumeFrom(ctx.log, since));
    return 200;
  }

  private refuse(res: HttpResponse, status: string, text: string, extra: string[] = []): number {
    const headers: string[] = [];
    if (this.servername !== '') headers.push('Server', this.servername);
    headers.push('Cache-Control', 'no-cache, no-store', 'Content-Type', 'text/plain; charset=utf-8', ...extra);
    send(res, status, headers, Buffer.from(text + '\n'));
    return Number(status.slice(0, 3));
  }

  get size(): number {
    return this.streams.size;
  }

  /** One heartbeat round now (tests; the timer does the same every 15 s). */
  heartbeatNow(): void {
    beat(this.streams);
  }

  /** After a users reload: ends the streams whose session was ended or whose user is not kept. */
  endRevoked(keeps: UserKept): void {
    for (const c of [...this.streams]) if (c.session?.destroyed === true || !keeps(c.user, c.address)) c.end();
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    clearInterval(this.timer);
    for (const c of [...this.streams]) c.end();
  }
}

function beat(streams: Set<SseClient>): void {
  for (const c of [...streams]) c.heartbeat();
}
