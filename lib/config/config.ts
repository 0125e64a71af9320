// The proxy's configuration: conf/ajam-proxy.conf read once, validated once, typed. Every error
// is one AjamError CONF_ERR_* line naming file, line and the offending key or value, so a typo
// stops the start instead of silently meaning something else. The users file it names is checked
// to exist here and read by app.ts (auth/ sits above config/).
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { AjamError, ErrorCodes } from '../errors.ts';
import { isFalseWord, isTrueWord } from './words.ts';
import { DEFAULTS, MAX_SERVERS } from './defaults.ts';
import { isLogLevel, type LogLevel } from '../log.ts';
import { confError, readConf, type ConfEntry, type ConfSection } from './conf.ts';

export interface GeneralConfig {
  bindaddr: string;
  bindport: number;
  /** '' or '/name' (leading slash, none trailing): every URI starts with it. */
  prefix: string;
  /** Seconds: cookie Max-Age, idle expiry of sessions, WaitEvent cap. */
  httptimeout: number;
  /** `file:line` of httptimeout in this file, '' when not written (the users file's may apply, lib/auth/http-users.ts). */
  httptimeoutAt: string;
  /** `Server:` header and error-page signature; '' omits both (as Asterisk). */
  servername: string;
  /** Absolute path of the users file (manager.conf format). */
  users: string;
  /** Absolute path of the folder served under `<prefix>/static/`, if any. */
  static: string | undefined;
  /** Capacity of each server's event ring (events), unless its section sets its own. */
  eventBuffer: number;
  /** Failed logins from one address within `authwindow` that lock it (brute force, lib/auth/limiter.ts). */
  authLimit: number;
  /** Seconds: the failure window, and the first lockout's length (each next one doubles). */
  authWindow: number;
  /** Seconds: the longest lockout. */
  authMaxLock: number;
  /** Per-user slow-down (ms): per failure past authlimit, its cap, and attempts waiting per user. */
  authUserStep: number;
  authUserMaxDelay: number;
  authUserQueue: number;
  /** Log level (`--log-level` and AJAM_LOG take precedence). */
  loglevel: LogLevel;
  /** Who may read `<prefix>/metrics`: addresses as in a users-file `permit` (default loopback), `any` or `none`. */
  metricspermit: string;
  /** `file:line` of that setting ('' for the default), for the message if app.ts finds it invalid. */
  metricspermitAt: string;
  /** Seconds a shutdown waits for in-flight actions before closing anyway. */
  shutdowntimeout: number;
  /** Bytes each server's event ring may hold (raw events plus cached formats), unless its section sets its own. */
  eventBufferBytes: number;
  /** Most bytes of events in one WaitEvent reply. */
  maxReplyBytes: number;
  /** Most bytes of one action's collected reply. */
  maxActionReplyBytes: number;
  /** Requests per second without a valid session per client address (0: unlimited). */
  unauthRate: number;
  /** Sessions kept in all / logged-in sessions per user / unauthenticated (Challenge) per address. */
  maxSessions: number;
  maxSessionsPerUser: number;
  maxUnauthPerAddress: number;
  /** `httpenable`: serve plain HTTP on bindaddr:bindport (turn off to serve only TLS). */
  httpEnable: boolean;
  /** `allowbasic`: accept `Authorization: Basic` with the user's secret (Bearer needs no switch). */
  allowBasic: boolean;
  /** The HTTPS listener (`tlsenable = yes`), else undefined. */
  tls: TlsConfig | undefined;
  /**
   * `trustproxy`: peers (addresses/CIDRs, comma-separated) whose X-Forwarded-For/-Proto are
   * believed, with where it was written (lib/http/forwarded.ts parses it); undefined: nobody.
   */
  trustProxy: { value: string; where: string } | undefined;
  /** /ws and /events: unsent bytes per socket before a client is closed as too slow. */
  pushBufferLimit: number;
  /** /ws: largest client frame in bytes (bigger: close 1009). */
  wsMaxFrame: number;
  /** /ws: actions of one socket awaiting their reply. */
  wsMaxInFlight: number;
  /** /ws + /events clients at once. */
  pushMaxClients: number;
  /** Open HTTP(S) connections at once (at the cap the listeners stop accepting). */
  maxConnections: number;
  /** Seconds a POST body may take after its headers (node:http layer: the whole request, and keep-alive idle). */
  requestTimeout: number;
}

export interface TlsConfig {
  host: string;
  port: number;
  /** Absolute paths of the PEM certificate (chain) and private key. */
  certFile: string;
  keyFile: string;
}

export interface AsteriskConfig {
  /** `NAME` of `[asterisk:NAME]`; `default` for a plain `[asterisk]`. */
  name: string;
  host: string;
  port: number;
  username: string;
  secret: string;
  authtype: 'plain' | 'md5';
  /** AMI connections in the pool. */
  connections: number;
  /** Run the built-in simulator in-process instead of connecting to host:port. */
  simulate: boolean;
  /** Seconds an action may wait for its response. */
  actionTimeout: number;
  /** Seconds between keepalive Pings on an idle AMI connection; 0 turns them off. */
  keepalive: number;
  /** Seconds: an action sent to an Asterisk that answers nothing is answered with an error within this. */
  stallTimeout: number;
  /** Seconds to wait after Asterisk refused the AMI login, doubling up to authBackoffMax. */
  authBackoff: number;
  authBackoffMax: number;
  /** This server's event ring: entries and bytes (default: [general] eventbuffer / eventbufferbytes). */
  eventBuffer: number;
  eventBufferBytes: number;
}

export interface Config {
  /** Absolute path of the config file. */
  file: string;
  general: GeneralConfig;
  /** The Asterisk servers, in file order (at least one): `[asterisk]` or `[asterisk:NAME]` sections. */
  servers: AsteriskConfig[];
  /** servers[0]: actions without a `Server` parameter go there. */
  asterisk: AsteriskConfig;
}

/** Name of the server of a plain `[asterisk]` section. */
export const DEFAULT_SERVER_NAME = 'default';

/** What the command line may change. */
export interface ConfigOverrides {
  /** `HOST:PORT`, `[V6]:PORT` or `PORT`. */
  listen?: string | undefined;
  simulate?: boolean | undefined;
}


/** `ajam-proxy/<version>` from package.json. */
export function defaultServerName(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `ajam-proxy/${pkg.version ?? '0'}`;
  } catch {
    return 'ajam-proxy';
  }
}

/** Reads, validates and types the config file (and the users file it names). */
export function loadConfig(path: string, overrides: ConfigOverrides = {}): Config {
  const file = resolve(path);
  const sections = readConf(file);
  const base = dirname(file);
  const byName = new Map<string, ConfSection>();
  // [asterisk] or [asterisk:NAME] sections, in file order, by their server name.
  const serverSections: Array<{ name: string; section: ConfSection }> = [];
  for (const s of sections) {
    const name = s.name.toLowerCase();
    const server = serverName(s);
    if (name !== 'general' && server === undefined) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, s.file, s.line, `unknown section [${s.name}] (expected [general], [asterisk] or [asterisk:NAME])`);
    }
    const prev = byName.get(server === undefined ? name : `asterisk:${server.toLowerCase()}`);
    if (prev !== undefined) {
      throw confError(ErrorCodes.CONF_ERR_SYNTAX, s.file, s.line, `[${s.name}] repeated (first at line ${prev.line})`);
    }
    byName.set(server === undefined ? name : `asterisk:${server.toLowerCase()}`, s);
    if (server !== undefined) serverSections.push({ name: server, section: s });
  }
  const plain = serverSections.find((x) => x.section.name.toLowerCase() === 'asterisk');
  if (plain !== undefined && serverSections.length > 1) {
    const other = serverSections.find((x) => x !== plain)!.section;
    throw confError(ErrorCodes.CONF_ERR_SYNTAX, other.file, other.line, `[${other.name}] next to a plain [asterisk] (line ${plain.section.line}): name every server, [asterisk:NAME]`);
  }

  if (serverSections.length > MAX_SERVERS) {
    const extra = serverSections[MAX_SERVERS]!.section;
    throw confError(ErrorCodes.CONF_ERR_SYNTAX, extra.file, extra.line, `at most ${MAX_SERVERS} Asterisk servers`);
  }

  const g = entries(byName.get('general'), 'general', GENERAL_KEYS);

  const general: GeneralConfig = {
    bindaddr: g.bindaddr === undefined ? DEFAULTS.bindaddr : hostValue(g.bindaddr),
    bindport: g.bindport === undefined ? DEFAULTS.bindport : intValue(g.bindport, 1, 65535),
    prefix: g.prefix === undefined ? DEFAULTS.prefix : prefixValue(g.prefix),
    httptimeout: g.httptimeout === undefined ? DEFAULTS.httptimeoutMs / 1000 : intValue(g.httptimeout, 1, 86400),
    httptimeoutAt: g.httptimeout === undefined ? '' : `${g.httptimeout.file}:${g.httptimeout.line}`,
    servername: g.servername === undefined ? defaultServerName() : g.servername.value,
    users: resolve(base, g.users === undefined ? DEFAULTS.users : nonEmpty(g.users)),
    static: g.static === undefined ? undefined : folderValue(g.static, base),
    eventBuffer: g.eventbuffer === undefined ? DEFAULTS.eventBuffer : intValue(g.eventbuffer, 1, 10_000_000),
    authLimit: g.authlimit === undefined ? DEFAULTS.authLimit : intValue(g.authlimit, 1, 1_000_000),
    authWindow: g.authwindow === undefined ? DEFAULTS.authWindowMs / 1000 : intValue(g.authwindow, 1, 86400),
    authMaxLock: g.authmaxlock === undefined ? DEFAULTS.authMaxLockMs / 1000 : intValue(g.authmaxlock, 1, 7 * 86400),
    authUserStep: g.authuserstep === undefined ? DEFAULTS.authUserStepMs : intValue(g.authuserstep, 1, 60_000),
    authUserMaxDelay: g.authusermaxdelay === undefined ? DEFAULTS.authMaxUserDelayMs : intValue(g.authusermaxdelay, 1, 60_000),
    authUserQueue: g.authuserqueue === undefined ? DEFAULTS.authMaxUserQueue : intValue(g.authuserqueue, 1, 100_000),
    eventBufferBytes: g.eventbufferbytes === undefined ? DEFAULTS.eventBufferBytes : intValue(g.eventbufferbytes, 65536, 2 ** 40),
    maxReplyBytes: g.maxreplybytes === undefined ? DEFAULTS.maxReplyBytes : intValue(g.maxreplybytes, 1024, 2 ** 32),
    maxActionReplyBytes: g.maxactionreplybytes === undefined ? DEFAULTS.maxActionReplyBytes : intValue(g.maxactionreplybytes, 1024, 2 ** 34),
    unauthRate: g.unauthrate === undefined ? DEFAULTS.unauthRate : intValue(g.unauthrate, 0, 10_000_000),
    maxSessions: g.maxsessions === undefined ? DEFAULTS.maxSessions : intValue(g.maxsessions, 1, 10_000_000),
    maxSessionsPerUser: g.maxsessionsperuser === undefined ? DEFAULTS.maxSessionsPerUser : intValue(g.maxsessionsperuser, 1, 10_000_000),
    maxUnauthPerAddress: g.maxunauthperaddress === undefined ? DEFAULTS.maxUnauthPerAddress : intValue(g.maxunauthperaddress, 1, 10_000_000),
    httpEnable: g.httpenable === undefined ? true : boolValue(g.httpenable),
    allowBasic: g.allowbasic === undefined ? false : boolValue(g.allowbasic),
    tls: tlsValue(g, base),
    trustProxy: g.trustproxy === undefined ? undefined : { value: nonEmpty(g.trustproxy), where: `${g.trustproxy.file}:${g.trustproxy.line}: trustproxy` },
    loglevel: g.loglevel === undefined ? DEFAULTS.logLevel : logLevelValue(g.loglevel),
    metricspermit: g.metricspermit === undefined ? DEFAULTS.metricsPermit : nonEmpty(g.metricspermit),
    metricspermitAt: g.metricspermit === undefined ? '' : `${g.metricspermit.file}:${g.metricspermit.line}`,
    shutdowntimeout: g.shutdowntimeout === undefined ? DEFAULTS.shutdownDrainMs / 1000 : secondsValue(g.shutdowntimeout, true),
    pushBufferLimit: g.pushbufferlimit === undefined ? DEFAULTS.pushBufferLimit : intValue(g.pushbufferlimit, 4096, 1 << 30),
    wsMaxFrame: g.wsmaxframe === undefined ? DEFAULTS.wsMaxFrame : intValue(g.wsmaxframe, 256, 16 * 1024 * 1024),
    wsMaxInFlight: g.wsmaxinflight === undefined ? DEFAULTS.wsMaxInFlight : intValue(g.wsmaxinflight, 1, 100_000),
    pushMaxClients: g.pushmaxclients === undefined ? DEFAULTS.pushMaxClients : intValue(g.pushmaxclients, 1, 10_000_000),
    maxConnections: g.maxconnections === undefined ? DEFAULTS.maxConnections : intValue(g.maxconnections, 1, 10_000_000),
    requestTimeout: g.requesttimeout === undefined ? DEFAULTS.requestTimeoutMs / 1000 : intValue(g.requesttimeout, 1, 3600),
  };
  if (!general.httpEnable && general.tls === undefined) {
    const e = g.httpenable!;
    throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, 'httpenable = no needs tlsenable = yes: nothing would listen');
  }

  const servers = serverSections.length === 0
    ? [serverConfig(DEFAULT_SERVER_NAME, undefined, file, overrides, general)]
    : serverSections.map((x) => serverConfig(x.name, x.section, file, overrides, general));

  if (overrides.listen !== undefined) {
    const l = parseListen(overrides.listen);
    if (l.host !== undefined) general.bindaddr = l.host;
    general.bindport = l.port;
  }

  try {
    statSync(general.users);
  } catch {
    const at = g.users;
    const msg = `users file '${general.users}' not found`;
    throw at === undefined ? new AjamError(ErrorCodes.CONF_ERR_FILE, `${file}: ${msg}`) : confError(ErrorCodes.CONF_ERR_FILE, at.file, at.line, msg);
  }
  return { file, general, servers, asterisk: servers[0]! };
}

/** `asterisk` → 'default', `asterisk:NAME` → NAME (letters, digits, `_`, `-`, `.`), else undefined. */
function serverName(s: ConfSection): string | undefined {
  const low = s.name.toLowerCase();
  if (low === 'asterisk') return DEFAULT_SERVER_NAME;
  if (!low.startsWith('asterisk:')) return undefined;
  const name = s.name.slice('asterisk:'.length).trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw confError(ErrorCodes.CONF_ERR_SYNTAX, s.file, s.line, `[${s.name}]: a server name is 1 to 64 letters, digits, '_', '-' or '.'`);
  }
  return name;
}

/** One server's section, validated and typed (an absent `[asterisk]` gives the defaults). */
function serverConfig(name: string, section: ConfSection | undefined, file: string, overrides: ConfigOverrides, general: GeneralConfig): AsteriskConfig {
  const a = entries(section, section?.name ?? 'asterisk', ASTERISK_KEYS);
  const simulate = overrides.simulate === true || (a.simulate !== undefined && boolValue(a.simulate));
  const asterisk: AsteriskConfig = {
    name,
    host: a.host === undefined ? DEFAULTS.host : hostValue(a.host),
    port: a.port === undefined ? DEFAULTS.port : intValue(a.port, 1, 65535),
    username: a.username?.value ?? '',
    secret: a.secret?.value ?? '',
    authtype: a.authtype === undefined ? DEFAULTS.authtype : authValue(a.authtype),
    connections: a.connections === undefined ? DEFAULTS.connections : intValue(a.connections, 1, 64),
    simulate,
    actionTimeout: a.actiontimeout === undefined ? DEFAULTS.actionTimeoutMs / 1000 : secondsValue(a.actiontimeout, false),
    keepalive: a.keepalive === undefined ? DEFAULTS.keepaliveMs / 1000 : secondsValue(a.keepalive, true),
    stallTimeout: a.stalltimeout === undefined ? DEFAULTS.stallTimeoutMs / 1000 : secondsValue(a.stalltimeout, false),
    authBackoff: a.authbackoff === undefined ? DEFAULTS.authBackoffInitialMs / 1000 : secondsValue(a.authbackoff, false),
    authBackoffMax: a.authbackoffmax === undefined ? DEFAULTS.authBackoffMaxMs / 1000 : secondsValue(a.authbackoffmax, false),
    // Each server has its own ring (a flood from one never pushes out another's events).
    eventBuffer: a.eventbuffer === undefined ? general.eventBuffer : intValue(a.eventbuffer, 1, 10_000_000),
    eventBufferBytes: a.eventbufferbytes === undefined ? general.eventBufferBytes : intValue(a.eventbufferbytes, 65536, 2 ** 40),
  };
  if (asterisk.username === '' || asterisk.secret === '') {
    if (!simulate) {
      const missing = asterisk.username === '' ? 'username' : 'secret';
      const msg = `[${section?.name ?? 'asterisk'}] ${missing} is required to log in to Asterisk (or set simulate = yes)`;
      throw section === undefined ? new AjamError(ErrorCodes.CONF_ERR_VALUE, `${file}: ${msg}`) : confError(ErrorCodes.CONF_ERR_VALUE, section.file, section.line, msg);
    }
    if (asterisk.username === '') asterisk.username = DEFAULTS.simUsername;
    if (asterisk.secret === '') asterisk.secret = DEFAULTS.simSecret;
  }
  return asterisk;
}

/** `--listen`: `HOST:PORT`, `[V6]:PORT` or a bare `PORT`. */
export function parseListen(text: string): { host: string | undefined; port: number } {
  const t = text.trim();
  const bad = (): AjamError => new AjamError(ErrorCodes.CONF_ERR_VALUE, `--listen: expected HOST:PORT, got '${text}'`);
  let host: string | undefined;
  let portText: string;
  if (/^[0-9]+$/.test(t)) portText = t;
  else if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close === -1 || t[close + 1] !== ':') throw bad();
    host = t.slice(1, close);
    portText = t.slice(close + 2);
  } else {
    const colon = t.lastIndexOf(':');
    if (colon <= 0 || t.indexOf(':') !== colon) throw bad();
    host = t.slice(0, colon);
    portText = t.slice(colon + 1);
  }
  const port = /^[0-9]+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `--listen: port must be 1-65535, got '${portText}'`);
  if (host !== undefined && !isHost(host)) throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `--listen: '${host}' is not an IP address or host name`);
  return { host, port };
}

const GENERAL_KEYS = [
  'bindaddr', 'bindport', 'prefix', 'httptimeout', 'servername', 'users', 'static', 'eventbuffer',
  'authlimit', 'authwindow', 'authmaxlock', 'maxsessions', 'maxsessionsperuser', 'maxunauthperaddress',
  'eventbufferbytes', 'maxreplybytes', 'maxactionreplybytes', 'unauthrate',
  'httpenable', 'allowbasic', 'tlsenable', 'tlsbindaddr', 'tlscertfile', 'tlsprivatekey', 'trustproxy',
  'loglevel', 'metricspermit', 'shutdowntimeout',
  'pushbufferlimit', 'wsmaxframe', 'wsmaxinflight', 'pushmaxclients',
  'maxconnections', 'requesttimeout', 'authuserstep', 'authusermaxdelay', 'authuserqueue',
] as const;
const ASTERISK_KEYS = [
  'host', 'port', 'username', 'secret', 'authtype', 'connections', 'simulate', 'actiontimeout', 'keepalive', 'stalltimeout',
  'authbackoff', 'authbackoffmax', 'eventbuffer', 'eventbufferbytes',
] as const;

/** One entry per known key (lower-case); unknown or repeated keys are errors. */
function entries<K extends string>(section: ConfSection | undefined, name: string, known: readonly K[]): Partial<Record<K, ConfEntry>> {
  const out: Partial<Record<K, ConfEntry>> = {};
  if (section === undefined) return out;
  for (const e of section.entries) {
    const key = e.key.toLowerCase() as K;
    if (!known.includes(key)) {
      throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `unknown key '${e.key}' in [${name}] (known: ${known.join(', ')})`);
    }
    const prev = out[key];
    if (prev !== undefined) {
      throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `'${e.key}' given twice in [${name}] (first at line ${prev.line})`);
    }
    out[key] = e;
  }
  return out;
}

function valueError(e: ConfEntry, expected: string): AjamError {
  return confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, `${e.key}: expected ${expected}, got '${e.value}'`);
}

function intValue(e: ConfEntry, min: number, max: number): number {
  const n = /^[0-9]+$/.test(e.value) ? Number(e.value) : NaN;
  if (!(n >= min && n <= max)) throw valueError(e, `a whole number from ${min} to ${max}`);
  return n;
}

function secondsValue(e: ConfEntry, zeroOk: boolean): number {
  const n = /^[0-9]+(\.[0-9]+)?$/.test(e.value) ? Number(e.value) : NaN;
  if (!(zeroOk ? n >= 0 : n > 0) || n > 86400) throw valueError(e, zeroOk ? 'seconds (0 turns it off)' : 'seconds, more than 0');
  return n;
}

function boolValue(e: ConfEntry): boolean {
  if (isTrueWord(e.value)) return true;
  if (isFalseWord(e.value)) return false;
  throw valueError(e, 'yes or no');
}

function authValue(e: ConfEntry): 'plain' | 'md5' {
  const v = e.value.toLowerCase();
  if (v === 'plain' || v === 'md5') return v;
  throw valueError(e, 'plain or md5');
}

function logLevelValue(e: ConfEntry): LogLevel {
  const v = e.value.toLowerCase();
  if (isLogLevel(v)) return v;
  throw valueError(e, 'silent, fatal, error, warn, info, debug or trace');
}

function nonEmpty(e: ConfEntry): string {
  if (e.value === '') throw valueError(e, 'a value');
  return e.value;
}

function isHost(s: string): boolean {
  return isIP(s) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(s);
}

function hostValue(e: ConfEntry): string {
  let v = e.value;
  if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
  if (!isHost(v)) throw valueError(e, 'an IP address or host name');
  return v;
}

function prefixValue(e: ConfEntry): string {
  const v = e.value.replace(/^\/+|\/+$/g, '');
  if (v === '') return '';
  if (!/^[A-Za-z0-9._~!$&'()*+,=:@-]+(\/[A-Za-z0-9._~!$&'()*+,=:@-]+)*$/.test(v)) throw valueError(e, 'a URL path such as asterisk');
  return `/${v}`;
}

function folderValue(e: ConfEntry, base: string): string {
  const dir = resolve(base, nonEmpty(e));
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw confError(ErrorCodes.CONF_ERR_FILE, e.file, e.line, `static: '${dir}' is not a folder`);
  return dir;
}

/**
 * `tlsenable = yes` with `tlsbindaddr` (HOST:PORT as http.conf), `tlscertfile` and `tlsprivatekey`
 * (as http.conf, the key defaults to the certificate file, for a PEM holding both). The files must
 * exist here; their contents are checked when the listener starts.
 */
function tlsValue(g: Partial<Record<(typeof GENERAL_KEYS)[number], ConfEntry>>, base: string): TlsConfig | undefined {
  if (g.tlsenable === undefined || !boolValue(g.tlsenable)) return undefined;
  if (g.tlscertfile === undefined) {
    const e = g.tlsenable;
    throw confError(ErrorCodes.CONF_ERR_VALUE, e.file, e.line, 'tlsenable = yes needs tlscertfile (PEM certificate)');
  }
  let host = DEFAULTS.bindaddr as string;
  let port: number = DEFAULTS.tlsport;
  if (g.tlsbindaddr !== undefined) {
    const e = g.tlsbindaddr;
    let l: { host: string | undefined; port: number };
    try {
      l = parseListen(e.value);
    } catch {
      throw valueError(e, 'HOST:PORT, [IPv6]:PORT or PORT (port 1-65535)');
    }
    if (l.host !== undefined) host = l.host;
    port = l.port;
  }
  const certFile = fileValue(g.tlscertfile, base);
  const keyFile = g.tlsprivatekey === undefined ? certFile : fileValue(g.tlsprivatekey, base);
  return { host, port, certFile, keyFile };
}

function fileValue(e: ConfEntry, base: string): string {
  const file = resolve(base, nonEmpty(e));
  let ok = false;
  try {
    ok = statSync(file).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw confError(ErrorCodes.CONF_ERR_FILE, e.file, e.line, `${e.key}: '${file}' is not a readable file`);
  return file;
}
