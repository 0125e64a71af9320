// Session-local actions: answered by the proxy, never forwarded (forwarding Logoff or `Events: off`
// would hit every user of the shared AMI connection). Reply strings are Asterisk's (spec §2.4, §4.4).
// WaitEvent lives in waitevent.ts.
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { ClassMask, User } from '../auth/types.ts';
import { parseEventMask } from '../auth/classes.ts';
import { checkMd5Key } from '../auth/md5.ts';
import { verifySecret } from '../auth/secret.ts';
import type { AuthLimiter } from '../auth/limiter.ts';
import { parseFilterAction } from '../auth/filter.ts';
import { Cursor } from '../events/cursor.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Session } from './session.ts';
import type { SessionStore } from './store.ts';
import type { ActionRequest } from './request.ts';
import type { ActionResult } from './types.ts';
import { MSG, error, message, reply, success } from './replies.ts';
import { amiDownNotice } from '../events/notices.ts';
import type { Metrics } from '../metrics.ts';
import { log } from '../log.ts';

/** EVENT_FLAG_SYSTEM (spec §5.1): gates FullyBooted at login and the Filter action. */
export const SYSTEM: ClassMask = 1;

export interface BootInfo {
  /** Seconds since Asterisk started. */
  uptime: number;
  /** Seconds since its last reload. */
  lastReload: number;
}

export interface LocalContext {
  store: SessionStore;
  /** Users by lowercase name. */
  users: ReadonlyMap<string, User>;
  log: EventLog;
  /** Delay before answering a failed Login (Asterisk: sleep(1)); never blocks the event loop. */
  failDelayMs: number;
  /**
   * Values for the FullyBooted block sent after a successful Login; undefined while no AMI
   * connection is up or Asterisk has not said FullyBooted: the Login reply then carries a
   * `ProxyAMIDown` block instead (lib/events/notices.ts).
   */
  bootInfo: () => BootInfo | undefined;
  /** Brute-force limits (per address lockout, per user slow-down). */
  limiter: AuthLimiter;
  metrics?: Metrics | undefined;
}

export async function login(ctx: LocalContext, s: Session, req: ActionRequest, address: string): Promise<ActionResult> {
  const id = req.actionId;
  if (s.authenticated) return { output: [success(id, MSG.ALREADY_AUTHENTICATED)] };
  const name = req.get('Username');
  // A locked address is refused at once, whatever the secret: no delay, nothing checked.
  const verdict = ctx.limiter.check(address, name);
  if (verdict.locked) {
    // Counted, not logged: the lockout itself was logged once when it started.
    ctx.metrics?.logins.inc({ result: 'failure' });
    ctx.metrics?.loginFailures.inc({ reason: 'locked' });
    return refuseNow(ctx, s, id);
  }
  // Per-user slow-down: this user's password checks wait their turn, one at a time; with the queue
  // full, refused at once without a check (a storm's extra guesses are never tried).
  if (!(await ctx.limiter.waitTurn(address, name))) {
    ctx.metrics?.logins.inc({ result: 'failure' });
    ctx.metrics?.loginFailures.inc({ reason: 'queue' });
    return refuseNow(ctx, s, id);
  }
  if (s.destroyed) return { output: [error(id, MSG.AUTH_FAILED)], destroySession: true };
  // The address may have been locked while this attempt waited (its other guesses failed).
  if (ctx.limiter.check(address, name).locked) {
    ctx.metrics?.logins.inc({ result: 'failure' });
    ctx.metrics?.loginFailures.inc({ reason: 'locked' });
    return refuseNow(ctx, s, id);
  }
  const user = ctx.users.get(name.toLowerCase());
  if (user !== undefined && loginInUse(ctx, s, user)) {
    loginFailed(ctx, name, address, 'in_use');
    return refuse(ctx, s, id, MSG.LOGIN_IN_USE);
  }
  if (user === undefined || !authenticate(s, req, user, address)) {
    loginFailed(ctx, name, address, 'auth');
    ctx.limiter.recordFailure(address, name, req.get('AuthType').toLowerCase() === 'md5' ? 'login-md5' : 'login');
    return refuse(ctx, s, id, MSG.AUTH_FAILED);
  }
  ctx.limiter.recordSuccess(address, name);
  // Only now is the session kept (a cookie-less request stores nothing), within the caps.
  const full = ctx.store.admitLogin(s, user.name);
  if (full !== undefined) {
    ctx.store.destroy(s);
    return { output: [error(id, full)], destroySession: true };
  }
  ctx.metrics?.logins.inc({ result: 'success' });
  // manager.conf's displayconnects (default yes): `no` keeps this user's logins out of the log.
  if (user.displayConnects !== false) log.info('login', { user: user.name, address });

  s.user = user;
  s.authenticated = true;
  s.readPerm = user.read;
  s.writePerm = user.write;
  s.challenge = '';
  // Asterisk's new event design: send_events = readperm, or readperm & mask when Login carries a
  // valid `Events` (an invalid one leaves readperm). Events are kept for the session from now on.
  const mask = req.has('Events') ? parseEventMask(req.get('Events')) : -1;
  s.eventMask = mask >= 0 ? user.read & mask : user.read;
  s.filters = user.eventFilters.slice();
  s.cursor = new Cursor(ctx.log, user.serverMask);

  const output = [success(id, MSG.AUTH_ACCEPTED)];
  const boot = ctx.bootInfo();
  // Asterisk is up: FullyBooted as Asterisk sends it (system class only). Not up: every session is
  // told in its Login reply, whatever its classes, since nothing it asks will work yet.
  if (boot === undefined) output.push(amiDownNotice('not connected').raw);
  else if ((s.eventMask & SYSTEM) !== 0) output.push(fullyBooted(boot));
  return { output };
}

export async function challenge(ctx: LocalContext, s: Session, req: ActionRequest, address: string): Promise<ActionResult> {
  const id = req.actionId;
  if (!s.authenticated && ctx.limiter.check(address, req.get('Username')).locked) return refuseNow(ctx, s, id);
  if (req.get('AuthType').toLowerCase() !== 'md5') return { output: [error(id, MSG.MUST_SPECIFY_AUTHTYPE)] };
  if (!s.authenticated) {
    const user = ctx.users.get(req.get('Username').toLowerCase());
    if (user !== undefined && loginInUse(ctx, s, user)) return refuse(ctx, s, id, MSG.LOGIN_IN_USE);
  }
  // The challenge must outlive this request: keep the session, within the caps.
  const full = ctx.store.admitUnauthenticated(s);
  if (full !== undefined) return { output: [error(id, full)] };
  // Asterisk prints ast_random() into 10 bytes: at most 9 digits. Kept until the login uses it.
  if (s.challenge === '') s.challenge = String(randomInt(1_000_000_000));
  return { output: [reply('Success', id, [['Challenge', s.challenge]])] };
}

export function logoff(ctx: LocalContext, s: Session, req: ActionRequest): ActionResult {
  ctx.store.destroy(s);
  return { output: [message('Goodbye', req.actionId, MSG.GOODBYE)], destroySession: true };
}

/** `Events`: this session's event mask only (readperm & mask); other sessions are untouched. */
export function events(s: Session, req: ActionRequest): ActionResult {
  const id = req.actionId;
  const mask = parseEventMask(req.get('EventMask'));
  if (mask < 0) return { output: [error(id, MSG.INVALID_EVENT_MASK)] };
  const was = s.eventMask;
  s.eventMask = s.readPerm & mask;
  // Nothing was kept while events were off (Asterisk's queue did not fill): start from now.
  if (was === 0 && s.eventMask !== 0) s.cursor?.reset();
  // As Asterisk, On/Off follows the mask asked for, not what is left after `& readperm`.
  return { output: [reply('Success', id, [['Events', mask > 0 ? 'On' : 'Off']])] };
}

/**
 * `Filter` (Operation: Add, Filter, MatchCriteria): adds an include/exclude rule to this session
 * only. Needs system write, as in Asterisk.
 */
export function filter(s: Session, req: ActionRequest): ActionResult {
  const id = req.actionId;
  if ((s.writePerm & SYSTEM) === 0) return { output: [error(id, MSG.PERMISSION_DENIED)] };
  const r = parseFilterAction(req);
  if (!r.ok) return { output: [error(id, r.message)] };
  // A new array, never a push: a session's filters array may be shared (a push client's session
  // starts from the user's or the cookie session's array without a copy).
  s.filters = [...s.filters, r.rule];
  return { output: [success(id, r.message)] };
}

/** Asterisk's check_manager_session_inuse: another logged-in session of a single-login user. */
function loginInUse(ctx: LocalContext, s: Session, user: User): boolean {
  return !user.allowMultipleLogin && ctx.store.userHasSession(user.name, s);
}

/**
 * Counted once per failed Login. Logged here only when the secret was not the reason (a wrong one
 * is logged by the limiter, with the lockout that may follow); the name is the client's: cut short.
 */
function loginFailed(ctx: LocalContext, name: string, address: string, reason: 'auth' | 'in_use'): void {
  ctx.metrics?.logins.inc({ result: 'failure' });
  ctx.metrics?.loginFailures.inc({ reason });
  if (reason !== 'auth') log.warn('login failed', { user: name.length > 64 ? name.slice(0, 64) + '…' : name, address, reason });
}

function authenticate(s: Session, req: ActionRequest, user: User, address: string): boolean {
  // The ACL is checked against the address of the request that logs in (Asterisk uses the one that
  // created the session, which may be an earlier cookie-less request: ours is the stricter choice).
  if (!user.allows(address)) return false;
  if (req.get('AuthType').toLowerCase() === 'md5') return checkMd5Key(s.challenge, user.secret, req.get('Key'));
  return verifySecret(user, req.get('Secret'));
}

/**
 * A refused Login/Challenge: the session is destroyed at once (it holds nothing while the answer
 * waits), and the answer comes after Asterisk's delay; the wait is a timer, it blocks nothing else.
 */
async function refuse(ctx: LocalContext, s: Session, id: string, text: string): Promise<ActionResult> {
  ctx.store.destroy(s);
  await delay(ctx.failDelayMs);
  return { output: [error(id, text)], destroySession: true };
}

/** An attempt from a locked-out address: Asterisk's text, at once (waiting would only hold sockets). */
function refuseNow(ctx: LocalContext, s: Session, id: string): ActionResult {
  ctx.store.destroy(s);
  return { output: [error(id, MSG.AUTH_FAILED)], destroySession: true };
}

function fullyBooted(info: BootInfo): Buffer {
  return Buffer.from(
    `Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: ${Math.floor(info.uptime)}\r\n` +
      `LastReload: ${Math.floor(info.lastReload)}\r\nStatus: Fully Booted\r\n\r\n`,
  );
}
