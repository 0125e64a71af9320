// One AJAM action on one session: validation, Asterisk's permission rules, session-local actions,
// everything else through the AMI pool (spec §2.3, §5.2; DESIGN "The decisions that make it correct").
import type { User } from '../auth/types.ts';
import { asciiLower, checkActionArguments, type ActionPermissions } from '../auth/actions.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Session } from './session.ts';
import type { SessionStore } from './store.ts';
import { ActionRequest, badParameter, upstreamHeaders } from './request.ts';
import type { AmiMessage } from '../ami/message.ts';
import { addressOf, type ActionResult, type ActionSender, type ClientAddress, type ServerRouter } from './types.ts';
import { MSG, error, type Pairs } from './replies.ts';
import { challenge, events, filter, login, logoff, type BootInfo, type LocalContext } from './local.ts';
import { waitEvent } from './waitevent.ts';
import { AuthLimiter } from '../auth/limiter.ts';
import { DEFAULTS } from '../config/defaults.ts';
import type { Metrics } from '../metrics.ts';

export interface DispatcherOptions {
  store: SessionStore;
  /** Users by lowercase name. */
  users: ReadonlyMap<string, User>;
  permissions: ActionPermissions;
  /** With several servers: each one's action table, by server index (default: `permissions` for all). */
  serverPermissions?: readonly ActionPermissions[];
  pool: ActionSender;
  /** Several Asterisk servers: forwarded actions go through this instead of `pool` (see ServerRouter). */
  servers?: ServerRouter;
  log: EventLog;
  /** Delay before a failed Login/Challenge is answered (default 1000 ms, as Asterisk's sleep(1)). */
  failDelayMs?: number;
  /** Uptime / LastReload for the FullyBooted block (default: this process's uptime). */
  bootInfo?: () => BootInfo | undefined;
  /** Brute-force limits shared by every way of logging in (default: the default limits). */
  limiter?: AuthLimiter;
  /** Most bytes of events in one WaitEvent reply (default DEFAULTS.maxReplyBytes). */
  maxReplyBytes?: number;
  /** Action latency and login counts go here when given. */
  metrics?: Metrics;
}

export class Dispatcher {
  readonly store: SessionStore;
  readonly permissions: ActionPermissions;
  readonly serverPermissions: readonly ActionPermissions[] | undefined;
  readonly pool: ActionSender;
  readonly servers: ServerRouter | undefined;
  readonly log: EventLog;
  readonly limiter: AuthLimiter;
  readonly maxReplyBytes: number;
  readonly metrics: Metrics | undefined;
  private readonly ctx: LocalContext;

  constructor(opts: DispatcherOptions) {
    this.store = opts.store;
    this.permissions = opts.permissions;
    this.serverPermissions = opts.serverPermissions;
    this.pool = opts.pool;
    this.servers = opts.servers;
    this.log = opts.log;
    this.limiter = opts.limiter ?? new AuthLimiter();
    this.maxReplyBytes = opts.maxReplyBytes ?? DEFAULTS.maxReplyBytes;
    this.metrics = opts.metrics;
    this.ctx = {
      limiter: this.limiter,
      metrics: opts.metrics,
      store: opts.store,
      users: opts.users,
      log: opts.log,
      failDelayMs: opts.failDelayMs ?? DEFAULTS.loginFailDelayMs,
      bootInfo: opts.bootInfo ?? processBootInfo,
    };
  }

  /**
   * Runs one request's parameters (in order, duplicates kept) on `session`, which the caller got
   * from `store.open` and releases once the reply is written. Rejects only on a bug. Not `async`: a
   * forwarded action returns the pool's promise chain as is (each async layer cost a promise and
   * microtask hops per request).
   */
  handle(session: Session, pairs: Pairs, client: ClientAddress): Promise<ActionResult> {
    try {
      return this.run(session, pairs, client);
    } catch (err) {
      // A bug: reject, as the async version did (the HTTP layer answers an internal error).
      return Promise.reject(err);
    }
  }

  private run(session: Session, pairs: Pairs, client: ClientAddress): Promise<ActionResult> {
    const bad = badParameter(pairs);
    if (bad !== -1) return Promise.resolve(invalidCharacter(pairs, bad));

    const req = new ActionRequest(pairs);
    const id = req.actionId;
    if (req.action === '') return Promise.resolve({ output: [error(id, MSG.MISSING_ACTION)] });
    const action = asciiLower(req.action);
    const ctx = this.ctx;

    if (!session.authenticated) {
      // spec §2.3: before login only these three; everything else is denied.
      if (action === 'login') return login(ctx, session, req, addressOf(client));
      if (action === 'challenge') return challenge(ctx, session, req, addressOf(client));
      if (action === 'logoff') return Promise.resolve(logoff(ctx, session, req));
      return Promise.resolve(denied(id));
    }

    switch (action) {
      case 'login':
        return login(ctx, session, req, addressOf(client));
      case 'challenge':
        return challenge(ctx, session, req, addressOf(client));
      case 'logoff':
        return Promise.resolve(logoff(ctx, session, req));
      case 'events':
        return Promise.resolve(events(session, req));
      case 'filter':
        return Promise.resolve(filter(session, req));
      case 'waitevent':
        return Promise.resolve(waitEvent(this.log, session, req, this.maxReplyBytes));
    }

    // The server it goes to (`Server: NAME`, checked against the user's `servers = …`, else the
    // first the user may reach) decides with its own action table: servers load different modules.
    const user = session.user!;
    let target = -1;
    let permissions = this.permissions;
    const servers = this.servers;
    if (servers !== undefined) {
      const picked = servers.pick(user.serverMask, req.has('Server') ? req.get('Server') : undefined);
      if (typeof picked === 'string') return Promise.resolve({ output: [error(id, picked)] });
      target = picked;
      permissions = this.serverPermissions?.[picked] ?? permissions;
    }
    // Deny by default (Asterisk's process_message order): an action the table does not know is
    // answered here with Asterisk's text and never forwarded, whatever the user's classes.
    const need = permissions.required(action);
    if (need === undefined) return Promise.resolve({ output: [error(id, unknownCommand(req.action))] });
    const write = session.writePerm;
    if (!permissions.allows(write, action)) return Promise.resolve(denied(id));
    const refused = checkActionArguments(action, req, write);
    if (refused !== undefined) return Promise.resolve({ output: [error(id, refused)] });
    const sent = this.forward(user, action, req, id, target);
    // ListCommands: Asterisk lists only what this user may run; the proxy's own login sees all.
    if (action === 'listcommands') return sent.then((r) => listFor(permissions, r, write));
    return sent;
  }

  /** Sends to server `target` (-1: the single pool). */
  private forward(user: User, action: string, req: ActionRequest, id: string, target: number): Promise<ActionResult> {
    // What goes upstream is built from the normalized view only: one Action line with the name
    // that was checked, the first ActionID, the guarded parameters' first value only.
    let pairs: Pairs = upstreamHeaders(req);
    // Asterisk adds the user's `setvar` channel variables to every Originate of the session; the
    // shared AMI login would add the proxy's own, so the proxy adds the HTTP user's.
    if (action === 'originate' && user.setvar !== undefined && user.setvar.length > 0) {
      pairs = [...pairs, ...user.setvar.map(([k, v]) => ['Variable', `${k}=${v}`] as const)];
    }
    // The pool resolves AMI trouble as a Response: Error; the catches are only a safety net.
    let sent: Promise<AmiMessage[]>;
    try {
      const servers = this.servers;
      sent = servers === undefined || target === -1 ? this.pool.send(pairs) : servers.sendTo(target, pairs);
    } catch (err) {
      return Promise.resolve(internalError(id, err));
    }
    const m = this.metrics;
    if (m === undefined) return sent.then(toResult, (err: unknown) => internalError(id, err));
    const start = performance.now();
    return sent.then(
      (msgs) => {
        m.action(action, start, performance.now());
        return toResult(msgs);
      },
      (err: unknown) => internalError(id, err),
    );
  }
}

function listFor(permissions: ActionPermissions, r: ActionResult, write: number): ActionResult {
  return { ...r, output: r.output.map((b) => permissions.filterListCommands(b, write)) };
}

/** Asterisk's text for an action it does not have (snprintf into 512 bytes: at most 511). */
export function unknownCommand(action: string): string {
  const text = `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`;
  if (text.length <= 170 || Buffer.byteLength(text) <= 511) return text;
  return Buffer.from(text).subarray(0, 511).toString('utf8').replace(/\uFFFD$/, '');
}

function toResult(msgs: AmiMessage[]): ActionResult {
  const output = new Array<Buffer>(msgs.length);
  for (let i = 0; i < msgs.length; i++) output[i] = msgs[i]!.raw;
  return { output };
}

function internalError(id: string, err: unknown): ActionResult {
  return { output: [error(id, `Internal error: ${oneLine((err as Error).message)}`)] };
}

function denied(id: string): ActionResult {
  return { output: [error(id, MSG.PERMISSION_DENIED)] };
}

/** CR, LF or NUL in a parameter: answered here, nothing reaches Asterisk (issue 3). */
function invalidCharacter(pairs: Pairs, bad: number): ActionResult {
  let id = '';
  for (const [k, v] of pairs) {
    if (k.toLowerCase() === 'actionid') {
      if (!/[\r\n\0]/.test(v)) id = v;
      break;
    }
  }
  return { output: [error(id, `Invalid character in parameter ${oneLine(pairs[bad]![0])}`)] };
}

/** Text safe inside one AMI header line: CR, LF and NUL shown as \r, \n, \0. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\0]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : '\\0'));
}

function processBootInfo(): BootInfo {
  const up = process.uptime();
  return { uptime: up, lastReload: up };
}
