// The wallboard page: QueueStatus for the start, Queue*/Agent* events after, one card per queue.
import { $, el, duration, field, initSession, whileTracking } from './common.js';

const HOUR_MINUTES = 60;
const SVG_NS = 'http://www.w3.org/2000/svg';
/** Waits at or past the service level (or this, where a queue has none) turn amber, twice that red. */
const DEFAULT_TARGET_S = 30;

// app_queue's device states (QueueMemberStatus Status).
const DEVICE_UNKNOWN = 0;
const DEVICE_NOT_INUSE = 1;
const DEVICE_INVALID = 4;
const DEVICE_UNAVAILABLE = 5;
const DEVICE_RINGING = 6;

const ui = {
  conn: $('conn'), who: $('who'), logoff: $('logoff'), login: $('login'), board: $('board'),
  outage: $('outage'), info: $('status-info'), queues: $('queues'), clock: $('clock'),
};

/** name -> queue model */
const queues = new Map();
// Callers joining or leaving while a QueueStatus is in flight (one tracker per request in flight).
const inFlight = new Set();

function newQueue(name) {
  return {
    name, serviceLevel: 0, completed: 0, abandoned: 0, inSl: 0,
    // Counts at the last local midnight this page saw: answered/abandoned show "today" from then.
    base: { completed: 0, abandoned: 0, inSl: 0 },
    callers: new Map(), // Uniqueid -> joined at (ms)
    members: new Map(), // Interface -> { name, status, paused, inCall }
    minutes: new Map(), // minute number -> { answered, abandoned }
    card: null,
  };
}

function queueOf(ev) {
  const name = field(ev, 'Queue');
  if (name === undefined || name === '') return undefined;
  let q = queues.get(name);
  if (q === undefined) {
    q = newQueue(name);
    queues.set(name, q);
  }
  return q;
}

// ---- session --------------------------------------------------------------------------------

const session = initSession({
  ui,
  outageText: 'Asterisk is unreachable: the proxy is reconnecting. Numbers may be stale until it is back.',
  onEvent,
  onStart: readQueues,
  onUpstreamBack: readQueues,
  onEnd: () => {},
});

async function readQueues() {
  const c = session.client;
  if (c === null) return;
  await whileTracking(inFlight, { joined: new Set(), left: new Set() }, (track) => readQueueStatus(c, track));
}

async function readQueueStatus(c, track) {
  const items = await session.readList(c, 'QueueStatus', ui.info);
  if (items === null) return;
  const now = Date.now();
  const fresh = new Map();
  for (const m of items) {
    const ev = field(m, 'Event');
    const name = field(m, 'Queue');
    if (name === undefined) continue;
    let q = fresh.get(name);
    if (q === undefined) {
      q = newQueue(name);
      const old = queues.get(name);
      if (old !== undefined) {
        q.minutes = old.minutes;
        q.base = old.base;
        q.card = old.card;
        // Callers who joined while the snapshot was on its way are still waiting.
        for (const [id, at] of old.callers) if (track.joined.has(id)) q.callers.set(id, at);
      }
      fresh.set(name, q);
    }
    if (ev === 'QueueParams') {
      q.serviceLevel = Number(field(m, 'ServiceLevel') ?? 0);
      q.completed = Number(field(m, 'Completed') ?? 0);
      q.abandoned = Number(field(m, 'Abandoned') ?? 0);
      q.inSl = Math.round((Number(field(m, 'ServicelevelPerf') ?? 0) * q.completed) / 100);
      // Counters below the midnight baseline: someone ran QueueReset (a midnight cron job): start from zero.
      if (q.completed < q.base.completed || q.abandoned < q.base.abandoned) q.base = { completed: 0, abandoned: 0, inSl: 0 };
    } else if (ev === 'QueueMember') {
      q.members.set(field(m, 'Location') ?? field(m, 'Name'), {
        name: field(m, 'Name') ?? '', status: Number(field(m, 'Status') ?? 0), paused: field(m, 'Paused') === '1', inCall: field(m, 'InCall') === '1',
      });
    } else if (ev === 'QueueEntry') {
      const id = field(m, 'Uniqueid') ?? field(m, 'Channel');
      if (!track.left.has(id)) q.callers.set(id, now - Number(field(m, 'Wait') ?? 0) * 1000);
    }
  }
  for (const [name, q] of queues) if (!fresh.has(name)) q.card?.remove();
  queues.clear();
  for (const [name, q] of [...fresh].sort((a, b) => a[0].localeCompare(b[0]))) queues.set(name, q);
  ui.info.textContent = queues.size === 0 ? 'No queues configured.' : '';
  ui.info.hidden = queues.size > 0;
  render();
}

// ---- events ---------------------------------------------------------------------------------

function minuteBucket(q) {
  const m = Math.floor(Date.now() / 60000);
  let b = q.minutes.get(m);
  if (b === undefined) {
    b = { answered: 0, abandoned: 0 };
    q.minutes.set(m, b);
    for (const k of q.minutes.keys()) if (k <= m - HOUR_MINUTES) q.minutes.delete(k);
  }
  return b;
}

function upsertMember(q, ev) {
  const iface = field(ev, 'Interface') ?? field(ev, 'MemberName');
  const m = q.members.get(iface) ?? { name: '', status: 0, paused: false, inCall: false };
  m.name = field(ev, 'MemberName') ?? m.name;
  if (field(ev, 'Status') !== undefined) m.status = Number(field(ev, 'Status'));
  if (field(ev, 'Paused') !== undefined) m.paused = field(ev, 'Paused') === '1';
  if (field(ev, 'InCall') !== undefined) m.inCall = field(ev, 'InCall') === '1';
  q.members.set(iface, m);
}

function onEvent(ev) {
  const name = String(field(ev, 'Event') ?? '');
  if (name === 'EventsLost') {
    void readQueues();
    return;
  }
  if (!/^(Queue|Agent)/.test(name)) return;
  const q = queueOf(ev);
  if (q === undefined) return;
  const id = field(ev, 'Uniqueid') ?? field(ev, 'Channel');
  switch (name) {
    case 'QueueCallerJoin':
      q.callers.set(id, Date.now());
      for (const t of inFlight) t.joined.add(id);
      break;
    case 'QueueCallerLeave':
      q.callers.delete(id);
      for (const t of inFlight) t.left.add(id);
      break;
    case 'QueueCallerAbandon':
      q.abandoned++;
      minuteBucket(q).abandoned++;
      break;
    case 'AgentConnect':
      minuteBucket(q).answered++;
      break;
    case 'AgentComplete':
      // app_queue counts a call completed when it ends, in the service level if answered in time.
      q.completed++;
      if (Number(field(ev, 'HoldTime') ?? 0) <= q.serviceLevel) q.inSl++;
      break;
    case 'QueueMemberStatus':
    case 'QueueMemberAdded':
    case 'QueueMemberPause':
    case 'QueueMemberPenalty':
    case 'QueueMemberRinginuse':
      upsertMember(q, ev);
      break;
    case 'QueueMemberRemoved':
      q.members.delete(field(ev, 'Interface'));
      break;
    default:
      return;
  }
  if (q.card === null) render();
  else renderQueue(q);
}

// ---- rendering ------------------------------------------------------------------------------

/** QueueSummary's rules: logged in unless unavailable/invalid; available = free device, not paused. */
function counts(q) {
  let available = 0, busy = 0, paused = 0;
  for (const m of q.members.values()) {
    if (m.status === DEVICE_UNAVAILABLE || m.status === DEVICE_INVALID) continue;
    if (m.paused) paused++;
    else if (m.status === DEVICE_NOT_INUSE || m.status === DEVICE_UNKNOWN) available++;
    else busy++;
  }
  return { available, busy, paused };
}

function memberState(m) {
  if (m.status === DEVICE_UNAVAILABLE || m.status === DEVICE_INVALID) return 'offline';
  if (m.paused) return 'paused';
  if (m.status === DEVICE_NOT_INUSE || m.status === DEVICE_UNKNOWN) return 'available';
  return m.status === DEVICE_RINGING ? 'ringing' : 'busy';
}

function longestWait(q) {
  let first = Infinity;
  for (const at of q.callers.values()) first = Math.min(first, at);
  return first === Infinity ? 0 : (Date.now() - first) / 1000;
}

function level(seconds, q) {
  const target = q.serviceLevel > 0 ? q.serviceLevel : DEFAULT_TARGET_S;
  return seconds >= 2 * target ? 'bad' : seconds >= target ? 'warn' : 'ok';
}

const TILES = [
  ['waiting', 'Waiting'], ['longest', 'Longest wait'], ['available', 'Available'], ['busy', 'Busy'],
  ['paused', 'Paused'], ['answered', 'Answered'], ['abandoned', 'Abandoned'], ['sl', 'Service level'],
];

function buildCard(q) {
  const card = el('article', null, { class: 'queue', 'data-queue': q.name, 'aria-label': `Queue ${q.name}` });
  const h = el('h2', q.name);
  h.append(el('span', '', { class: 'sl-target' }));
  card.append(h);
  const tiles = el('div', null, { class: 'tiles' });
  for (const [key, label] of TILES) {
    const tile = el('div', null, { class: `tile ${key}` });
    tile.append(el('div', label, { class: 'label', id: `${q.name}-${key}-label` }));
    tile.append(el('div', '0', { class: 'value', 'data-field': key, 'aria-labelledby': `${q.name}-${key}-label` }));
    tiles.append(tile);
  }
  card.append(tiles);
  card.append(el('ul', null, { class: 'agents', 'aria-label': `Agents of ${q.name}` }));
  const chart = el('div', null, { class: 'chart' });
  chart.append(el('h3', 'Calls per minute, last hour'));
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 600 101');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  chart.append(svg);
  const axis = el('div', null, { class: 'axis-labels', 'aria-hidden': 'true' });
  axis.append(el('span', '−60 min'), el('span', '−30 min'), el('span', 'now'));
  chart.append(axis);
  const legend = el('div', null, { class: 'legend' });
  legend.append(el('span', 'answered', { class: 'k-answered' }), el('span', 'abandoned', { class: 'k-abandoned' }));
  chart.append(legend);
  card.append(chart);
  return card;
}

function setValue(card, key, text) {
  const v = card.querySelector(`[data-field="${key}"]`);
  if (v.textContent !== text) v.textContent = text;
  return v;
}

function renderQueue(q) {
  if (q.card === null) {
    q.card = buildCard(q);
    ui.queues.append(q.card);
  }
  const card = q.card;
  const c = counts(q);
  const wait = longestWait(q);
  card.querySelector('.sl-target').textContent = q.serviceLevel > 0 ? `service level target ${q.serviceLevel} s` : '';
  setValue(card, 'waiting', String(q.callers.size)).parentElement.dataset.level = q.callers.size === 0 ? 'ok' : level(wait, q);
  setValue(card, 'longest', duration(wait)).parentElement.dataset.level = level(wait, q);
  setValue(card, 'available', String(c.available));
  setValue(card, 'busy', String(c.busy));
  setValue(card, 'paused', String(c.paused));
  const done = q.completed - q.base.completed;
  setValue(card, 'answered', String(done));
  setValue(card, 'abandoned', String(q.abandoned - q.base.abandoned));
  setValue(card, 'sl', done > 0 ? `${((100 * (q.inSl - q.base.inSl)) / done).toFixed(0)}%` : '—');
  const agents = card.querySelector('.agents');
  const chips = [...q.members.values()].sort((a, b) => a.name.localeCompare(b.name)).map((m) => {
    const s = memberState(m);
    return el('li', `${m.name} · ${s}`, { 'data-status': s });
  });
  agents.replaceChildren(...chips);
  renderChart(q);
}

function renderChart(q) {
  const svg = q.card.querySelector('svg');
  const now = Math.floor(Date.now() / 60000);
  let max = 1;
  for (let i = 0; i < HOUR_MINUTES; i++) {
    const b = q.minutes.get(now - HOUR_MINUTES + 1 + i);
    if (b !== undefined) max = Math.max(max, b.answered + b.abandoned);
  }
  const H = 100, W = 600, bw = W / HOUR_MINUTES;
  const parts = [];
  const rect = (x, y, w, h, cls) => {
    const r = document.createElementNS(SVG_NS, 'rect');
    r.setAttribute('x', x.toFixed(1)); r.setAttribute('y', y.toFixed(1));
    r.setAttribute('width', w.toFixed(1)); r.setAttribute('height', h.toFixed(1));
    r.setAttribute('class', cls);
    return r;
  };
  let total = 0, lost = 0;
  for (let i = 0; i < HOUR_MINUTES; i++) {
    const b = q.minutes.get(now - HOUR_MINUTES + 1 + i);
    if (b === undefined) continue;
    total += b.answered;
    lost += b.abandoned;
    const ha = (b.answered / max) * H, hb = (b.abandoned / max) * H;
    const x = i * bw + 1;
    if (ha > 0) parts.push(rect(x, H - ha, bw - 2, ha, 'answered'));
    if (hb > 0) parts.push(rect(x, H - ha - hb, bw - 2, hb, 'abandoned'));
  }
  const axis = document.createElementNS(SVG_NS, 'line');
  axis.setAttribute('x1', '0'); axis.setAttribute('x2', String(W)); axis.setAttribute('y1', String(H + 0.5)); axis.setAttribute('y2', String(H + 0.5));
  axis.setAttribute('class', 'axis');
  parts.push(axis);
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = `Last hour in ${q.name}: ${total} answered, ${lost} abandoned (peak ${max} per minute)`;
  parts.unshift(title);
  svg.replaceChildren(...parts);
}

function render() {
  for (const q of queues.values()) renderQueue(q);
}

/** At local midnight the day's counts start again (and QueueStatus is read a minute later, after any cron QueueReset). */
let today = new Date().toDateString();
function midnight() {
  const d = new Date().toDateString();
  if (d === today) return;
  today = d;
  for (const q of queues.values()) q.base = { completed: q.completed, abandoned: q.abandoned, inSl: q.inSl };
  render();
  setTimeout(() => void readQueues(), 60000);
}

// Longest waits and the clock tick each second; charts move on each minute.
setInterval(() => {
  midnight();
  ui.clock.textContent = new Date().toLocaleTimeString();
  for (const q of queues.values()) {
    if (q.card === null) continue;
    const wait = longestWait(q);
    setValue(q.card, 'longest', duration(wait)).parentElement.dataset.level = level(wait, q);
    setValue(q.card, 'waiting', String(q.callers.size)).parentElement.dataset.level = q.callers.size === 0 ? 'ok' : level(wait, q);
    if (new Date().getSeconds() === 0) renderChart(q);
  }
}, 1000);
