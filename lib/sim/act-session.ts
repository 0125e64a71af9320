// Session actions: Login (plain and MD5), Challenge, Logoff, Ping, Events, ListCommands, WaitEvent,
// UserEvent. Texts and layouts are manager.c's (tcp_01, tcp_02, tcp_04, tcp_09, tcp_10, http_16b).
import { createHash, randomInt } from 'node:crypto';
import type { AmiMessage } from '../ami/message.ts';
import { SYSTEM, USER, authorityToStr, stringsToMask } from './perms.ts';
import * as reply from './reply.ts';
import { securityEvent } from './security.ts';
import type { ActionSession } from './host.ts';

/** `set_eventmask`: an empty or invalid value leaves send_events alone. */
function setEventMask(s: ActionSession, value: string): number {
  const mask = stringsToMask(value);
  if (mask >= 0) s.sendEvents = mask;
  return mask;
}

/** `authenticate()`: 0 on success, otherwise the reason (for the security event). */
function authenticate(s: ActionSession, m: AmiMessage): boolean {
  const username = m.get('Username') ?? '';
  if (username === '') return false;
  const user = s.sim.findUser(username);
  if (user === undefined) {
    securityEvent(s, 'InvalidAccountID', 'Error', [], username);
    return false;
  }
  if ((m.get('AuthType') ?? '').toLowerCase() === 'md5') {
    const key = m.get('Key') ?? '';
    if (key === '' || s.challenge === '') return false;
    const want = createHash('md5').update(s.challenge + user.secret).digest('hex');
    if (key !== want) {
      securityEvent(s, 'ChallengeResponseFailed', 'Error', [['Challenge', s.challenge], ['Response', key], ['ExpectedResponse', want]], user.username);
      return false;
    }
  } else if ((m.get('Secret') ?? '') !== user.secret) {
    securityEvent(s, 'InvalidPassword', 'Error', [], user.username);
    return false;
  }
  s.username = user.username;
  s.readperm = user.readMask;
  s.writeperm = user.writeMask;
  setEventMask(s, m.get('Events') ?? '');
  return true;
}

export function login(s: ActionSession, m: AmiMessage, id: string): void | Promise<void> {
  if (s.authenticated) {
    s.send(reply.ack(id, 'Already authenticated'));
    return;
  }
  if (!authenticate(s, m)) {
    // manager.c sleeps 1 s in the session thread, answers, then closes the session.
    return new Promise((resolve) => {
      s.sim.later(s.sim.loginFailDelayMs, () => {
        s.send(reply.error(id, 'Authentication failed'));
        s.end();
        resolve();
      });
    });
  }
  s.authenticated = true;
  s.send(reply.ack(id, 'Authentication accepted'));
  if (s.sendEvents & SYSTEM && s.readperm & SYSTEM) {
    const sim = s.sim;
    s.send(
      `Event: FullyBooted\r\nPrivilege: ${authorityToStr(SYSTEM)}\r\nUptime: ${sim.uptime}\r\n` +
        `LastReload: ${sim.sinceReload}\r\nStatus: Fully Booted\r\n\r\n`,
    );
  }
  securityEvent(s, 'SuccessfulAuth', 'Informational', [['UsingPassword', '0']]);
}

export function logoff(s: ActionSession, _m: AmiMessage, id: string): void {
  s.send(reply.response('Goodbye', id, [['Message', 'Thanks for all the fish.']]));
  s.end();
}

export function challenge(s: ActionSession, m: AmiMessage, id: string): void {
  if ((m.get('AuthType') ?? '').toLowerCase() !== 'md5') {
    s.send(reply.error(id, 'Must specify AuthType'));
    return;
  }
  // `(int) ast_random()`: a positive 31-bit number, kept for the session once made.
  if (s.challenge === '') s.challenge = String(randomInt(1, 0x7fffffff));
  s.send(reply.response('Success', id, [['Challenge', s.challenge]]));
}

export function ping(s: ActionSession, _m: AmiMessage, id: string): void {
  // reply.response's layout, built directly: Ping is the benchmark's action.
  s.send('Response: Success\r\n' + reply.idLine(id) + 'Ping: Pong\r\nTimestamp: ' + reply.timestamp() + '\r\n\r\n');
}

export function events(s: ActionSession, m: AmiMessage, id: string): void {
  const mask = setEventMask(s, m.get('EventMask') ?? '');
  if (mask > 0) s.send(reply.response('Success', id, [['Events', 'On']]));
  else if (mask === 0) s.send(reply.response('Success', id, [['Events', 'Off']]));
  else s.send(reply.error(id, 'Invalid event mask'));
}

export function listCommands(s: ActionSession, _m: AmiMessage, id: string): void {
  let out = `Response: Success\r\n${reply.idLine(id)}`;
  for (const a of s.sim.actions) {
    if (a.authority === 0 || (s.writeperm & a.authority) !== 0) {
      out += `${a.name}: ${a.synopsis} (Priv: ${authorityToStr(a.authority)})\r\n`;
    }
  }
  s.send(out + '\r\n');
}

/**
 * WaitEvent on a TCP session (tcp_10): waits up to Timeout seconds, returning early on client input
 * or an event for this session (TCP sessions get their events written directly, so the reply holds none).
 */
export function waitEvent(s: ActionSession, m: AmiMessage, id: string): Promise<void> {
  let timeout = parseInt(m.get('Timeout') ?? '', 10);
  if (Number.isNaN(timeout) || timeout < -1) timeout = -1;
  return s.waitForActivity(timeout < 0 ? -1 : timeout * 1000).then(() => {
    s.send(reply.response('Success', id, [['Message', 'Waiting for Event completed.']]));
    s.send(`Event: WaitEventComplete\r\n${reply.idLine(id)}\r\n`);
  });
}

/** UserEvent: every header line but Action and UserEvent is copied as received (ActionID included). */
export function userEvent(s: ActionSession, m: AmiMessage, id: string): void {
  let body = `UserEvent: ${m.get('UserEvent') ?? ''}\r\n`;
  // From the raw bytes, not the parsed pairs: Asterisk copies each header line verbatim.
  for (const line of m.raw.toString('utf8').split(/\r?\n/)) {
    if (line === '') continue;
    const low = line.slice(0, 10).toLowerCase();
    if (low.startsWith('userevent:') || low.startsWith('action:')) continue;
    body += line + '\r\n';
  }
  s.send(reply.ack(id, 'Event Sent'));
  s.sim.emitBody('UserEvent', USER, body);
}
