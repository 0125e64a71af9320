// AJAM wallboard: login, a WaitEvent long-poll, a channel table and an event log, over ../rawman
// exactly as Asterisk's astman.js uses it (GET, lowercase parameters, the mansession_id cookie
// kept by the browser). Every piece of server text goes into the page with textContent only.
(function () {
  'use strict';

  var RAWMAN = '../rawman';
  var LOG_MAX = 200;
  var RETRY_FIRST_MS = 500;
  var RETRY_MAX_MS = 10000;
  // Fields shown in the log line first; the rest follow in header order.
  var LEAD = ['Channel', 'ChannelStateDesc', 'Exten', 'Application', 'AppData', 'Variable', 'Value', 'Cause-txt',
    'DialStatus', 'Device', 'State', 'UserEvent', 'Count'];
  var SUMMARY_PARTS = 6;
  var SKIP = { event: true, privilege: true };

  var $ = function (id) { return document.getElementById(id); };
  var el = {
    conn: $('conn'), who: $('who'), refresh: $('refresh'), logoff: $('logoff'),
    login: $('login'), form: $('login-form'), username: $('username'), secret: $('secret'),
    loginButton: $('login-button'), loginMsg: $('login-msg'),
    board: $('board'), lost: $('lost'), channels: $('channels'), channelCount: $('channel-count'),
    statusInfo: $('status-info'), log: $('log'), eventCount: $('event-count'),
  };

  // Bumped on every login and logoff: a poll loop or reply from an older session sees it and stops.
  var generation = 0;
  var channels = new Map(); // Uniqueid (or Channel) -> { channel, state, caller, where, since }
  var eventCount = 0;
  var lostTotal = 0;
  var wakeRetry = null;
  var actionSeq = 0;
  // Channel changes seen while a Status is in flight: its snapshot must not undo them.
  var inFlight = null; // { gone: Set, born: Set } or null

  // ---- AJAM over HTTP -------------------------------------------------------------------------

  /** Rawman text -> [{ pairs: [[key, value]], get(name) }], split on blank lines like astman.js. */
  function parseRawman(text) {
    var out = [];
    var blocks = text.replace(/\r\n/g, '\n').split(/\n\n+/);
    for (var i = 0; i < blocks.length; i++) {
      if (blocks[i].trim() === '') continue;
      var pairs = [];
      var lines = blocks[i].split('\n');
      for (var j = 0; j < lines.length; j++) {
        var line = lines[j];
        var c = line.indexOf(':');
        if (c === -1) pairs.push(['', line]); // a Response: Follows body line
        else pairs.push([line.slice(0, c), line.slice(c + 1).replace(/^ +/, '')]);
      }
      out.push(makeMessage(pairs));
    }
    return out;
  }

  function makeMessage(pairs) {
    return {
      pairs: pairs,
      get: function (name) {
        var n = name.toLowerCase();
        for (var i = 0; i < pairs.length; i++) if (pairs[i][0].toLowerCase() === n) return pairs[i][1];
        return undefined;
      },
    };
  }

  /** One GET of ../rawman; rejects only on network trouble or a non-200 status. */
  function rawman(params) {
    var q = Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]);
    }).join('&');
    return fetch(RAWMAN + '?' + q, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
      if (res.status !== 200) throw new Error('HTTP ' + res.status);
      return res.text();
    }).then(parseRawman);
  }

  function isDenied(msg) {
    return msg !== undefined && msg.get('Response') === 'Error' && msg.get('Message') === 'Permission denied';
  }

  function nextActionId() {
    actionSeq += 1;
    return 'wb-' + actionSeq;
  }

  // ---- screens --------------------------------------------------------------------------------

  function setConn(state, text) {
    el.conn.dataset.state = state;
    el.conn.textContent = text;
  }

  function setLoginMsg(text, isError) {
    el.loginMsg.textContent = text;
    el.loginMsg.classList.toggle('error', isError === true);
  }

  function showLogin(message, isError) {
    generation += 1;
    if (wakeRetry !== null) wakeRetry();
    el.board.hidden = true;
    el.refresh.hidden = true;
    el.logoff.hidden = true;
    el.login.hidden = false;
    el.who.textContent = '';
    el.loginButton.disabled = false;
    el.secret.value = '';
    setConn('idle', 'not connected');
    setLoginMsg(message || '', isError);
    el.username.focus();
  }

  function showBoard(user) {
    generation += 1;
    channels.clear();
    eventCount = 0;
    lostTotal = 0;
    el.log.textContent = '';
    el.lost.hidden = true;
    el.eventCount.textContent = '0';
    el.statusInfo.textContent = 'waiting for the first Status…';
    renderChannels();
    el.login.hidden = true;
    el.board.hidden = false;
    el.refresh.hidden = false;
    el.logoff.hidden = false;
    el.who.textContent = user;
    setLoginMsg('');
    return generation;
  }

  /** The session is gone (expired, or Logoff from another tab sharing the cookie). */
  function sessionLost(what) {
    showLogin(what + ': the session has expired or was logged off. Please log in again.', true);
  }

  // ---- login / logoff -------------------------------------------------------------------------

  el.form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var user = el.username.value.trim();
    var secret = el.secret.value;
    el.loginButton.disabled = true;
    setLoginMsg('Logging in…');
    rawman({ action: 'login', username: user, secret: secret }).then(function (msgs) {
      el.loginButton.disabled = false;
      var r = msgs[0];
      if (r === undefined || r.get('Response') !== 'Success') {
        setLoginMsg((r && r.get('Message')) || 'Login failed', true);
        return;
      }
      var gen = showBoard(user);
      // A login reply may carry FullyBooted; it is an event like the others.
      for (var i = 1; i < msgs.length; i++) if (msgs[i].get('Event') !== undefined) onEvent(msgs[i]);
      renderChannels();
      refreshStatus(gen);
      pollLoop(gen);
    }, function (err) {
      el.loginButton.disabled = false;
      setLoginMsg('Cannot reach the proxy (' + err.message + ')', true);
    });
  });

  el.logoff.addEventListener('click', function () {
    var gen = generation;
    generation += 1; // stop the poll loop; the server wakes its parked WaitEvent on Logoff
    el.logoff.disabled = true;
    rawman({ action: 'logoff' }).then(function (msgs) {
      var r = msgs[0];
      var text = r && r.get('Response') === 'Goodbye' ? 'Logged off (' + (r.get('Message') || 'Goodbye') + ')' : 'Logged off';
      return text;
    }, function (err) {
      return 'Logged off locally; the proxy could not be reached (' + err.message + ')';
    }).then(function (text) {
      el.logoff.disabled = false;
      if (generation === gen + 1) showLogin(text, false);
    });
  });

  // ---- WaitEvent long-poll --------------------------------------------------------------------

  function sleep(ms) {
    return new Promise(function (resolve) {
      var t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakeRetry = null;
        resolve();
      }
      wakeRetry = done;
    });
  }

  // Back online: retry now rather than at the end of the backoff.
  window.addEventListener('online', function () {
    if (wakeRetry !== null) wakeRetry();
  });

  /** One WaitEvent after another until the session or this login ends (a plain loop, so a board
   *  left open for days builds no promise chain). */
  async function pollLoop(gen) {
    var failures = 0;
    setConn('live', 'live');
    while (gen === generation) {
      var msgs;
      var trouble = null;
      try {
        msgs = await rawman({ action: 'waitevent' });
      } catch (err) {
        trouble = 'network error (' + err.message + ')';
      }
      if (gen !== generation) return;
      if (trouble === null) {
        var r = msgs[0];
        if (r === undefined) {
          // Another tab's WaitEvent on the same session took over this one (empty reply).
          trouble = 'another tab is polling this session';
        } else if (isDenied(r)) {
          sessionLost('Permission denied');
          return;
        } else if (r.get('Response') !== 'Success') {
          trouble = 'WaitEvent failed: ' + (r.get('Message') || 'error');
        }
      }
      if (trouble !== null) {
        failures += 1;
        var ms = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * Math.pow(2, failures - 1));
        setConn('retrying', trouble + ' — retry ' + failures + ' in ' + (ms / 1000) + ' s');
        await sleep(ms);
        continue;
      }
      if (failures > 0) setConn('live', 'live');
      failures = 0;
      for (var i = 1; i < msgs.length; i++) {
        var name = msgs[i].get('Event');
        if (name !== undefined && name !== 'WaitEventComplete') onEvent(msgs[i]);
      }
      renderChannels();
    }
  }

  // ---- events and channels --------------------------------------------------------------------

  function channelKey(msg) {
    return msg.get('Uniqueid') || msg.get('Channel') || '';
  }

  function channelFrom(msg, since) {
    var num = msg.get('CallerIDNum');
    var name = msg.get('CallerIDName');
    var caller = [name, num].filter(function (v) { return v && v !== '<unknown>'; }).join(' ');
    return {
      channel: msg.get('Channel') || '',
      state: msg.get('ChannelStateDesc') || msg.get('State') || '',
      caller: caller,
      where: (msg.get('Exten') || '') + '@' + (msg.get('Context') || ''),
      since: since,
    };
  }

  function onEvent(msg) {
    var name = msg.get('Event');
    var key = channelKey(msg);
    if (name === 'Newchannel') {
      channels.set(key, channelFrom(msg, Date.now()));
      if (inFlight !== null) inFlight.born.add(key);
    } else if (name === 'Newstate' || name === 'NewCallerid' || name === 'NewConnectedLine') {
      var old = channels.get(key);
      channels.set(key, channelFrom(msg, old ? old.since : Date.now()));
    } else if (name === 'Hangup') {
      channels.delete(key);
      if (inFlight !== null) inFlight.gone.add(key);
    } else if (name === 'Rename') {
      var ch = channels.get(key);
      if (ch) ch.channel = msg.get('Newname') || ch.channel;
    } else if (name === 'EventsLost') {
      onEventsLost(msg);
    }
    addLog(name, msg);
  }

  function onEventsLost(msg) {
    var n = Number(msg.get('Count')) || 0;
    lostTotal += n;
    el.lost.textContent = 'EventsLost: ' + n + ' event(s) were lost (' + lostTotal + ' in all) while this board was not polling; ' +
      'the channel list was reloaded with Status.';
    el.lost.hidden = false;
    refreshStatus(generation);
  }

  function addLog(name, msg) {
    eventCount += 1;
    el.eventCount.textContent = String(eventCount);
    var li = document.createElement('li');
    li.dataset.event = name;
    if (name === 'Newchannel') li.className = 'new';
    else if (name === 'Hangup') li.className = 'gone';
    else if (name === 'EventsLost') li.className = 'lost';
    var time = document.createElement('span');
    time.className = 'time';
    time.textContent = new Date().toLocaleTimeString();
    var ev = document.createElement('span');
    ev.className = 'name';
    ev.textContent = name;
    var detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = summary(msg);
    li.title = msg.pairs.map(function (p) { return p[0] + ': ' + p[1]; }).join('\n');
    li.append(time, ev, detail);
    el.log.prepend(li);
    while (el.log.childElementCount > LOG_MAX) el.log.lastElementChild.remove();
  }

  function summary(msg) {
    var parts = [];
    var used = {};
    LEAD.forEach(function (k) {
      var v = msg.get(k);
      if (v !== undefined && parts.length < SUMMARY_PARTS) {
        parts.push(k + '=' + v);
        used[k.toLowerCase()] = true;
      }
    });
    msg.pairs.forEach(function (p) {
      var k = p[0].toLowerCase();
      if (!used[k] && !SKIP[k] && parts.length < SUMMARY_PARTS) parts.push(p[0] + '=' + p[1]);
    });
    var s = parts.join('  ');
    return s.length > 240 ? s.slice(0, 239) + '…' : s;
  }

  function elapsed(since) {
    var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function renderChannels() {
    var rows = [];
    channels.forEach(function (c, key) {
      var tr = document.createElement('tr');
      tr.dataset.key = key;
      [c.channel, c.state, c.caller, c.where, elapsed(c.since)].forEach(function (text) {
        var td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      });
      rows.push(tr);
    });
    el.channels.replaceChildren.apply(el.channels, rows);
    el.channelCount.textContent = String(channels.size);
  }

  setInterval(function () {
    if (!el.board.hidden && channels.size > 0) renderChannels();
  }, 1000);

  // ---- Status (the whole EventList comes back in one reply) -----------------------------------

  function refreshStatus(gen) {
    el.refresh.disabled = true;
    var seen = { gone: new Set(), born: new Set() };
    inFlight = seen;
    return rawman({ action: 'status', actionid: nextActionId() }).then(function (msgs) {
      el.refresh.disabled = false;
      if (inFlight === seen) inFlight = null;
      if (gen !== generation) return;
      var r = msgs[0];
      if (isDenied(r)) return sessionLost('Permission denied');
      if (r === undefined || r.get('Response') !== 'Success') {
        el.statusInfo.textContent = 'Status failed: ' + ((r && r.get('Message')) || 'no reply');
        return;
      }
      var now = Date.now();
      var fresh = new Map();
      msgs.forEach(function (m) {
        if (m.get('Event') !== 'Status') return;
        var key = channelKey(m);
        var old = channels.get(key);
        var secs = Number(m.get('Seconds'));
        var since = old ? old.since : (secs >= 0 ? now - secs * 1000 : now);
        if (!seen.gone.has(key)) fresh.set(key, channelFrom(m, since));
      });
      // Channels born while the Status was on its way may be missing from it.
      seen.born.forEach(function (key) {
        var c = channels.get(key);
        if (c !== undefined && !fresh.has(key)) fresh.set(key, c);
      });
      channels = fresh;
      renderChannels();
      el.statusInfo.textContent = 'Status: ' + fresh.size + ' channel(s) at ' + new Date(now).toLocaleTimeString();
    }, function (err) {
      el.refresh.disabled = false;
      if (inFlight === seen) inFlight = null;
      if (gen === generation) el.statusInfo.textContent = 'Status failed: ' + err.message;
    });
  }

  el.refresh.addEventListener('click', function () {
    refreshStatus(generation);
  });

  showLogin('', false);
})();
