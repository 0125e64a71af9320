// Every default of the proxy, declared once, times in milliseconds (as ioredis keeps RedisOptions).
// config.ts fills the typed config from here (converting to the seconds its files speak), and the
// modules that can be built without a config (connection, pool, parser, store, dispatcher,
// simulator) fall back to the same values. A leaf module: it imports nothing.

export const DEFAULTS = {
  // ---- [general] -------------------------------------------------------------------------------
  bindaddr: '127.0.0.1',
  bindport: 8088,
  prefix: '',
  /** Cookie Max-Age, idle expiry of sessions, WaitEvent cap (Asterisk's httptimeout, 60 s). */
  httptimeoutMs: 60_000,
  /** An unauthenticated session's life (Asterisk: 5 s, or httptimeout if that is smaller). */
  unauthLifetimeMs: 5_000,
  /** How often expired sessions are purged. */
  sessionPurgeIntervalMs: 1_000,
  /** The users file, relative to the config file. */
  users: 'users.conf',
  /** Capacity of each server's event ring (events). */
  eventBuffer: 10_000,
  /** ... and its bound in bytes (raw events plus their cached formats). */
  eventBufferBytes: 64 * 1024 * 1024,
  /** Most bytes of events in one WaitEvent reply; the rest wait, in order, for the next one. */
  maxReplyBytes: 1024 * 1024,
  /** Most bytes of one action's reply (an EventList collected whole); over it: an error. */
  maxActionReplyBytes: 32 * 1024 * 1024,
  /** Failed logins from one address within authwindow before it is locked out. */
  authLimit: 5,
  authWindowMs: 60_000,
  /** Longest lockout (each lockout doubles the previous one up to this). */
  authMaxLockMs: 900_000,
  /** Longest slow-down of one user's failed logins (spread over many addresses). */
  authMaxUserDelayMs: 2_000,
  /** ... growing by this per failure past authlimit. */
  authUserStepMs: 250,
  /** Attempts of one user waiting for their (slowed-down) turn; more are refused at once. */
  authMaxUserQueue: 10,
  /** Addresses and users tracked by the limiter (oldest forgotten first). */
  authMaxTracked: 100_000,
  /** Requests/s without a valid session allowed per client address (bursts of twice that); 0: no limit. */
  unauthRate: 200,
  /** Sessions kept in all, logged-in sessions per user, unauthenticated (Challenge) per address. */
  maxSessions: 20_000,
  maxSessionsPerUser: 5_000,
  maxUnauthPerAddress: 100,
  /** Delay before a failed Login/Challenge is answered (Asterisk sleeps 1 s). */
  loginFailDelayMs: 1_000,
  /** /ws and /events: unsent bytes per socket above which a client is closed as too slow. */
  pushBufferLimit: 1024 * 1024,
  /** /ws: largest client frame (bigger: close 1009). */
  wsMaxFrame: 64 * 1024,
  /** /ws: actions of one socket awaiting their reply. */
  wsMaxInFlight: 64,
  /** /ws + /events clients at once. */
  pushMaxClients: 20_000,
  /** Open HTTP(S) connections at once (lib/http/connection-cap.ts): at the cap new ones are refused. */
  maxConnections: 10_000,
  /** A POST body must arrive within this of its headers (node:http layer: the whole request, and keep-alive idle). */
  requestTimeoutMs: 10_000,
  /** HTTPS listener port when tlsbindaddr names none (http.conf's default); the host defaults to bindaddr's. */
  tlsport: 8089,
  /** Log level unless --log-level or AJAM_LOG says otherwise. */
  logLevel: 'info' as 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
  /** Who may scrape /metrics: loopback only. */
  metricsPermit: '127.0.0.0/8, ::1',
  /** SIGTERM/SIGINT: how long running requests may take to finish before everything is closed. */
  shutdownDrainMs: 10_000,

  // ---- [asterisk] ------------------------------------------------------------------------------
  host: '127.0.0.1',
  port: 5038,
  authtype: 'plain' as 'plain' | 'md5',
  /** AMI connections in the pool (one carries events). */
  connections: 2,
  /** An action Asterisk has not answered by then is answered with an error. */
  actionTimeoutMs: 30_000,
  /** Keepalive Ping on an idle AMI connection; 0 turns it off. */
  keepaliveMs: 15_000,
  /**
   * Stall bound: an action sent to an Asterisk that answers nothing (TCP open) is answered with an
   * error within this; a probe Ping outstanding with no byte received for half of it ends the
   * connection.
   */
  stallTimeoutMs: 5_000,
  /** Banner → login → FullyBooted must complete within this. */
  bootTimeoutMs: 10_000,
  /** Reconnect back-off: first wait, doubled up to the maximum. */
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  /**
   * After Asterisk refused the proxy's AMI login (wrong secret, ACL): first wait, doubled up to the
   * maximum. Minutes, not seconds: every refused login counts toward fail2ban on the PBX.
   */
  authBackoffInitialMs: 60_000,
  authBackoffMaxMs: 600_000,
  /** TCP keepalive probes on AMI sockets (catches a dead peer behind a silent network). */
  tcpKeepAliveMs: 30_000,
  /** Bound on one AMI message (headers + body) before the parser gives up on it. */
  amiMaxMessageBytes: 1024 * 1024,
  /** The proxy's AMI login into the in-process simulator when [asterisk] gives none; not the demo
   *  HTTP user `admin`, since the proxy's own AMI account is never an HTTP login. */
  simUsername: 'ajam-proxy',
  simSecret: 'ajam-proxy',

  /** SIGINT/SIGTERM: exit anyway if closing takes this much longer than shutdownDrainMs. */
  shutdownTimeoutMs: 5_000,

  // ---- the simulator's demo traffic (simulate = yes) ---------------------------------------------
  simCallsPerSecond: 0.5,
  simCallConcurrency: 5,
  /** Answer to hangup of one simulated call (the captures' dialplan runs about 2 s). */
  simCallDurationMs: 2_000,
} as const;

/** Most `[asterisk:NAME]` servers: each is one bit of a user's server mask and of an event's tag. */
export const MAX_SERVERS = 30;
