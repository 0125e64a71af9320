// The console page: login, channels from Status then events, actions where allowed, event log.
import { $, el, duration, field, initSession, whileTracking } from './common.js';

const LOG_MAX = 300;
// Fields shown first in a log line; the rest follow in header order.
const LEAD = ['Channel', 'ChannelStateDesc', 'Queue', 'MemberName', 'Exten', 'Application', 'AppData', 'Variable', 'Value',
  'Cause-txt', 'DialStatus', 'Device', 'State', 'UserEvent', 'Count', 'Reason'];
const SKIP = new Set(['event', 'privilege']);

const ui = {
  conn: $('conn'), who: $('who'), logoff: $('logoff'), login: $('login'), board: $('board'),
  outage: $('outage'), lost: $('lost'), channels: $('channels'), channelCount: $('channel-count'),
  statusInfo: $('status-info'), log: $('log'), eventCount: $('event-count'), filter: $('log-filter'),
  pause: $('log-pause'), clear: $('log-clear'), originateForm: $('originate-form'), origMsg: $('orig-msg'),
  dialog: $('redirect-dialog'), actionsHead: $('actions-head'),
};

/** Uniqueid -> channel row model. */
const channels = new Map();
let allowed = { hangup: false, redirect: false, originate: false };
let paused = false;
let eventCount = 0;
let lostTotal = 0;
let redirectTarget = null;
// Channel changes seen while a Status is in flight: its snapshot must not undo them.
const inFlight = new Set();

// ---- session --------------------------------------------------------------------------------

const session = initSession({
  ui,
  outageText: 'Asterisk is unreachable: the proxy lost its AMI connection and is reconnecting. Events resume when it is back.',
  onEvent,
  onStart: async (c) => {
    await readPermissions(c);
    await refreshStatus();
  },
  onUpstreamBack: refreshStatus,
  onEnd: () => {
    channels.clear();
    renderChannels();
  },
});

/** ListCommands lists only what this user may run (the proxy filters it per user, as Asterisk). */
async function readPermissions(c) {
  let names = new Set();
  try {
    const [r] = await c.action({ Action: 'ListCommands' });
    names = new Set(Object.keys(r ?? {}).map((k) => k.toLowerCase()));
  } catch {
    // No list: offer nothing; the proxy refuses what is not allowed in any case.
  }
  allowed = { hangup: names.has('hangup'), redirect: names.has('redirect'), originate: names.has('originate') };
  ui.originateForm.hidden = !allowed.originate;
  ui.actionsHead.textContent = allowed.hangup || allowed.redirect ? 'Actions' : '';
  renderChannels();
}

// ---- channels -------------------------------------------------------------------------------

function keyOf(ev) {
  return field(ev, 'Uniqueid') ?? field(ev, 'Channel') ?? '';
}

function update(row, ev) {
  const set = (prop, name) => {
    const v = field(ev, name);
    if (v !== undefined) row[prop] = v;
  };
  set('channel', 'Channel');
  set('state', 'ChannelStateDesc');
  set('cidNum', 'CallerIDNum');
  set('cidName', 'CallerIDName');
  set('exten', 'Exten');
  set('context', 'Context');
}

async function refreshStatus() {
  const c = session.client;
  if (c === null) return;
  await whileTracking(inFlight, { gone: new Set(), born: new Set() }, (track) => readStatus(c, track));
}

async function readStatus(c, track) {
  const items = await session.readList(c, 'Status', ui.statusInfo);
  if (items === null) return;
  const seen = new Set();
  const now = Date.now();
  for (const m of items) {
    if (field(m, 'Event') !== 'Status') continue;
    const k = keyOf(m);
    if (track.gone.has(k)) continue;
    seen.add(k);
    let row = channels.get(k);
    if (row === undefined) {
      row = { since: now - Number(field(m, 'Seconds') ?? 0) * 1000 };
      channels.set(k, row);
    }
    update(row, m);
  }
  // Rows the snapshot does not know are gone, unless they were born while it was in flight.
  for (const k of [...channels.keys()]) if (!seen.has(k) && !track.born.has(k)) channels.delete(k);
  ui.statusInfo.textContent = `Status: ${seen.size} channel(s) at ${new Date().toLocaleTimeString()}`;
  renderChannels();
}

function onChannelEvent(name, ev) {
  const k = keyOf(ev);
  if (k === '') return;
  if (name === 'Hangup') {
    channels.delete(k);
    for (const t of inFlight) t.gone.add(k);
  } else if (name === 'Newchannel') {
    const row = { since: Date.now() };
    update(row, ev);
    channels.set(k, row);
    for (const t of inFlight) t.born.add(k);
  } else if (name === 'Rename') {
    const row = channels.get(k);
    if (row !== undefined) row.channel = field(ev, 'Newname') ?? row.channel;
  } else if (name === 'BridgeEnter' || name === 'BridgeLeave') {
    const row = channels.get(k);
    if (row !== undefined) {
      update(row, ev);
      row.bridged = name === 'BridgeEnter';
    }
  } else {
    const row = channels.get(k);
    if (row !== undefined) update(row, ev);
  }
  scheduleRender();
}

// A busy PBX sends many channel events a second: the table is redrawn at most every 50 ms.
let renderTimer = null;
function scheduleRender() {
  if (renderTimer !== null) return;
  renderTimer = setTimeout(() => {
    renderTimer = null;
    renderChannels();
  }, 50);
}

const CHANNEL_EVENTS = new Set(['Newchannel', 'Newstate', 'Hangup', 'Rename', 'NewCallerid', 'NewConnectedLine', 'Newexten', 'BridgeEnter', 'BridgeLeave']);

function renderChannels() {
  const frag = document.createDocumentFragment();
  const rows = [...channels.entries()].sort((a, b) => a[1].since - b[1].since);
  const now = Date.now();
  for (const [k, r] of rows) {
    const tr = el('tr', null, { 'data-key': k });
    tr.append(el('td', r.channel ?? '', { class: 'chan' }));
    const st = el('td');
    st.append(el('span', (r.state ?? '?') + (r.bridged ? ' · bridged' : ''), { class: 'state', 'data-state': r.state ?? '' }));
    tr.append(st);
    const cid = r.cidName && r.cidName !== '<unknown>' ? `${r.cidName} <${r.cidNum ?? ''}>` : (r.cidNum && r.cidNum !== '<unknown>' ? r.cidNum : '');
    tr.append(el('td', cid));
    tr.append(el('td', r.exten ? `${r.exten}@${r.context ?? ''}` : ''));
    tr.append(el('td', duration((now - r.since) / 1000), { class: 'num dur', 'data-since': String(r.since) }));
    const acts = el('td', null, { class: 'acts' });
    if (allowed.hangup) {
      const b = el('button', 'Hang up', { type: 'button', class: 'small danger', 'data-act': 'hangup', 'aria-label': `Hang up ${r.channel}` });
      b.addEventListener('click', () => hangup(r.channel, b));
      acts.append(b);
    }
    if (allowed.redirect) {
      const b = el('button', 'Redirect', { type: 'button', class: 'small', 'data-act': 'redirect', 'aria-label': `Redirect ${r.channel}` });
      b.addEventListener('click', () => openRedirect(r.channel));
      acts.append(b);
    }
    tr.append(acts);
    frag.append(tr);
  }
  if (rows.length === 0) {
    const tr = el('tr', null, { class: 'empty' });
    tr.append(el('td', 'No active channels', { colspan: '6' }));
    frag.append(tr);
  }
  // Keep keyboard focus on the same button when the table is redrawn.
  const focused = document.activeElement;
  const focusKey = focused?.closest?.('#channels tr')?.getAttribute('data-key');
  const focusAct = focused?.getAttribute?.('data-act');
  ui.channels.replaceChildren(frag);
  ui.channelCount.textContent = String(channels.size);
  if (focusKey && focusAct) ui.channels.querySelector(`tr[data-key="${CSS.escape(focusKey)}"] [data-act="${focusAct}"]`)?.focus();
}

// Durations tick once a second without redrawing the table.
setInterval(() => {
  const now = Date.now();
  for (const td of ui.channels.querySelectorAll('td.dur')) td.textContent = duration((now - Number(td.dataset.since)) / 1000);
}, 1000);

async function hangup(channel, button) {
  if (session.client === null) return;
  button.disabled = true;
  try {
    const [r] = await session.client.action({ Action: 'Hangup', Channel: channel });
    if (field(r, 'Response') !== 'Success') {
      button.disabled = false;
      ui.statusInfo.textContent = `Hangup ${channel}: ${field(r, 'Message') ?? 'error'}`;
    }
  } catch (err) {
    button.disabled = false;
    ui.statusInfo.textContent = `Hangup ${channel}: ${err.message}`;
  }
}

function openRedirect(channel) {
  redirectTarget = channel;
  $('redirect-channel').textContent = channel;
  ui.dialog.showModal();
  $('redirect-exten').focus();
}

$('redirect-cancel').addEventListener('click', () => ui.dialog.close());
$('redirect-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const channel = redirectTarget;
  ui.dialog.close();
  if (session.client === null || channel === null) return;
  try {
    const [r] = await session.client.action({
      Action: 'Redirect', Channel: channel, Exten: $('redirect-exten').value, Context: $('redirect-context').value, Priority: $('redirect-priority').value,
    });
    ui.statusInfo.textContent = `Redirect ${channel}: ${field(r, 'Message') ?? field(r, 'Response')}`;
  } catch (err) {
    ui.statusInfo.textContent = `Redirect ${channel}: ${err.message}`;
  }
});

ui.originateForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (session.client === null) return;
  const headers = {
    Action: 'Originate', Channel: $('orig-channel').value, Exten: $('orig-exten').value, Context: $('orig-context').value, Priority: '1', Async: 'true',
  };
  const cid = $('orig-callerid').value.trim();
  if (cid !== '') headers.CallerID = cid;
  ui.origMsg.textContent = 'Originating…';
  try {
    const [r] = await session.client.action(headers);
    ui.origMsg.textContent = field(r, 'Message') ?? field(r, 'Response') ?? '';
  } catch (err) {
    ui.origMsg.textContent = err.message;
  }
});

// ---- events ---------------------------------------------------------------------------------

function onEvent(ev) {
  const name = String(field(ev, 'Event') ?? '');
  eventCount++;
  ui.eventCount.textContent = String(eventCount);
  if (CHANNEL_EVENTS.has(name)) onChannelEvent(name, ev);
  if (name === 'EventsLost') {
    // A number: this page fell behind the proxy's ring. `unknown`: the proxy's AMI link had a gap,
    // or this client changed between a resumable stream and long-polling.
    const n = Number(field(ev, 'Count'));
    if (Number.isFinite(n)) lostTotal += n;
    ui.lost.textContent = Number.isFinite(n)
      ? `EventsLost: ${lostTotal} event(s) were lost while this page was away; the channel list was read again.`
      : `EventsLost: events may be missing (${field(ev, 'Reason') ?? 'count unknown'}) at ${new Date().toLocaleTimeString()}; the channel list was read again.`;
    ui.lost.hidden = false;
    void refreshStatus();
  }
  appendLog(name, ev);
}

function summary(ev) {
  const parts = [];
  for (const k of LEAD) {
    const v = field(ev, k);
    if (v !== undefined && v !== '') parts.push(`${k}: ${v}`);
  }
  if (parts.length === 0) {
    for (const [k, v] of Object.entries(ev)) {
      if (SKIP.has(k.toLowerCase())) continue;
      parts.push(`${k}: ${Array.isArray(v) ? v.join(' | ') : v}`);
      if (parts.length >= 6) break;
    }
  }
  return parts.join('  ');
}

function matches(li) {
  const q = ui.filter.value.trim().toLowerCase();
  return q === '' || li.textContent.toLowerCase().includes(q);
}

function appendLog(name, ev) {
  if (paused) return;
  const li = el('li', null, { 'data-event': name });
  if (name.startsWith('Proxy') || name === 'EventsLost') li.setAttribute('data-proxy', '');
  li.append(el('span', new Date().toLocaleTimeString(), { class: 't' }), el('span', name, { class: 'ev' }), el('span', summary(ev)));
  li.hidden = !matches(li);
  ui.log.prepend(li);
  while (ui.log.childElementCount > LOG_MAX) ui.log.lastElementChild.remove();
}

ui.filter.addEventListener('input', () => {
  for (const li of ui.log.children) li.hidden = !matches(li);
});
ui.pause.addEventListener('click', () => {
  paused = !paused;
  ui.pause.setAttribute('aria-pressed', String(paused));
  ui.pause.textContent = paused ? 'Resume' : 'Pause';
});
ui.clear.addEventListener('click', () => ui.log.replaceChildren());
