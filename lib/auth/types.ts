// The user model shared by auth/, session/ and http/.

/** Bit mask of AMI permission classes (spec §5.1): system=1, call=2, … message=1<<30, all=0x7fffffff. */
export type ClassMask = number;

export interface EventFilterRule {
  /** true for an exclude rule (`!regex`), false for include. */
  exclude: boolean;
  /** Returns true when the rule matches the event. */
  matches(event: import('../ami/message.ts').AmiMessage): boolean;
}

export interface User {
  /** Name as written in the users file (lookups are case-insensitive). */
  name: string;
  /** The plain secret, when the users file gives one (MD5 Challenge and Digest need it). */
  secret: string | undefined;
  /** `secret = sha256:<hex>`: the lowercase hex SHA-256 of the secret (then `secret` is undefined). */
  secretSha256?: string | undefined;
  read: ClassMask;
  write: ClassMask;
  /** Client address allowed? (permit/deny ACL from the users file) */
  allows(address: string): boolean;
  /**
   * True when `allows` says yes to every address (no permit/deny rules), so a caller may skip
   * decoding the client address for it (lib/auth/stateless.ts). Absent: assume rules exist.
   */
  readonly allowsEveryAddress?: boolean;
  eventFilters: EventFilterRule[];
  allowMultipleLogin: boolean;
  // Optional extras kept from the users file (lib/auth/users.ts fills them).
  /** Where the user's section starts, for messages. */
  file?: string;
  line?: number;
  /** `setvar = NAME=value` lines, in order: channel variables Asterisk adds to Originate. */
  setvar?: ReadonlyArray<readonly [string, string]>;
  /** `writetimeout` in ms (Asterisk: >= 100, default 100; irrelevant over HTTP). */
  writeTimeout?: number;
  /** `displayconnects` (log logins), undefined when not set for this user. */
  displayConnects?: boolean;
  /**
   * `token = sha256:<hex>` lines: lower-case hex SHA-256 of each bearer token this user may send
   * (`Authorization: Bearer`, lib/auth/stateless.ts). The token itself is never stored.
   */
  tokenHashes?: readonly string[];
  /**
   * `servers = a,b`: the Asterisk servers (lower-case names) this user may reach; undefined = all.
   * `serversAt` is its file:line for messages.
   */
  servers?: readonly string[];
  serversAt?: string;
  /**
   * Bit i set: the user may reach configured server i (actions and events). Filled from `servers`
   * by limitToServers once the server list is known; undefined = every server.
   */
  serverMask?: number;
}
