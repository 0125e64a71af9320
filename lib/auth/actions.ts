// Which write classes an action needs (spec §5.2). The proxy's own AMI login can do everything,
// so the proxy, not Asterisk, decides what each HTTP user may run: an action is allowed when the
// user's write mask shares a bit with the action's authority (any-of), or the authority is 0.
// The table starts as the built-in one below (Asterisk 22's, from manager.c and the modules) and is
// replaced by the server's own `ListCommands` once its pool is connected: one table per Asterisk
// server (app.ts), since servers differ in the modules they load.
import type { AmiMessage } from '../ami/message.ts';
import { ALL, CLASS_BITS, maskFromPrivilege } from './classes.ts';
import type { ClassMask } from './types.ts';

const { system, call, reporting, command, originate, config, agent, user, message, agi, aoc } = CLASS_BITS as Record<
  string,
  number
>;

// Lower-cased names. Taken from Asterisk 22.10.1's ListCommands (asterisk-22/http_16b) plus the
// spec §5.2 entries for modules that capture did not load.
const BUILTIN: ReadonlyArray<readonly [string, number]> = [
  // anyone (unauthenticated sessions still only get Login, Logoff and Challenge)
  ['ping', 0], ['login', 0], ['logoff', 0], ['challenge', 0], ['events', 0], ['waitevent', 0], ['listcommands', 0],
  // manager.c
  ['absolutetimeout', system | call], ['aocmessage', aoc!], ['atxfer', call!], ['blindtransfer', call!],
  ['cancelatxfer', call!], ['command', command!], ['coresettings', system | reporting],
  ['coreshowchannelmap', system | reporting], ['coreshowchannels', system | reporting], ['corestatus', system | reporting],
  ['createconfig', config!], ['filter', system!], ['getconfig', system | config], ['getconfigjson', system | config],
  ['getvar', call | reporting], ['hangup', system | call], ['listcategories', config!], ['loggerrotate', system | reporting],
  ['mailboxcount', call | reporting], ['mailboxstatus', call | reporting], ['extensionstate', call | reporting],
  ['presencestate', call | reporting], ['modulecheck', system!], ['moduleload', system!], ['originate', originate!],
  ['redirect', call!], ['reload', system | config], ['sendtext', call!], ['setvar', call!],
  ['status', system | call | reporting], ['updateconfig', config!], ['userevent', user!],
  // main/*.c and res/*
  ['bridge', call!], ['bridgedestroy', 0], ['bridgeinfo', 0], ['bridgekick', 0], ['bridgelist', 0],
  ['bridgetechnologylist', 0], ['bridgetechnologysuspend', 0], ['bridgetechnologyunsuspend', 0],
  ['dbdel', system!], ['dbdeltree', system!], ['dbget', system | reporting], ['dbgettree', system | reporting],
  ['dbput', system!], ['devicestatelist', call | reporting], ['extensionstatelist', call | reporting],
  ['presencestatelist', call | reporting], ['dialplanextensionadd', system!], ['dialplanextensionremove', system!],
  ['localoptimizeaway', system | call], ['messagesend', message!], ['playdtmf', call!], ['sendflash', call!],
  ['showdialplan', config | reporting], ['agi', agi!], ['mixmonitor', system!], ['muteaudio', system!],
  // app_queue
  ['queuestatus', 0], ['queuesummary', 0], ['queuerule', 0], ['queuereload', 0], ['queuereset', 0],
  ['queuechangeprioritycaller', 0], ['queuewithdrawcaller', 0], ['queueadd', agent!], ['queueremove', agent!],
  ['queuepause', agent!], ['queuepenalty', agent!], ['queuelog', agent!], ['queuememberringinuse', agent!],
  ['agents', agent!],
  // res_pjsip*, chan_iax2, chan_sip (≤20); spec §5.2
  ['pjsipshowendpoints', system!], ['pjsipshowendpoint', system!], ['pjsipshowaors', system!],
  ['pjsipshowauths', system!], ['pjsipshowcontacts', system!], ['pjsipnotify', system!],
  ['pjsipshowregistrationsoutbound', system | reporting], ['pjsipqualify', system | reporting],
  ['iaxpeers', system | reporting], ['sippeers', system | reporting], ['sipshowpeer', system | reporting],
];

/**
 * Lower case as Asterisk compares action names (strcasecmp: ASCII letters only). JavaScript's
 * toLowerCase also folds a few other letters into ASCII (the Kelvin sign U+212A into `k`), which
 * would make the proxy judge a name Asterisk does not know as one it does.
 */
export function asciiLower(s: string): string {
  return NON_ASCII.test(s) ? s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32)) : s.toLowerCase();
}
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Actions the proxy answers itself, known whatever a server's ListCommands says. */
const SESSION_LOCAL: ReadonlySet<string> = new Set(['login', 'logoff', 'challenge', 'events', 'waitevent', 'filter']);

/** The built-in action → authority table (lower-case names). */
export const builtinActionClasses: ReadonlyMap<string, ClassMask> = new Map(BUILTIN);

/**
 * Reads a ListCommands reply (`Name: synopsis  (Priv: a,b,all)` lines, or `(Priv: <none>)`) into
 * lower-case name → authority. `all` alone (authority of unnamed bits only) maps to UNNAMED, so
 * only `write = all` users get such an action.
 */
export function parseListCommands(messages: readonly AmiMessage[]): Map<string, ClassMask> {
  const out = new Map<string, ClassMask>();
  for (const msg of messages) {
    for (let i = 0; i < msg.count; i++) {
      if (msg.isOpaque(i)) continue;
      const value = msg.value(i);
      const at = value.lastIndexOf('(Priv: ');
      if (at === -1 || !value.endsWith(')')) continue;
      const name = msg.key(i).toLowerCase();
      if (name === '' || name === 'response' || name === 'actionid' || name === 'message') continue;
      out.set(name, maskFromPrivilege(value.slice(at + 7, -1)));
    }
  }
  return out;
}

export class ActionPermissions {
  private readonly table: Map<string, ClassMask>;
  /**
   * True once a non-empty ListCommands was merged: from then on an action missing from the table
   * is one Asterisk does not have either, and may be answered `Invalid/unknown command` locally.
   */
  learned: boolean;

  constructor(initial: ReadonlyMap<string, ClassMask> = builtinActionClasses) {
    this.table = new Map(initial);
    this.learned = false;
  }

  /** The authority of an action (any case), or undefined when the action is unknown. */
  required(action: string): ClassMask | undefined {
    return this.table.get(asciiLower(action));
  }

  /**
   * May a user with this write mask run the action? Any one shared class, or authority 0. Deny by
   * default: an action the table does not know (not built in, not in ListCommands) is never
   * allowed; the dispatcher answers it with Asterisk's `Invalid/unknown command` text itself.
   */
  allows(write: ClassMask, action: string): boolean {
    const need = this.table.get(asciiLower(action));
    if (need === undefined) return false;
    return need === 0 || (write & need) !== 0;
  }

  /**
   * What Asterisk's ListCommands shows this user: the reply's `Name: synopsis  (Priv: …)` lines of
   * actions with authority 0 or a class the user may write, the rest of the bytes untouched.
   */
  filterListCommands(raw: Buffer, write: ClassMask): Buffer {
    if (write === ALL) return raw;
    const text = raw.toString('latin1');
    const lines = text.split('\r\n');
    const kept: string[] = [];
    for (const line of lines) {
      const at = line.lastIndexOf('(Priv: ');
      if (at !== -1 && line.endsWith(')') && line.indexOf(':') < at) {
        const need = maskFromPrivilege(line.slice(at + 7, -1));
        if (need !== 0 && (write & need) === 0) continue;
      }
      kept.push(line);
    }
    return kept.length === lines.length ? raw : Buffer.from(kept.join('\r\n'), 'latin1');
  }

  /**
   * Takes a ListCommands result (parseListCommands) as this server's table: what it lists is what
   * that Asterisk has (the proxy's own AMI account has `write = all`, so it lists every registered
   * action), and a built-in entry it leaves out is a module not loaded there — unknown, answered
   * locally with Asterisk's `Invalid/unknown command` text. The actions the proxy answers itself
   * (Login, Events, WaitEvent …) stay known. An empty result teaches nothing.
   */
  update(fromListCommands: ReadonlyMap<string, ClassMask>): void {
    if (fromListCommands.size === 0) return;
    const local = [...SESSION_LOCAL].map((name) => [name, this.table.get(name) ?? 0] as const);
    this.table.clear();
    for (const [name, mask] of local) this.table.set(name, mask);
    for (const [name, mask] of fromListCommands) this.table.set(name.toLowerCase(), mask);
    this.learned = true;
  }

  get size(): number {
    return this.table.size;
  }
}

// Originate: apps and dialplan functions that need more than `originate` (manager.c
// originate_app_permissions; Asterisk checks them against the session's write mask, which for the
// proxy's own login is everything, so the proxy must check the HTTP user's).
const ORIGINATE_APPS = ['agi', 'dbdeltree', 'exec', 'externalivr', 'mixmonitor', 'originate', 'reload', 'system'];
const ORIGINATE_DATA = ['CURL', 'DB', 'EVAL', 'FILE', 'ODBC', 'REALTIME', 'SHELL'];

/** is_originate_app_permitted: the first matching entry decides. */
export function isOriginateAppPermitted(app: string, data: string, write: ClassMask): boolean {
  const lower = app.toLowerCase();
  for (const a of ORIGINATE_APPS) if (lower.includes(a)) return (write & system!) !== 0;
  if (lower.includes('queue') && data !== '' && queueHasAgi(data)) return (write & (agi! | system!)) !== 0;
  for (const d of ORIGINATE_DATA) if (data.includes(d)) return (write & system!) !== 0;
  return true;
}

/** Queue(queuename,options,url,announceoverride,queuetimeoutstr,AGI,...): the 6th argument. */
function queueHasAgi(data: string): boolean {
  const args = data.split(',');
  return args.length > 5 && args[5]!.trim() !== '';
}

/** function_capable_string_allowed_with_auths: SHELL / EVAL need system. */
function functionStringAllowed(s: string, write: ClassMask): boolean {
  return (write & system!) !== 0 || !(s.includes('SHELL') || s.includes('EVAL'));
}

/**
 * Argument checks Asterisk makes against the session's write mask, done here against the HTTP
 * user's: returns Asterisk's `Message:` text for a `Response: Error`, or undefined when fine.
 * `get` is a case-insensitive first-match header lookup (AmiMessage.get fits).
 */
export function checkActionArguments(
  action: string,
  request: { get(name: string): string | undefined },
  write: ClassMask,
): string | undefined {
  if (write === ALL) return undefined;
  switch (asciiLower(action)) {
    case 'originate': {
      const app = request.get('Application') ?? '';
      if (app !== '' && !isOriginateAppPermitted(app, request.get('Data') ?? '', write)) {
        return 'Originate Access Forbidden: app or data blacklisted';
      }
      return undefined;
    }
    case 'getvar': {
      const v = request.get('Variable') ?? '';
      return v !== '' && !functionStringAllowed(v, write) ? 'GetVar Access Forbidden: Variable' : undefined;
    }
    case 'status': {
      const v = request.get('Variables') ?? '';
      return !functionStringAllowed(v, write) ? 'Status Access Forbidden: Variables' : undefined;
    }
    default:
      return undefined;
  }
}
