// Assembly: config → (simulator) → AMI pool → event log → action permissions → sessions and
// dispatcher → HTTP server. Nothing here parses or formats; it only wires modules together and
// owns their lifetimes (start order below, close in reverse).
import type { AsteriskConfig, Config } from './config/config.ts';
import { AmiPool } from './mux/pool.ts';
import { AsteriskServers, type NamedPool } from './mux/servers.ts';
import type { AmiMessage } from './ami/message.ts';
import { AmiSimulator } from './sim/index.ts';
import { EventLog, runFirstSeq } from './events/event-log.ts';
import { amiDownNotice, amiUpNotice, eventsGapNotice } from './events/notices.ts';
import { ActionPermissions, parseListCommands } from './auth/actions.ts';
import { limitToServers } from './auth/users.ts';
import { effectiveHttptimeout, loadHttpUsers, type HttpUsers } from './auth/http-users.ts';
import type { User } from './auth/types.ts';
import { SessionStore } from './session/store.ts';
import { Dispatcher } from './session/dispatch.ts';
import { HttpServer } from './http/server.ts';
import { DigestSessions } from './http/digest.ts';
import { AuthLimiter } from './auth/limiter.ts';
import { AddressThrottle } from './auth/throttle.ts';
import { TrustedProxies } from './http/forwarded.ts';
import { StatelessAuth } from './auth/stateless.ts';
import { PushContext } from './http/push.ts';
import { ErrorCodes, type AjamError } from './errors.ts';
import { log } from './log.ts';
import { DEFAULTS } from './config/defaults.ts';
import { Metrics } from './metrics.ts';
import { allowList } from './auth/acl.ts';
import { reloadKeeps } from './auth/reload-keeps.ts';

export interface StartOptions {
  /** In simulate mode, start the simulator's call generator (the demo); default true. */
  simulateCalls?: boolean;
  /** Calls per second of that generator (default 0.5) and how many at once (default 5). */
  callsPerSecond?: number;
  callConcurrency?: number;
  /** Queue callers per second of the simulator's queue traffic when calls are simulated (default 0.2). */
  queueCallsPerSecond?: number;
  /** Delay before a failed Login is answered (default 1000 ms, as Asterisk). */
  loginFailDelayMs?: number;
  /** Keep what the simulator receives (sim.received / receivedBytes(), for tests); default false. */
  recordSim?: boolean;
  /** Node's process metrics in /metrics (default true; tests with many apps turn them off). */
  processMetrics?: boolean;
}

/** What a users-file reload did. */
export interface ReloadResult {
  ok: boolean;
  /** The file's problem (file:line: what) when not ok; the old users stay. */
  error?: string;
  users: number;
  /** Sessions ended because their user was removed or its secret or classes changed. */
  ended: number;
}

export interface RunningApp {
  /** HTTP port actually bound (0 when `httpenable = no`). */
  readonly port: number;
  /** HTTPS port actually bound (0 unless `tlsenable = yes`). */
  readonly tlsPort: number;
  /** Bearer / Basic authentication (lib/auth/stateless.ts; failures count in `limiter`). */
  readonly stateless: StatelessAuth;
  readonly config: Config;
  /** Lower-case user name → user, from config.general.users. */
  readonly users: Map<string, User>;
  readonly server: HttpServer;
  /** The first (default) server's pool. */
  readonly pool: AmiPool;
  /** Every configured Asterisk server, in config order (one pool each). */
  readonly servers: AsteriskServers;
  readonly events: EventLog;
  readonly store: SessionStore;
  /** The first server's action table (see serverPermissions). */
  readonly permissions: ActionPermissions;
  /** Each server's action table, in server order (its own ListCommands once read). */
  readonly serverPermissions: readonly ActionPermissions[];
  /** Brute-force limits: every way of logging in checks it and records its failures. */
  readonly limiter: AuthLimiter;
  /** The first in-process simulator (a server with `simulate = yes`). */
  readonly sim: AmiSimulator | undefined;
  /** Every in-process simulator, in server order. */
  readonly sims: readonly AmiSimulator[];
  readonly metrics: Metrics;
  /** Resolves once the pool is ready and the action table has been read from ListCommands. */
  ready(): Promise<void>;
  /** SIGHUP: re-reads the users file (see ReloadResult). */
  reloadUsers(): ReloadResult;
  /**
   * SIGTERM: stop accepting, answer parked WaitEvents, let running requests finish (at most
   * `shutdowntimeout`), then close everything (Logoff to Asterisk). Resolves when all is closed.
   */
  shutdown(): Promise<void>;
  close(): Promise<void>;
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<RunningApp> {
  const a = config.asterisk;
  // Read before anything starts: a broken users file stops the start with its file:line.
  const httpUsers = readUsers(config);
  const users = httpUsers.users;
  announceUsersFile(config, httpUsers);
  const g = config.general;
  // Built before anything starts: a bad trustproxy value is a config error naming file and line.
  const trustProxy = g.trustProxy === undefined ? undefined : new TrustedProxies(g.trustProxy.value, g.trustProxy.where);
  // Checked before anything starts, so a bad value stops the start like any config error.
  const metricsAcl = allowList(g.metricspermit, g.metricspermitAt === '' ? 'metricspermit' : `${g.metricspermitAt}: metricspermit`);
  const metrics = new Metrics({ processMetrics: opts.processMetrics });
  // One ring per server, one sequence space (lib/events/event-log.ts).
  const events = new EventLog({
    // Above every seq of earlier runs: a client resuming from before a restart is told so.
    firstSeq: runFirstSeq(),
    capacity: config.general.eventBuffer,
    maxBytes: config.general.eventBufferBytes,
    rings: config.servers.map((s) => ({ capacity: s.eventBuffer, maxBytes: s.eventBufferBytes })),
  });
  // One action table per server: servers differ in the modules they load (lib/auth/actions.ts).
  const serverPermissions = config.servers.map(() => new ActionPermissions());
  const permissions = serverPermissions[0]!;
  let tableRead = false;
  let readyWaiters: Array<() => void> = [];
  const flushReadyWaiters = (): void => {
    const w = readyWaiters;
    readyWaiters = [];
    for (const f of w) f();
  };
  const sims: AmiSimulator[] = [];
  const named: NamedPool[] = [];
  try {
    for (const [index, server] of config.servers.entries()) {
      const simulator = server.simulate ? await startSimulator(server, opts) : undefined;
      if (simulator !== undefined) sims.push(simulator);
      const pool = serverPool(server, simulator, metrics, config.general.maxActionReplyBytes);
      named.push({ name: server.name, pool });
      pool.on('ready', () => {
        // Each server's own action table, read again after every outage (Asterisk may have been
        // restarted with other modules). ready() waits for the first table read by any server.
        void readActionTable(pool, serverPermissions[index]!, server.name).then(() => {
          tableRead = true;
          flushReadyWaiters();
        });
      });
    }
  } catch (err) {
    await Promise.all(sims.map((x) => x.close()));
    throw err;
  }
  const servers = new AsteriskServers(named);
  const pool = servers.first.pool;
  const sim = sims[0];
  // With several servers each entry keeps its server's bit (users limited by `servers = …`).
  servers.on('event', (msg: AmiMessage, i: number) => events.append(msg, servers.tagging ? servers.bit(i) : -1));
  // Never hidden: every session with events on learns that events are missing (count unknown).
  servers.on('eventsGap', (gapMs: number, i: number, conn: number) => {
    const name = servers.list[i]!.name;
    events.appendNotice(servers.tag(eventsGapNotice(gapMs), i), servers.tagging ? servers.bit(i) : -1);
    metrics.eventGaps.inc({ server: name });
    metrics.eventGapSeconds.inc({ server: name }, gapMs / 1000);
    log.warn('AMI events resumed after a gap', { server: name, conn, gapMs });
  });

  // Outages are visible: every session with events on is told when a server's AMI link is gone
  // and when it is back (lib/events/notices.ts), so a page can stop showing what may be stale.
  servers.list.forEach(({ name, pool: p }, i) => {
    let down = false;
    let downSince = 0;
    p.on('down', (err: AjamError) => {
      down = true;
      downSince = performance.now();
      metrics.amiOutages.inc({ server: name });
      events.appendNotice(servers.tag(amiDownNotice('connection lost'), i), servers.tagging ? servers.bit(i) : -1);
      log.warn('AMI down: sessions told (ProxyAMIDown)', { server: name, err });
    });
    p.on('ready', () => {
      if (!down) return;
      down = false;
      metrics.amiOutageSeconds.inc({ server: name }, (performance.now() - downSince) / 1000);
      events.appendNotice(servers.tag(amiUpNotice(p.bootInfo()), i), servers.tagging ? servers.bit(i) : -1);
      log.info('AMI back: sessions told (ProxyAMIUp)', { server: name });
    });
  });

  const store = new SessionStore({
    httptimeout: config.general.httptimeout,
    maxSessions: config.general.maxSessions,
    maxSessionsPerUser: config.general.maxSessionsPerUser,
    maxUnauthPerAddress: config.general.maxUnauthPerAddress,
  });
  const limiter = new AuthLimiter({
    limit: config.general.authLimit,
    windowMs: config.general.authWindow * 1000,
    maxLockMs: config.general.authMaxLock * 1000,
    userStepMs: config.general.authUserStep,
    maxUserDelayMs: config.general.authUserMaxDelay,
    maxUserQueue: config.general.authUserQueue,
  });
  const dispatcher = new Dispatcher({
    limiter,
    maxReplyBytes: config.general.maxReplyBytes,
    store,
    users,
    permissions,
    serverPermissions,
    pool,
    servers,
    log: events,
    failDelayMs: opts.loginFailDelayMs,
    metrics,
    // FullyBooted in the Login reply only when the default server's Asterisk really said so.
    bootInfo: () => servers.first.pool.bootInfo(),
  });
  const stateless = new StatelessAuth({
    users,
    allowBasic: g.allowBasic,
    amiUsernames: config.servers.map((srv) => srv.username),
    limiter,
    failDelayMs: opts.loginFailDelayMs ?? DEFAULTS.loginFailDelayMs,
  });
  const push = new PushContext({
    store,
    dispatcher,
    log: events,
    limits: { bufferLimit: g.pushBufferLimit, maxFrame: g.wsMaxFrame, maxInFlight: g.wsMaxInFlight, maxClients: g.pushMaxClients },
  });
  const unauthThrottle = config.general.unauthRate > 0 ? new AddressThrottle({ ratePerSec: config.general.unauthRate }) : undefined;
  let server: HttpServer;
  try {
    // Throws on unusable TLS files (before anything listens).
    server = new HttpServer({
      unauthThrottle,
      host: config.general.bindaddr,
      port: config.general.bindport,
      prefix: config.general.prefix,
      servername: config.general.servername,
      staticDir: config.general.static,
      store,
      dispatcher,
      digest: new DigestSessions(store, users, events, limiter),
      health: () => ({
        ready: servers.ready,
        pool: { ready: pool.ready, eventsReady: pool.eventsReady, connections: a.connections, version: pool.version ?? null, pending: pool.pendingCount },
        servers: servers.list.map((x, i) => {
          const r = events.rings[i]!;
          return {
            name: x.name,
            ready: x.pool.ready,
            eventsReady: x.pool.eventsReady,
            version: x.pool.version ?? null,
            pending: x.pool.pendingCount,
            ring: { held: r.count, capacity: r.capacity, bytes: r.held, dropped: r.dropped },
          };
        }),
        events: { capacity: events.capacity, held: events.size, next: events.nextSeq },
        simulate: a.simulate,
        push: { ...push.counters, views: push.views.size },
      }),
      plain: g.httpEnable,
      tls: g.tls,
      stateless: { auth: stateless, log: events },
      trustProxy,
      metrics,
      metricsAllowed: (address) => metricsAcl.allows(address),
      readiness: () => readiness(servers),
      push,
      maxConnections: g.maxConnections,
      requestTimeoutMs: g.requestTimeout * 1000,
    });
  } catch (err) {
    store.close();
    await Promise.all(sims.map((x) => x.close()));
    throw err;
  }

  metrics.watch({
    sessions: () => sessionCounts(store),
    clients: () => ({ waitevent: waitingCount(store), websocket: push.counters.wsOpen, sse: push.counters.sseOpen }),
    rings: () =>
      events.rings.map((r, i) => ({
        server: servers.list[i]!.name,
        entries: r.count,
        capacity: r.capacity,
        bytes: r.held,
        maxBytes: r.maxBytes,
        appended: r.appended,
        // Every entry that left the ring, by count (eventbuffer) or by bytes (eventbufferbytes).
        overwritten: r.dropped,
      })),
    delivered: () => events.delivered,
    amiConnections: () => servers.list.flatMap((x) => x.pool.connections.map((c) => ({ server: x.name, state: c.stateName }))),
    actionsInFlight: () => Object.fromEntries(servers.list.map((x) => [x.name, x.pool.pendingCount])),
    actionFailures: () => servers.list.map((x) => ({ server: x.name, timeout: x.pool.stats.timeouts, lost: x.pool.stats.lost })),
    auth: () => limiter.totals,
    push: () => push.counters,
    refusals: () => ({
      ...store.refusals,
      pushmaxclients: push.counters.refusedFull,
      wsmaxframe: push.counters.refusedFrame,
      wsmaxinflight: push.counters.refusedInFlight,
      unauthrate: unauthThrottle?.refused ?? 0,
      maxactionreplybytes: servers.list.reduce((n, x) => n + x.pool.stats.tooLarge, 0),
      // Times the cap was reached (the refused connections themselves are the kernel's).
      maxconnections: server.cap?.episodes ?? 0,
      authuserqueue: limiter.turns.queueFull,
    }),
  });

  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    server.close();
    store.close();
    await Promise.all(sims.map((x) => x.close()));
    throw err;
  }
  // Logged only now: a start that fails on the HTTP port must not look as if it had worked.
  const simulated = config.servers.filter((x) => x.simulate);
  sims.forEach((sim, i) => log.info('simulator listening', { server: simulated[i]!.name, port: sim.port }));
  servers.start();

  let closing: Promise<void> | undefined;
  let shuttingDown: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      server.close();
      push.close();
      store.close();
      await servers.close();
      log.info('AMI logged off');
      await Promise.all(sims.map((x) => x.close()));
    })();
    return closing;
  };
  return {
    port,
    tlsPort: server.tlsPort,
    stateless,
    config,
    users,
    server,
    pool,
    servers,
    events,
    store,
    permissions,
    serverPermissions,
    limiter,
    sim,
    sims,
    metrics,
    ready: () => (tableRead && servers.ready ? Promise.resolve() : new Promise((resolve) => readyWaiters.push(resolve))),
    reloadUsers: () => reloadUsers(config, users, store, metrics, stateless, server),
    shutdown: () => {
      shuttingDown ??= (async () => {
        server.stopAccepting();
        // Parked long-polls answer now with their normal reply (the events so far).
        for (const s of store.values()) s.wait?.sessionEnded();
        const running = server.inFlight;
        if (running > 0) {
          log.info('waiting for running requests', { requests: running, timeoutS: g.shutdowntimeout });
          const timedOut = await waitOrTimeout(server.idle(), g.shutdowntimeout * 1000);
          if (timedOut) log.warn('shutdown: requests still running, closing anyway', { requests: server.inFlight });
        }
        await close();
      })();
      return shuttingDown;
    },
    close,
  };
}

/** true when the time ran out first. */
function waitOrTimeout(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * Ready while at least one server has its events connection logged in and FullyBooted: with
 * several servers, one down must not take the proxy out of a load balancer for the others.
 */
function readiness(servers: AsteriskServers): { ready: boolean; reason?: string } {
  if (servers.list.some((x) => x.pool.eventsReady)) return { ready: true };
  const one = servers.list.length === 1;
  if (!servers.ready) return { ready: false, reason: one ? 'no AMI connection is logged in' : 'no AMI connection is logged in on any server' };
  return { ready: false, reason: one ? 'the AMI events connection is not logged in and FullyBooted' : 'no server has its AMI events connection logged in and FullyBooted' };
}

/**
 * The users file without the proxy's own AMI accounts (never HTTP logins, lib/auth/http-users.ts),
 * with each user's `servers = …` resolved against the configured servers.
 */
function readUsers(config: Config): HttpUsers {
  const loaded = loadHttpUsers(config.general.users, config.servers.map((x) => x.username));
  limitToServers(loaded.users, config.servers.map((x) => x.name));
  return loaded;
}

/**
 * Start-up lines about the users file: a proxy AMI account found in it (never an HTTP login),
 * which httptimeout applies and why, and the `[general]` keys that do nothing here. Sets
 * config.general.httptimeout to the one that applies.
 */
function announceUsersFile(config: Config, u: HttpUsers): void {
  const file = config.general.users;
  for (const account of u.proxyAccounts) warnProxyAccount(account, file);
  const t = effectiveHttptimeout(config, u.general);
  config.general.httptimeout = t.seconds;
  if (t.overridden !== undefined) {
    log.warn('httptimeout: ajam-proxy.conf sets its own; the users file value is not used', { seconds: t.seconds, at: t.from, ignored: t.overridden });
  } else if (t.from !== 'default' && t.from !== config.general.httptimeoutAt) {
    log.info("httptimeout from the users file's [general]", { seconds: t.seconds, at: t.from });
  }
  if (u.general.ignored.length > 0) {
    log.info("users file [general]: keys for Asterisk's own AMI listener, ignored by the proxy", { file, keys: u.general.ignored.join(',') });
  }
}

function warnProxyAccount(account: User, file: string): void {
  log.warn("the users file holds the proxy's own AMI account: it is never accepted as an HTTP login (keep HTTP users apart, README)", {
    user: account.name,
    at: `${account.file ?? file}:${account.line ?? 0}`,
  });
}

function sessionCounts(store: SessionStore): Record<string, number> {
  let authenticated = 0;
  for (const s of store.values()) if (s.authenticated) authenticated++;
  return { authenticated, unauthenticated: store.size - authenticated };
}

function waitingCount(store: SessionStore): number {
  let n = 0;
  for (const s of store.values()) if (s.wait !== null) n++;
  return n;
}

/**
 * Re-reads the users file into the same Map every module holds (new logins see the new users at
 * once) and ends the sessions and push streams whose user was removed or whose secret, tokens,
 * classes, servers or ACL changed (lib/auth/reload-keeps.ts). A broken file changes nothing.
 */
function reloadUsers(
  config: Config,
  users: Map<string, User>,
  store: SessionStore,
  metrics: Metrics,
  stateless: StatelessAuth,
  server: HttpServer,
): ReloadResult {
  let next: Map<string, User>;
  try {
    const loaded = readUsers(config);
    next = loaded.users;
    for (const account of loaded.proxyAccounts) warnProxyAccount(account, config.general.users);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    metrics.usersReloads.inc({ result: 'error' });
    log.error('users reload failed; keeping the old users', { file: config.general.users, err });
    return { ok: false, error, users: users.size, ended: 0 };
  }
  users.clear();
  for (const [k, u] of next) users.set(k, u);
  // Bearer tokens: a removed line is revoked now (stateless requests hold no session to end).
  stateless.usersChanged();
  let ended = 0;
  for (const s of [...store.values()]) {
    const old = s.user;
    if (old === undefined) continue;
    if (!reloadKeeps(old, users.get(old.name.toLowerCase()), s.address)) {
      store.destroy(s);
      ended++;
    }
  }
  // Open WebSockets and SSE streams of ended sessions, or opened with a revoked token, end now.
  server.endRevokedPush((user, address) => reloadKeeps(user, users.get(user.name.toLowerCase()), address));
  if (ended > 0) metrics.sessionsEnded.inc({ reason: 'reload' }, ended);
  metrics.usersReloads.inc({ result: 'ok' });
  log.info('users reloaded', { file: config.general.users, users: users.size, sessionsEnded: ended });
  return { ok: true, users: users.size, ended };
}

/**
 * The action → class table from Asterisk itself (ListCommands prints `Priv:` per action); on any
 * trouble the built-in table stays.
 */
async function readActionTable(pool: AmiPool, permissions: ActionPermissions, server: string): Promise<void> {
  try {
    const msgs = await pool.send([['Action', 'ListCommands']]);
    const table = parseListCommands(msgs);
    if (msgs[0]?.response === 'Success' && table.size > 0) {
      permissions.update(table);
      log.info('action table read from ListCommands', { server, actions: table.size });
    } else {
      log.warn('ListCommands gave no table; keeping the previous one', { server, message: msgs[0]?.get('Message') ?? '' });
    }
  } catch (err) {
    log.warn('ListCommands failed; keeping the previous table', { server, err });
  }
}

/** The in-process simulator of a `simulate = yes` server (with the proxy's login, every class). */
async function startSimulator(a: AsteriskConfig, opts: StartOptions): Promise<AmiSimulator> {
  const sim = new AmiSimulator({
    host: '127.0.0.1',
    port: 0,
    users: [{ username: a.username, secret: a.secret, read: 'all', write: 'all' }],
    // Long runs would keep every received action otherwise.
    record: opts.recordSim === true,
  });
  await sim.listen();
  if (opts.simulateCalls !== false) {
    sim.startCalls({ cps: opts.callsPerSecond ?? DEFAULTS.simCallsPerSecond, concurrency: opts.callConcurrency ?? DEFAULTS.simCallConcurrency });
    // The wallboard's demo: agents log in to two queues and callers arrive (lib/sim/queue-traffic.ts).
    const qcps = opts.queueCallsPerSecond ?? 0.2;
    if (qcps > 0) sim.startQueueCalls({ cps: qcps });
  }
  return sim;
}

/** One server's pool, with its state changes logged and counted under its name. */
function serverPool(a: AsteriskConfig, sim: AmiSimulator | undefined, metrics: Metrics, maxReplyBytes: number): AmiPool {
  const server = a.name;
  const host = sim === undefined ? a.host : '127.0.0.1';
  const port = sim === undefined ? a.port : sim.port;
  const pool = new AmiPool({
    host,
    port,
    username: a.username,
    secret: a.secret,
    authType: a.authtype,
    connections: a.connections,
    actionTimeoutMs: a.actionTimeout * 1000,
    keepaliveMs: a.keepalive * 1000,
    stallTimeoutMs: a.stallTimeout * 1000,
    maxReplyBytes,
    backoff: { authInitialMs: a.authBackoff * 1000, authMaxMs: a.authBackoffMax * 1000 },
  });
  pool.on('eventsMoved', (index: number) => {
    metrics.eventFailovers.inc({ server });
    log.info('AMI events moved to another connection', { server, conn: index });
  });
  pool.on('ready', () => log.info('AMI ready', { server, host, port, version: pool.version }));
  pool.on('down', (err: AjamError) => log.warn('AMI down: no connection left', { server, err }));
  // Each connection's state changes, once each (the handshake steps in between are not logged).
  // A failure that repeats (Asterisk unreachable, a refused login retried with its back-off) is
  // logged once, when it starts or changes, then at debug level until the connection is ready.
  let loginProblem: string | undefined;
  pool.connections.forEach((conn, index) => {
    const state = (name: string): void => metrics.amiStateChanges.inc({ server, state: name });
    let lastDown: string | undefined;
    conn.on('banner', (version: string) => {
      state('connected');
      const retrying = lastDown !== undefined || loginProblem !== undefined;
      log[retrying ? 'debug' : 'info']('AMI connection connected', { server, conn: index, host, port, version });
    });
    conn.on('ready', () => {
      state('ready');
      log.info('AMI connection ready', { server, conn: index, events: pool.eventsIndex === index });
      if (loginProblem !== undefined) log.info('AMI login accepted again', { server, user: a.username });
      loginProblem = undefined;
      lastDown = undefined;
    });
    conn.on('down', (err: AjamError, retryInMs: number) => {
      state('down');
      metrics.amiReconnects.inc({ server });
      // A refused login was logged as such ('loginFailed'); the same failure again is not news.
      const repeat = err.code === ErrorCodes.AMI_ERR_LOGIN || err.message === lastDown;
      lastDown = err.message;
      log[repeat ? 'debug' : 'warn']('AMI connection down', { server, conn: index, err, retryInMs });
    });
    conn.on('loginFailed', (err: AjamError) => {
      state('login failed');
      if (err.message === loginProblem) {
        log.debug('AMI login failed again', { server, conn: index, user: a.username, err });
        return;
      }
      loginProblem = err.message;
      log.error('AMI login failed: retrying after a back-off (logged again only if the answer changes)', {
        server,
        conn: index,
        user: a.username,
        err,
        firstRetryS: a.authBackoff,
        maxRetryS: a.authBackoffMax,
      });
    });
  });
  return pool;
}
