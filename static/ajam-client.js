// ajam-client.js: an AMI client over ajam-proxy for browsers and Node (ES module, no dependencies).
//
//   import { connect } from './ajam-client.js';
//   const ami = await connect({ url: '..', username: 'admin', secret: 'admin' });
//   ami.on('Newchannel', (ev) => console.log(ev.Channel));
//   const [reply] = await ami.action({ Action: 'Ping' });
//
// Transports, best first: WebSocket (`/ws`), Server-Sent Events (`/events`, read with fetch so a
// bearer token and Last-Event-ID can be sent) with actions on `/json`, then WaitEvent long-polling
// on `/json`. A transport that fails twice before it ever went live is skipped for a while and the
// next one is used. The client reconnects with backoff and resumes WebSocket and SSE streams where
// they stopped (`since` / `Last-Event-ID`, by the proxy's event sequence numbers), so nothing is
// lost or repeated while the proxy's event ring still holds it; past that the proxy sends one
// `EventsLost` event with the count. Where the proxy has no `/json` (a real Asterisk's own AJAM),
// actions and long-polling fall back to `/rawman`.
//
// Node 20 has no global WebSocket: pass one, e.g. `connect({ ..., WebSocket: (await import('ws')).default })`.
// Types: ajam-client.d.ts beside this file.

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10000;
/** A transport that failed this many times without ever going live is skipped ... */
const FAILURES_BEFORE_FALLBACK = 2;
/** ... for this long, then tried again on the next reconnect. */
const FALLBACK_HOLD_MS = 5 * 60 * 1000;
const LONGPOLL_TIMEOUT_S = 20;
const ACTION_TIMEOUT_MS = 30000;
/**
 * While events come over the WebSocket (which has a session of its own), the HTTP session behind
 * the cookie is idle: a Ping this often keeps it alive (Asterisk's default httptimeout is 60 s), so
 * a reconnect and the site's other pages can use it without logging in again.
 */
const COOKIE_KEEPALIVE_MS = 20000;

/** @typedef {Record<string, string | string[]>} AmiMessage */

/** An error with a machine-readable `code` ('auth', 'network', 'http', 'closed', 'timeout', 'protocol'). */
export class AjamError extends Error {
  /** @param {string} message @param {string} code */
  constructor(message, code) {
    super(message);
    this.name = 'AjamError';
    this.code = code;
  }
}

/**
 * Logs in and resolves once events flow (or rejects: wrong credentials, or `close()` first).
 * @param {import('./ajam-client.d.ts').ConnectOptions} options
 * @returns {Promise<AjamClient>}
 */
export function connect(options) {
  const client = new AjamClient(options);
  return client.open().then(() => client);
}

/** `Key: value` blocks (rawman) to messages; a repeated key becomes an array. */
export function parseRawman(text) {
  /** @type {AmiMessage[]} */
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === '') continue;
    /** @type {AmiMessage} */
    const msg = {};
    for (const line of block.split(/\r?\n/)) {
      const c = line.indexOf(':');
      const key = c === -1 ? 'body' : line.slice(0, c);
      const value = c === -1 ? line : line.slice(c + 1).replace(/^ /, '');
      addField(msg, key, value);
    }
    out.push(msg);
  }
  return out;
}

function addField(msg, key, value) {
  const had = msg[key];
  if (had === undefined) msg[key] = value;
  else if (Array.isArray(had)) had.push(value);
  else msg[key] = [had, value];
}

/** First value of a field, whatever the case of its name. */
export function field(msg, name) {
  if (msg == null) return undefined;
  let v = msg[name];
  if (v === undefined) {
    const low = name.toLowerCase();
    for (const k of Object.keys(msg)) if (k.toLowerCase() === low) { v = msg[k]; break; }
  }
  return Array.isArray(v) ? v[0] : v;
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

export class AjamClient {
  /** @param {import('./ajam-client.d.ts').ConnectOptions} opts */
  constructor(opts) {
    if (opts == null || typeof opts.url !== 'string') throw new TypeError('connect: url is required');
    const here = globalThis.location?.href;
    const url = opts.url.endsWith('/') ? opts.url : opts.url + '/';
    /** Base URL of the proxy (with its prefix), ending in '/'. */
    this.base = here === undefined ? new URL(url) : new URL(url, here);
    this.username = opts.username;
    this.secret = opts.secret;
    this.token = opts.token;
    /** Use the session the browser's cookie already names (a page opened after another logged in). */
    this.session = opts.session === true;
    if (this.token === undefined && !this.session && (this.username === undefined || this.secret === undefined)) {
      throw new TypeError('connect: give username and secret, or token, or session: true');
    }
    this.fetchImpl = opts.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof this.fetchImpl !== 'function') throw new TypeError('connect: no fetch available');
    this.WebSocketImpl = opts.WebSocket ?? globalThis.WebSocket;
    /** @type {Array<'websocket' | 'sse' | 'longpoll'>} */
    this.transports = (opts.transports ?? ['websocket', 'sse', 'longpoll']).slice();
    this.eventClasses = opts.events;
    this.retryFirstMs = opts.retryFirstMs ?? RETRY_FIRST_MS;
    this.retryMaxMs = opts.retryMaxMs ?? RETRY_MAX_MS;
    this.actionTimeoutMs = opts.actionTimeoutMs ?? ACTION_TIMEOUT_MS;
    this.sessionKeepaliveMs = opts.sessionKeepaliveMs ?? COOKIE_KEEPALIVE_MS;
    /** 'idle' | 'connecting' | 'live' | 'retrying' | 'closed' */
    this.state = 'idle';
    /** The transport in use or being tried: 'websocket' | 'sse' | 'longpoll' | null. */
    this.transport = null;
    /** Sequence number of the last event delivered (WebSocket/SSE), the resume point. */
    this.lastSeq = opts.since;
    /** Events delivered since open(). */
    this.eventCount = 0;
    this.lastError = undefined;
    this.handlers = new Map();
    this.statusHandlers = new Set();
    if (typeof opts.onStatus === 'function') this.statusHandlers.add(opts.onStatus);
    this.pending = new Map();
    this.ids = 0;
    this.closed = false;
    this.cookie = '';
    this.httpPath = 'json';
    this.failures = new Map();
    this.heldUntil = new Map();
    this.ws = null;
    this.stop = new AbortController();
    this.attempt = 0;
    this.lastLiveTransport = undefined;
  }

  // ---- public API -------------------------------------------------------------------------------

  /** Logs in, then keeps a transport up until close(). Resolves when first live. */
  open() {
    return new Promise((resolve, reject) => {
      this.firstLive = { resolve, reject };
      this.run().catch((err) => this.fail(err));
    });
  }

  /**
   * Runs one AMI action; resolves with every message of its reply (a list action's items and its
   * Complete included). An ActionID of your own is kept in the reply; the client routes by its own.
   * @param {Record<string, string | number | boolean>} headers
   * @returns {Promise<AmiMessage[]>}
   */
  action(headers) {
    if (this.closed) return Promise.reject(new AjamError('client closed', 'closed'));
    const fields = {};
    let userId;
    for (const [k, v] of Object.entries(headers)) {
      if (k.toLowerCase() === 'actionid') userId = String(v);
      else fields[k] = String(v);
    }
    const id = `ajc-${++this.ids}`;
    fields.ActionID = id;
    const restore = (msgs) => {
      for (const m of msgs) {
        if ('ActionID' in m) {
          if (userId === undefined) delete m.ActionID;
          else m.ActionID = userId;
        }
      }
      return msgs;
    };
    if (this.ws !== null && this.wsLive) return this.wsAction(id, fields).then(restore);
    return this.http(fields).then(restore);
  }

  /**
   * Calls `handler(event, seq)` for each event named `name` ('*' for all). Returns an unsubscribe.
   * @param {string} name
   * @param {(event: AmiMessage, seq: number | undefined) => void} handler
   */
  on(name, handler) {
    const key = name === '*' ? '*' : name.toLowerCase();
    let set = this.handlers.get(key);
    if (set === undefined) this.handlers.set(key, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Calls `handler({ state, transport, retryInMs, error })` on every change of connection state. */
  onStatus(handler) {
    this.statusHandlers.add(handler);
    return () => this.statusHandlers.delete(handler);
  }

  /** Stops everything; logs the HTTP session off (unless `{ logoff: false }`). */
  async close(opts = {}) {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    if (this.ws !== null) {
      try { this.ws.close(1000, 'bye'); } catch { /* already closing */ }
    }
    for (const p of this.pending.values()) p.reject(new AjamError('client closed', 'closed'));
    this.pending.clear();
    this.setState('closed');
    if (opts.logoff !== false && this.token === undefined) {
      await this.httpRaw({ Action: 'Logoff' }, null).catch(() => {});
    }
    this.firstLive?.reject(new AjamError('client closed', 'closed'));
  }

  // ---- connection loop ------------------------------------------------------------------------

  async run() {
    if (this.token === undefined) await this.login();
    while (!this.closed) {
      const t = this.pickTransport();
      this.transport = t;
      this.setState('connecting');
      let wentLive = false;
      const onLive = () => {
        wentLive = true;
        this.attempt = 0;
        this.failures.set(t, 0);
        this.setState('live');
        // Between a sequence-numbered stream and long-polling nothing can be replayed: say so, in
        // the proxy's own words, so a page reads its state again.
        const was = this.lastLiveTransport;
        this.lastLiveTransport = t;
        if (was !== undefined && was !== t && (was === 'longpoll' || t === 'longpoll')) {
          this.deliver({ Event: 'EventsLost', Count: 'unknown', Reason: `transport changed from ${was} to ${t}` }, undefined);
        }
        this.firstLive?.resolve();
        this.firstLive = undefined;
      };
      let err;
      try {
        if (t === 'websocket') await this.runWebSocket(onLive);
        else if (t === 'sse') await this.runSse(onLive);
        else await this.runLongPoll(onLive);
      } catch (e) {
        err = e;
      }
      if (this.closed) return;
      this.lastError = err;
      if (err?.code === 'auth' || !(await this.sessionAlive())) {
        // The session expired or was logged off: log in again; a wrong secret now ends here.
        if (this.token !== undefined) throw err ?? new AjamError('bearer token refused', 'auth');
        await this.login();
        if (!wentLive) continue;
      } else if (!wentLive) {
        const n = (this.failures.get(t) ?? 0) + 1;
        this.failures.set(t, n);
        // A 404 says the proxy does not serve this transport at all: no second try.
        if (n >= FAILURES_BEFORE_FALLBACK || err?.status === 404) {
          this.heldUntil.set(t, Date.now() + FALLBACK_HOLD_MS);
          this.failures.set(t, 0);
          // Falling back to another transport needs no wait.
          if (this.pickTransport() !== t) continue;
        }
      }
      const delay = this.backoff();
      this.setState('retrying', { retryInMs: delay, error: err });
      await sleep(delay, this.stop.signal);
    }
  }

  pickTransport() {
    const now = Date.now();
    const usable = this.transports.filter((t) => {
      if (t === 'websocket') {
        // A browser cannot put a bearer token on a WebSocket upgrade.
        if (typeof this.WebSocketImpl !== 'function') return false;
        if (this.token !== undefined && globalThis.document !== undefined) return false;
      }
      return true;
    });
    if (usable.length === 0) throw new AjamError('no usable transport', 'protocol');
    return usable.find((t) => (this.heldUntil.get(t) ?? 0) <= now) ?? usable[usable.length - 1];
  }

  backoff() {
    const base = Math.min(this.retryMaxMs, this.retryFirstMs * 2 ** this.attempt++);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  setState(state, extra = {}) {
    this.state = state;
    const info = { state, transport: this.transport, retryInMs: extra.retryInMs, error: extra.error };
    for (const h of this.statusHandlers) {
      try { h(info); } catch (e) { reportHandlerError(e); }
    }
  }

  fail(err) {
    this.lastError = err;
    if (!this.closed) {
      this.closed = true;
      this.stop.abort();
      this.setState('closed', { error: err });
    }
    this.firstLive?.reject(err);
    this.firstLive = undefined;
  }

  deliver(event, seq) {
    if (seq !== undefined) {
      // A resumed stream may overlap what was already delivered: the sequence number says so.
      if (this.lastSeq !== undefined && seq <= this.lastSeq) return;
      this.lastSeq = seq;
    }
    this.eventCount++;
    const name = String(field(event, 'Event') ?? '').toLowerCase();
    for (const key of [name, '*']) {
      const set = this.handlers.get(key);
      if (set === undefined) continue;
      for (const h of set) {
        try { h(event, seq); } catch (e) { reportHandlerError(e); }
      }
    }
  }

  // ---- HTTP (/json, or /rawman where there is no /json) -------------------------------------

  headers(extra = {}) {
    const h = { ...extra };
    if (this.token !== undefined) h.Authorization = `Bearer ${this.token}`;
    else if (this.cookie !== '') h.Cookie = this.cookie;
    return h;
  }

  /** POSTs one action; resolves with its messages. */
  async http(fields, signal) {
    const res = await this.httpRaw(fields, signal);
    if (res.status === 401 || res.status === 403) throw new AjamError(`HTTP ${res.status}`, 'auth');
    if (res.status !== 200) throw new AjamError(`HTTP ${res.status}`, 'http');
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    return type.includes('json') ? JSON.parse(text) : parseRawman(text);
  }

  /** `signal`: null for none (the Logoff of close(), after the stop signal fired). */
  async httpRaw(fields, signal) {
    const body = new URLSearchParams(fields).toString();
    const send = () => this.fetchImpl(new URL(this.httpPath, this.base), {
      method: 'POST',
      body,
      headers: this.headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: signal === null ? undefined : (signal ?? this.stop.signal),
    });
    let res;
    try {
      res = await send();
      if (res.status === 404 && this.httpPath === 'json') {
        // Asterisk's own AJAM (or an older proxy): rawman has the same actions.
        this.httpPath = 'rawman';
        res = await send();
      }
    } catch (e) {
      throw new AjamError(`network error: ${e?.message ?? e}`, 'network');
    }
    this.keepCookie(res);
    return res;
  }

  /** Node's fetch keeps no cookies: remember the session cookie (a browser does it itself). */
  keepCookie(res) {
    const all = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [res.headers.get('set-cookie') ?? ''];
    for (const c of all) {
      const m = /(?:^|[\s,;])mansession_id=("?[0-9a-fA-F]+"?)/.exec(c);
      if (m !== null) this.cookie = `mansession_id=${m[1]}`;
    }
  }

  async login() {
    if (this.username === undefined) {
      // session: true has no secret to log in again with.
      if (!(await this.sessionAlive())) throw new AjamError('Permission denied: no logged-in session', 'auth');
      return;
    }
    let reply;
    for (;;) {
      try {
        // Events: off: the session stores nothing until a long-poll asks for events.
        reply = await this.http({ Action: 'Login', Username: this.username, Secret: this.secret, Events: 'off' });
        break;
      } catch (err) {
        if (this.closed) throw new AjamError('client closed', 'closed');
        if (err.code === 'auth') throw err;
        const delay = this.backoff();
        this.setState('retrying', { retryInMs: delay, error: err });
        await sleep(delay, this.stop.signal);
      }
    }
    const first = reply[0];
    if (field(first, 'Response') !== 'Success') {
      throw new AjamError(String(field(first, 'Message') ?? 'Authentication failed'), 'auth');
    }
  }

  /** After a transport failed: is the HTTP session still good? (A network error counts as yes.) */
  async sessionAlive() {
    if (this.token !== undefined || this.closed) return true;
    try {
      const [r] = await this.http({ Action: 'Ping' });
      return !(field(r, 'Response') === 'Error' && field(r, 'Message') === 'Permission denied');
    } catch (err) {
      return err.code !== 'auth';
    }
  }

  // ---- WebSocket ------------------------------------------------------------------------------

  runWebSocket(onLive) {
    return new Promise((resolve, reject) => {
      const u = new URL('ws', this.base);
      u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
      if (this.lastSeq !== undefined) u.searchParams.set('since', String(this.lastSeq));
      if (this.eventClasses !== undefined) u.searchParams.set('events', this.eventClasses);
      const h = this.headers();
      let ws;
      try {
        // Browsers send the session cookie themselves; Node (the `ws` package) takes headers.
        ws = Object.keys(h).length > 0 && globalThis.document === undefined ? new this.WebSocketImpl(u.href, { headers: h }) : new this.WebSocketImpl(u.href);
      } catch (e) {
        reject(new AjamError(`WebSocket: ${e?.message ?? e}`, 'network'));
        return;
      }
      this.ws = ws;
      this.wsLive = false;
      const probe = `ajc-${++this.ids}`;
      let keepalive;
      const onAbort = () => ws.close(1000, 'bye');
      this.stop.signal.addEventListener('abort', onAbort, { once: true });
      ws.onopen = () => {
        // Live once the proxy answers: an open socket alone proves little (auth may still fail).
        ws.send(JSON.stringify({ Action: 'Ping', ActionID: probe }));
      };
      ws.onmessage = (e) => {
        let f;
        try {
          f = JSON.parse(typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data));
        } catch {
          return;
        }
        if (f.seq !== undefined && f.event !== undefined) this.deliver(f.event, f.seq);
        else if (f.actionid === probe) {
          const r = f.messages?.[0];
          if (field(r, 'Response') === 'Success') {
            this.wsLive = true;
            if (this.token === undefined) {
              keepalive = setInterval(() => { void this.http({ Action: 'Ping' }).catch(() => {}); }, this.sessionKeepaliveMs);
            }
            onLive();
          } else ws.close(1000, 'probe refused');
        } else if (f.actionid !== undefined) this.settle(f.actionid, f.messages ?? []);
      };
      ws.onerror = () => {};
      ws.onclose = (e) => {
        clearInterval(keepalive);
        this.stop.signal.removeEventListener('abort', onAbort);
        this.ws = null;
        this.wsLive = false;
        for (const [id, p] of this.pending) {
          if (p.viaWs) {
            this.pending.delete(id);
            p.reject(new AjamError('connection lost before the reply', 'network'));
          }
        }
        // Whether the session is still good is asked over HTTP by the loop (a 1008 may also mean
        // this socket read too slowly).
        if (e.code === 1000 || this.closed) resolve();
        else reject(new AjamError(`WebSocket closed (${e.code}${e.reason ? ': ' + e.reason : ''})`, 'network'));
      };
    });
  }

  wsAction(id, fields) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AjamError('no reply in time', 'timeout'));
      }, this.actionTimeoutMs);
      this.pending.set(id, {
        viaWs: true,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.ws.send(JSON.stringify(fields));
    });
  }

  settle(id, messages) {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.resolve(messages);
  }

  // ---- Server-Sent Events (fetch-read, so headers can be sent) -------------------------------

  async runSse(onLive) {
    const u = new URL('events', this.base);
    if (this.eventClasses !== undefined) u.searchParams.set('events', this.eventClasses);
    const extra = { Accept: 'text/event-stream' };
    if (this.lastSeq !== undefined) extra['Last-Event-ID'] = String(this.lastSeq);
    let res;
    try {
      res = await this.fetchImpl(u, { headers: this.headers(extra), credentials: 'same-origin', cache: 'no-store', signal: this.stop.signal });
    } catch (e) {
      throw new AjamError(`network error: ${e?.message ?? e}`, 'network');
    }
    if (res.status === 401 || res.status === 403) throw new AjamError(`HTTP ${res.status}`, 'auth');
    if (res.status !== 200 || res.body == null || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      await res.body?.cancel().catch(() => {});
      const err = new AjamError(`SSE: HTTP ${res.status}`, 'http');
      err.status = res.status;
      throw err;
    }
    onLive();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let id;
    let data = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buf.search(/\r\n|\n|\r/)) !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (data.length > 0) {
              let ev;
              try { ev = JSON.parse(data.join('\n')); } catch { ev = undefined; }
              if (ev !== undefined) this.deliver(ev, id === undefined || id === '' ? undefined : Number(id));
            }
            data = [];
            id = undefined;
            continue;
          }
          if (line.startsWith(':')) continue; // heartbeat
          const c = line.indexOf(':');
          const name = c === -1 ? line : line.slice(0, c);
          const value = c === -1 ? '' : line.slice(c + 1).replace(/^ /, '');
          if (name === 'data') data.push(value);
          else if (name === 'id') id = value;
        }
      }
    } catch (e) {
      if (this.closed) return;
      throw new AjamError(`SSE stream: ${e?.message ?? e}`, 'network');
    }
    if (!this.closed) throw new AjamError('SSE stream ended', 'network');
  }

  // ---- WaitEvent long-poll --------------------------------------------------------------------

  async runLongPoll(onLive) {
    // The session's own cursor carries the position from here on; sequence numbers are not sent
    // on this path, so a later WebSocket/SSE stream starts from now.
    this.lastSeq = undefined;
    if (this.eventClasses !== undefined) await this.pollOnce({ Action: 'Events', EventMask: this.eventClasses });
    await this.pollOnce({ Action: 'WaitEvent', Timeout: '0' });
    onLive();
    while (!this.closed) await this.pollOnce({ Action: 'WaitEvent', Timeout: String(LONGPOLL_TIMEOUT_S) });
  }

  async pollOnce(fields) {
    const msgs = await this.http(fields);
    const first = msgs[0];
    if (field(first, 'Response') === 'Error') {
      const why = String(field(first, 'Message') ?? 'error');
      throw new AjamError(why, why === 'Permission denied' ? 'auth' : 'protocol');
    }
    if (fields.Action !== 'WaitEvent') return;
    for (const m of msgs) {
      const ev = field(m, 'Event');
      if (ev !== undefined && field(m, 'Response') === undefined && ev !== 'WaitEventComplete') this.deliver(m, undefined);
    }
  }
}

function reportHandlerError(e) {
  // A bug in one handler must not stop the stream for the others.
  console.error('ajam-client: handler failed:', e);
}
