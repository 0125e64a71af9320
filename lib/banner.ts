// What `npm start` prints once it is up: where to point a browser, which endpoints exist, and in
// simulate mode the demo logins, so a first run needs no reading to get somewhere.
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config/config.ts';
import { classWords } from './auth/classes.ts';
import type { User } from './auth/types.ts';
import { hostPort } from './http/listen-error.ts';

/** The users file shipped with the project: the only one whose secrets are demo secrets. */
const SHIPPED_USERS = fileURLToPath(new URL('../conf/users.conf', import.meta.url));

/** How many demo logins the banner lists at most. */
const MAX_LOGINS = 6;

/** Host part of a URL for the address we listen on (a wildcard address is reached on loopback). */
function urlHost(bindaddr: string): string {
  if (bindaddr === '0.0.0.0') return '127.0.0.1';
  if (bindaddr === '::') return '[::1]';
  return bindaddr.includes(':') ? `[${bindaddr}]` : bindaddr;
}

/** The base URL the proxy answers on, prefix included, no trailing slash. */
export function baseUrl(config: Config, port: number, https = false): string {
  const host = https && config.general.tls !== undefined ? config.general.tls.host : config.general.bindaddr;
  return `${https ? 'https' : 'http'}://${urlHost(host)}:${port}${config.general.prefix}`;
}

/** The page a browser should open: the shipped console when static is served. */
export function pageUrl(config: Config, port: number, https = false): string | undefined {
  return config.general.static === undefined ? undefined : `${baseUrl(config, port, https)}/static/index.html`;
}

/**
 * The start banner, several lines, each ending in a newline. `port` is the plain HTTP port, or
 * the HTTPS one with `https` when plain HTTP is off.
 */
export function startBanner(config: Config, users: ReadonlyMap<string, User>, port: number, version: string, https = false): string {
  const base = baseUrl(config, port, https);
  const page = pageUrl(config, port, https);
  const a = config.asterisk;
  const usersFile = relative(process.cwd(), config.general.users) || config.general.users;
  const out: string[] = [];
  out.push(
    `${version} is up, listening on ${hostPort(https && config.general.tls !== undefined ? config.general.tls.host : config.general.bindaddr, port)}` +
      (a.simulate ? ' (built-in AMI simulator: simulated calls, no real Asterisk)' : ` (Asterisk AMI at ${hostPort(a.host, a.port)} as "${a.username}")`),
  );
  if (page !== undefined) {
    out.push(`  Open in a browser:  ${page}`);
    out.push(`  Queue wallboard:    ${page.replace(/index\.html$/, 'wallboard.html')}`);
  }
  out.push(`  AJAM endpoints:     ${base}/rawman   ${base}/mxml   ${base}/manager`);
  out.push(`  Health:             ${base}/health`);
  // Users with a hashed secret (or none) have no secret to show.
  const logins = [...users.values()].filter((u) => u.secret !== undefined);
  if (a.simulate && resolve(config.general.users) === SHIPPED_USERS) {
    // Demo secrets are shown only for the shipped users file against the simulator: a real
    // manager.conf tried out with --simulate keeps its secrets out of the terminal and the journal.
    out.push(`  Demo logins (${usersFile}):`);
    for (const u of logins.slice(0, MAX_LOGINS)) {
      out.push(`    ${u.name} / ${u.secret}   (read ${classWords(u.read)}; write ${classWords(u.write)})`);
    }
    if (logins.length > MAX_LOGINS) out.push(`    … and ${logins.length - MAX_LOGINS} more in ${usersFile}`);
    if (logins.length > 0) {
      const u = logins[0]!;
      out.push(`  Try:  curl -c jar '${base}/rawman?action=login&username=${encodeURIComponent(u.name)}&secret=${encodeURIComponent(u.secret!)}'`);
    }
  } else {
    out.push(`  Logins: the ${users.size} user(s) of ${usersFile}`);
  }
  out.push('  Stop with Ctrl-C.');
  return out.join('\n') + '\n';
}

/**
 * The banner as log fields, for when standard output is not a terminal (systemd, a pipe): one JSON
 * line among the others, with the same facts but never a secret (demo logins by name only).
 */
export function startRecord(config: Config, users: ReadonlyMap<string, User>, port: number, version: string, https = false): Record<string, unknown> {
  const base = baseUrl(config, port, https);
  const page = pageUrl(config, port, https);
  const a = config.asterisk;
  const rec: Record<string, unknown> = {
    version,
    listen: hostPort(https && config.general.tls !== undefined ? config.general.tls.host : config.general.bindaddr, port),
    asterisk: a.simulate ? 'built-in AMI simulator' : hostPort(a.host, a.port),
    endpoints: [`${base}/rawman`, `${base}/mxml`, `${base}/manager`],
    health: `${base}/health`,
    usersFile: relative(process.cwd(), config.general.users) || config.general.users,
    users: users.size,
  };
  if (page !== undefined) {
    rec.page = page;
    rec.wallboard = page.replace(/index\.html$/, 'wallboard.html');
  }
  if (a.simulate && resolve(config.general.users) === SHIPPED_USERS) {
    rec.demoLogins = [...users.values()].filter((u) => u.secret !== undefined).slice(0, MAX_LOGINS).map((u) => u.name);
  }
  return rec;
}
