// The users file: Asterisk's manager.conf format, so an operator can point at the one they have.
// Every section but [general] (and `(!)` templates) is a user:
//   [wallboard]
//   secret = s3cret
//   read = call,agent,reporting        ; strict class lists (lib/auth/classes.ts)
//   write = reporting
//   deny = 0.0.0.0/0.0.0.0             ; ACL rules, in order (lib/auth/acl.ts)
//   permit = 127.0.0.1/255.255.255.0
//   eventfilter = !Event: VarSet        ; repeated; lib/auth/filter.ts
//   allowmultiplelogin = no
//   token = sha256:<64 hex>            ; repeated; SHA-256 of a bearer token (`ajam-proxy token`)
// Known manager.conf keys that mean nothing over HTTP are accepted; an unknown key is an error
// naming file and line, so a typo (`premit`) cannot silently weaken a user.
import { parseClassList } from './classes.ts';
import { isFalseWord, isTrueWord } from '../config/words.ts';
import { Acl } from './acl.ts';
import { hashedSecretHex } from './secret.ts';
import { parseEventFilterEntry } from './filter.ts';
import type { ClassMask, EventFilterRule, User } from './types.ts';
import { confError, readConf, type ConfEntry, type ConfSection } from '../config/conf.ts';
import { AjamError, ErrorCodes } from '../errors.ts';

export class ManagerUser implements User {
  name: string;
  secret: string | undefined;
  secretSha256: string | undefined;
  read: ClassMask;
  write: ClassMask;
  eventFilters: EventFilterRule[];
  allowMultipleLogin: boolean;
  file: string;
  line: number;
  setvar: Array<readonly [string, string]>;
  writeTimeout: number;
  displayConnects: boolean | undefined;
  tokenHashes: string[];
  servers: string[] | undefined;
  serversAt: string | undefined;
  serverMask: number | undefined;
  readonly acl: Acl;

  constructor(name: string, file: string, line: number) {
    this.name = name;
    this.secret = undefined;
    this.secretSha256 = undefined;
    this.read = 0;
    this.write = 0;
    this.eventFilters = [];
    this.allowMultipleLogin = true;
    this.file = file;
    this.line = line;
    this.setvar = [];
    this.writeTimeout = 100;
    this.displayConnects = undefined;
    this.tokenHashes = [];
    this.servers = undefined;
    this.serversAt = undefined;
    this.serverMask = undefined;
    this.acl = new Acl();
  }

  allows(address: string): boolean {
    return this.acl.allows(address);
  }

  get allowsEveryAddress(): boolean {
    return this.acl.rules.length === 0;
  }
}

// [general] keys of manager.conf (§7). Read: allowmultiplelogin and displayconnects (defaults for
// every user), httptimeout (the session lifetime unless ajam-proxy.conf sets its own, lib/app.ts).
// The rest configure Asterisk's own AMI listener: accepted so an existing manager.conf loads as it
// is, and listed in `ignored` so the start-up log can say they do nothing here.
const READ_GENERAL_KEYS = new Set(['allowmultiplelogin', 'displayconnects', 'httptimeout']);
const GENERAL_KEYS = new Set([
  'enabled', 'webenabled', 'port', 'bindaddr', 'displayconnects', 'timestampevents', 'debug', 'httptimeout',
  'authtimeout', 'authlimit', 'allowmultiplelogin', 'brokeneventsaction', 'channelvars', 'disabledevents',
  'block_sockets', 'manager_debug',
]);

function isGeneralKey(key: string): boolean {
  return GENERAL_KEYS.has(key) || key.startsWith('tls') || key.startsWith('ssl');
}

/** What the users file's `[general]` says beyond the per-user defaults. */
export interface UsersGeneral {
  /** `httptimeout` in seconds and where it is written, when it is. */
  httptimeout: { seconds: number; where: string } | undefined;
  /** Keys present that the proxy does not use (Asterisk's own AMI listener settings), in order. */
  ignored: string[];
}

/** Reads a manager.conf-format file into lower-case name → user. Throws AjamError CONF_ERR_*. */
export function loadUsers(path: string): Map<string, User> {
  return usersFromSections(readConf(path), path);
}

/** loadUsers plus what its `[general]` section says (httptimeout, keys ignored here). */
export function loadUsersFile(path: string): { users: Map<string, User>; general: UsersGeneral } {
  const sections = readConf(path);
  return { users: usersFromSections(sections, path), general: usersGeneral(sections) };
}

/** The `[general]` keys of a users file beyond allowmultiplelogin / displayconnects. */
export function usersGeneral(sections: readonly ConfSection[]): UsersGeneral {
  const out: UsersGeneral = { httptimeout: undefined, ignored: [] };
  for (const s of sections) {
    if (s.name.toLowerCase() !== 'general') continue;
    for (const e of s.entries) {
      const key = e.key.toLowerCase();
      if (key === 'httptimeout') {
        // Asterisk reads it with atoi and no bounds; ours are those of ajam-proxy.conf's.
        const n = /^[0-9]+$/.test(e.value) ? Number(e.value) : NaN;
        if (!(n >= 1 && n <= 86400)) throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `httptimeout: expected seconds from 1 to 86400, got '${e.value}'`);
        out.httptimeout = { seconds: n, where: `${e.file}:${e.line}` };
      } else if (!READ_GENERAL_KEYS.has(key) && !out.ignored.includes(key)) out.ignored.push(key);
    }
  }
  return out;
}

/**
 * Takes the proxy's own AMI account out of the HTTP users: an HTTP client must never be able to
 * log in as the account that reads and writes everything on Asterisk (a users file that is
 * Asterisk's manager.conf holds it). Every way of logging in looks users up in this map, so none
 * can find it. Returns the removed user, if any.
 */
export function removeProxyAccount(users: Map<string, User>, amiUsername: string): User | undefined {
  const id = amiUsername.toLowerCase();
  const user = users.get(id);
  if (user !== undefined) users.delete(id);
  return user;
}

/** Builds the users from parsed sections (loadUsers without the file reading). */
export function usersFromSections(sections: readonly ConfSection[], file = 'users file'): Map<string, User> {
  let multiDefault = true;
  let displayDefault: boolean | undefined;
  let generalSeen: ConfSection | undefined;
  for (const s of sections) {
    if (s.name.toLowerCase() !== 'general') continue;
    if (generalSeen !== undefined) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, s.file, s.line, `[general] repeated (first at ${generalSeen.file}:${generalSeen.line})`);
    }
    generalSeen = s;
    for (const e of s.entries) {
      const key = e.key.toLowerCase();
      if (!isGeneralKey(key)) throw unknownKey(e, 'general');
      if (key === 'allowmultiplelogin') multiDefault = yesNo(e);
      else if (key === 'displayconnects') displayDefault = yesNo(e);
    }
  }

  const users = new Map<string, User>();
  for (const s of sections) {
    if (s.template || s.name.toLowerCase() === 'general') continue;
    const id = s.name.toLowerCase();
    const prev = users.get(id) as ManagerUser | undefined;
    if (prev !== undefined) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, s.file, s.line, `user [${s.name}] defined twice (first at ${prev.file}:${prev.line})`);
    }
    users.set(id, buildUser(s, multiDefault, displayDefault));
  }
  if (users.size === 0) {
    throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${file}: no user sections, so nobody could log in`);
  }
  return users;
}

function buildUser(s: ConfSection, multiDefault: boolean, displayDefault: boolean | undefined): ManagerUser {
  const u = new ManagerUser(s.name, s.file, s.line);
  u.allowMultipleLogin = multiDefault;
  u.displayConnects = displayDefault;
  for (const e of s.entries) {
    const key = e.key.toLowerCase();
    const where = `${e.file}:${e.line}: ${e.key}`;
    switch (key) {
      case 'secret':
        // An empty secret would let anyone in with an empty one (Asterisk's strcmp); treat as none.
        // `sha256:<64 hex>` is the hashed form (lib/auth/secret.ts).
        u.secretSha256 = hashedSecretHex(e.value);
        u.secret = e.value === '' || u.secretSha256 !== undefined ? undefined : e.value;
        break;
      case 'read':
        u.read = parseClassList(e.value, { file: e.file, line: e.line, key: e.key });
        break;
      case 'write':
        u.write = parseClassList(e.value, { file: e.file, line: e.line, key: e.key });
        break;
      case 'permit':
      case 'deny':
        u.acl.add(key === 'permit', e.value, where);
        break;
      case 'acl':
        throw confError(
          ErrorCodes.CONF_ERR_VALUE,
          e.file,
          e.line,
          `acl = ${e.value}: named ACLs (acl.conf) are not supported here; write the permit/deny lines into [${s.name}]`,
        );
      case 'allowmultiplelogin':
        u.allowMultipleLogin = yesNo(e);
        break;
      case 'displayconnects':
        u.displayConnects = yesNo(e);
        break;
      case 'writetimeout': {
        const n = /^[0-9]+$/.test(e.value) ? Number(e.value) : NaN;
        if (!(n >= 100)) throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `writetimeout: expected milliseconds >= 100, got '${e.value}'`);
        u.writeTimeout = n;
        break;
      }
      case 'token': {
        // Only the hash is kept: a leaked users file must not hand out working tokens.
        // The value is not echoed in the error: it may be a raw token pasted by mistake.
        const m = /^sha256:([0-9a-fA-F]{64})$/.exec(e.value);
        if (m === null) {
          throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `token: expected sha256:<64 hex digits> (make one with 'ajam-proxy token')`);
        }
        u.tokenHashes.push(m[1]!.toLowerCase());
        break;
      }
      case 'servers': {
        const names = e.value.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
        if (names.length === 0) throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `servers: expected server names (a,b), got '${e.value}'`);
        u.servers = [...(u.servers ?? []), ...names];
        u.serversAt = `${e.file}:${e.line}`;
        break;
      }
      case 'setvar': {
        const eq = e.value.indexOf('=');
        if (eq <= 0) throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `setvar: expected NAME=value, got '${e.value}'`);
        u.setvar.push([e.value.slice(0, eq).trim(), e.value.slice(eq + 1).trim()]);
        break;
      }
      default:
        if (key.startsWith('eventfilter')) {
          u.eventFilters.push(parseEventFilterEntry(e.key, e.value, e.file, e.line));
          break;
        }
        throw unknownKey(e, s.name);
    }
  }
  return u;
}

/**
 * Resolves every user's `servers = …` against the configured server names (in order): sets
 * `serverMask`; a name that is not configured is an error naming the users file line.
 */
export function limitToServers(users: ReadonlyMap<string, User>, serverNames: readonly string[]): void {
  const lower = serverNames.map((n) => n.toLowerCase());
  for (const u of users.values()) {
    if (u.servers === undefined) {
      u.serverMask = undefined;
      continue;
    }
    let mask = 0;
    for (const n of u.servers) {
      const i = lower.indexOf(n);
      if (i === -1) {
        throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${u.serversAt ?? u.name}: servers: no server '${n}' is configured (configured: ${serverNames.join(', ')})`);
      }
      mask |= 1 << i;
    }
    u.serverMask = mask;
  }
}

function yesNo(e: ConfEntry): boolean {
  if (isTrueWord(e.value)) return true;
  if (isFalseWord(e.value)) return false;
  throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `${e.key}: expected yes or no, got '${e.value}'`);
}

function unknownKey(e: ConfEntry, section: string): Error {
  return confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `unknown key '${e.key}' in [${section}]`);
}
