// What the console and the wallboard share: the theme button, the login form (or the session the
// other page already opened), the connection badge, and text helpers. Server text only ever goes
// into the page as textContent.
import { connect, field } from './ajam-client.js';

export { field };

export const $ = (id) => document.getElementById(id);

/** Base URL of the proxy: the folder above /static/, so a prefix works unchanged. */
export const PROXY_URL = new URL('..', location.href).href;

const THEME_KEY = 'ajam-theme';

/** The theme button cycles system → dark → light; the choice is kept in localStorage. */
export function initTheme(button) {
  const apply = (t) => {
    if (t === 'dark' || t === 'light') document.documentElement.dataset.theme = t;
    else delete document.documentElement.dataset.theme;
    button.textContent = `Theme: ${t === 'dark' || t === 'light' ? t : 'system'}`;
  };
  let theme = localStorage.getItem(THEME_KEY) ?? 'system';
  apply(theme);
  button.addEventListener('click', () => {
    theme = theme === 'system' ? 'dark' : theme === 'dark' ? 'light' : 'system';
    localStorage.setItem(THEME_KEY, theme);
    apply(theme);
  });
}

const TRANSPORT_NAMES = { websocket: 'WebSocket', sse: 'SSE', longpoll: 'long-poll' };

/** Connection badge: state and transport in words, data-state for the dot's colour and for tests. */
export function showConnection(el, info) {
  el.dataset.state = info.state;
  el.dataset.transport = info.transport ?? '';
  const via = info.transport ? ` via ${TRANSPORT_NAMES[info.transport]}` : '';
  if (info.state === 'live') el.textContent = `live${via}`;
  else if (info.state === 'connecting') el.textContent = `connecting${via}…`;
  else if (info.state === 'retrying') {
    const why = info.error?.message ? `${info.error.message}; ` : '';
    el.textContent = `${why}retry in ${(info.retryInMs / 1000).toFixed(1)} s`;
  } else el.textContent = 'not connected';
}

/** Transports a page may use: `?transports=sse,longpoll` narrows them (for trying a fallback). */
export function transportsFromQuery() {
  const q = new URLSearchParams(location.search).get('transports');
  if (q === null) return undefined;
  const list = q.split(',').filter((t) => t in TRANSPORT_NAMES);
  return list.length > 0 ? list : undefined;
}

const USER_KEY = 'ajam-user';

/**
 * Wires the login form. `onClient(client, username)` runs once logged in; `onLoggedOut(message)`
 * when the session ends. A session opened by the other page is reused without asking.
 */
export function initLogin({ form, username, secret, button, message, onClient, onStatus }) {
  const transports = transportsFromQuery();
  const start = async (opts, name) => {
    button.disabled = true;
    message.classList.remove('error');
    message.textContent = opts.session ? 'Resuming session…' : 'Logging in…';
    try {
      const client = await connect({ url: PROXY_URL, transports, onStatus: (info) => onStatus?.(info), ...opts });
      sessionStorage.setItem(USER_KEY, name);
      message.textContent = '';
      onClient(client, name);
      return true;
    } catch (err) {
      message.textContent = opts.session ? '' : (err?.message ?? String(err));
      if (!opts.session) message.classList.add('error');
      return false;
    } finally {
      button.disabled = false;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = username.value.trim();
    void start({ username: name, secret: secret.value }, name).then((ok) => {
      if (ok) secret.value = '';
    });
  });
  const known = sessionStorage.getItem(USER_KEY);
  if (known !== null) void start({ session: true }, known);
}

export function forgetUser() {
  sessionStorage.removeItem(USER_KEY);
}

/**
 * The session both pages run: theme button, login form, connection badge, the board shown while
 * logged in, the outage banner while Asterisk is away, the log-off button, and the way back to the
 * login form when the session ends. `onStart(client)` reads the page's first snapshot;
 * `onUpstreamBack()` reads it again after an outage; `onEnd()` clears what the page shows.
 * `ui` holds the elements conn, who, logoff, login, board and outage. Returns the session, whose
 * `client` is null while logged out.
 */
export function initSession({ ui, outageText, onEvent, onStart, onUpstreamBack, onEnd }) {
  const session = { client: null, readList };

  async function start(c, name) {
    session.client = c;
    ui.who.textContent = name;
    ui.login.hidden = true;
    ui.board.hidden = false;
    ui.logoff.hidden = false;
    showConnection(ui.conn, { state: c.state, transport: c.transport });
    c.onStatus((info) => {
      showConnection(ui.conn, info);
      if (info.state === 'closed' && session.client === c) endSession(info.error?.message ?? 'Disconnected');
    });
    c.on('*', onEvent);
    watchUpstream(c, {
      onDown: () => {
        ui.outage.textContent = outageText;
        ui.outage.hidden = false;
      },
      onUp: () => {
        ui.outage.hidden = true;
        void onUpstreamBack();
      },
    });
    await onStart(c);
  }

  function endSession(message) {
    const c = session.client;
    session.client = null;
    forgetUser();
    if (c !== null) void c.close({ logoff: false });
    onEnd();
    ui.board.hidden = true;
    ui.logoff.hidden = true;
    ui.login.hidden = false;
    ui.who.textContent = '';
    const msg = $('login-msg');
    msg.textContent = message;
    msg.classList.toggle('error', /denied|expired|failed/i.test(message));
    $('username').focus();
  }

  /**
   * Sends a list action (Status, QueueStatus) for the snapshot: its items, or null when it failed
   * (the reason goes into `info`) or the session changed meanwhile.
   */
  async function readList(c, action, info) {
    let items;
    try {
      items = await c.action({ Action: action });
    } catch (err) {
      info.textContent = `${action} failed: ${err.message}`;
      return null;
    }
    if (session.client !== c) return null;
    if (field(items[0], 'Response') !== 'Success') {
      info.textContent = `${action}: ${field(items[0], 'Message') ?? 'error'}`;
      return null;
    }
    return items;
  }

  initTheme($('theme'));
  initLogin({
    form: $('login-form'), username: $('username'), secret: $('secret'), button: $('login-button'), message: $('login-msg'),
    onClient: start,
    onStatus: (info) => showConnection(ui.conn, info),
  });
  ui.logoff.addEventListener('click', async () => {
    const c = session.client;
    session.client = null;
    forgetUser();
    await c?.close();
    endSession('Logged off.');
  });
  return session;
}

/**
 * Reads a snapshot while `track` collects what events change meanwhile, so the snapshot does not
 * undo them. `inFlight` holds one tracker per read in flight (an outage and an EventsLost may both
 * ask for one).
 */
export async function whileTracking(inFlight, track, read) {
  inFlight.add(track);
  try {
    await read(track);
  } finally {
    inFlight.delete(track);
  }
}

/** `h:mm:ss` or `m:ss`. */
export function duration(sec) {
  const s = Math.max(0, Math.floor(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** One element with text (never markup). */
export function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** Names of the outage events the proxy sends when its AMI link drops and comes back. */
export const OUTAGE_DOWN = ['ProxyAMIDown'];
export const OUTAGE_UP = ['ProxyAMIUp'];
/** How often a page asks (Ping) whether Asterisk is reachable behind the proxy. */
const UPSTREAM_PING_MS = 5000;

/**
 * Tells the page when Asterisk (behind the proxy) goes away and comes back: at once from the
 * proxy's outage events, and from a Ping every few seconds, whose `AMI not connected` error says
 * the same where no such event arrives. The page's own stream to the proxy stays up meanwhile.
 */
export function watchUpstream(client, { onDown, onUp }) {
  let down = false;
  const set = (d) => {
    if (d === down) return;
    down = d;
    if (d) onDown();
    else onUp();
  };
  client.on('*', (ev) => {
    const name = field(ev, 'Event');
    if (OUTAGE_DOWN.includes(name)) set(true);
    else if (OUTAGE_UP.includes(name)) set(false);
  });
  const timer = setInterval(async () => {
    if (client.state !== 'live') return;
    try {
      const [r] = await client.action({ Action: 'Ping' });
      if (field(r, 'Response') === 'Success') set(false);
      else if (/not connected|connection lost/i.test(field(r, 'Message') ?? '')) set(true);
    } catch {
      // The page's own connection is the trouble: the connection badge shows that.
    }
  }, UPSTREAM_PING_MS);
  client.onStatus((info) => {
    if (info.state === 'closed') clearInterval(timer);
  });
}
