// The HTTP users as the proxy serves them: the users file, minus the proxy's own AMI account, plus
// the `[general]` settings of that file that apply to the proxy (httptimeout). Used at start-up and
// on every reload, so no way of logging in can ever find the AMI account.
import { AjamError, ErrorCodes } from '../errors.ts';
import type { Config } from '../config/config.ts';
import type { User } from './types.ts';
import { loadUsersFile, removeProxyAccount, type UsersGeneral } from './users.ts';

export interface HttpUsers {
  users: Map<string, User>;
  general: UsersGeneral;
  /** The proxy's own AMI accounts (one per Asterisk server) that the users file holds; taken out. */
  proxyAccounts: User[];
}

/**
 * `amiUsernames`: the `[asterisk] username` of every server. Throws AjamError CONF_ERR_* for a
 * broken file, or one whose only users are AMI accounts.
 */
export function loadHttpUsers(file: string, amiUsernames: readonly string[]): HttpUsers {
  const { users, general } = loadUsersFile(file);
  const proxyAccounts: User[] = [];
  for (const name of amiUsernames) {
    const removed = removeProxyAccount(users, name);
    if (removed !== undefined) proxyAccounts.push(removed);
  }
  if (users.size === 0) {
    const names = proxyAccounts.map((u) => `[${u.name}]`).join(', ');
    throw new AjamError(
      ErrorCodes.CONF_ERR_VALUE,
      `${file}: its only user is ${names}, the proxy's own AMI account ([asterisk] username), which is never ` +
        'an HTTP login: add the HTTP users to this file, or point users at a file of their own',
    );
  }
  return { users, general, proxyAccounts };
}

/**
 * The session lifetime: ajam-proxy.conf's `httptimeout` when written there, else the users file's
 * `[general] httptimeout` (a manager.conf's), else the default. `from` says which, for the log.
 */
export function effectiveHttptimeout(config: Config, general: UsersGeneral): { seconds: number; from: string; overridden?: string } {
  const g = config.general;
  if (g.httptimeoutAt !== '') {
    const u = general.httptimeout;
    const overridden = u !== undefined && u.seconds !== g.httptimeout ? `${u.seconds} s at ${u.where}` : undefined;
    return { seconds: g.httptimeout, from: g.httptimeoutAt, overridden };
  }
  if (general.httptimeout !== undefined) return { seconds: general.httptimeout.seconds, from: general.httptimeout.where };
  return { seconds: g.httptimeout, from: 'default' };
}
