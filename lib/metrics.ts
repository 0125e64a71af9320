// The Prometheus metrics of one running proxy (served at `<prefix>/metrics`). One Metrics per app,
// each with its own prom-client Registry, so several apps in one process (tests) never collide.
//
// Two kinds of metric:
// - counted where it happens (requests, action latency, logins, refusals): modules hold the
//   Metrics and increment the named field; labels come from fixed sets only (endpoint names,
//   status codes, action names the permission table knows), never from client input as such.
//   The per-request ones (request count, request and action latency) are plain numbers in typed
//   arrays, turned into Prometheus series only at scrape time: prom-client's labelled inc/observe
//   hash their labels on every call (~0.2 µs and ~0.4 µs each), ~1.3 µs per forwarded request;
// - read at scrape time from state that already exists (sessions, ring fill, AMI connection
//   states, actions in flight): `watch()` gives the sources, the gauges' collect() reads them, so
//   the hot path pays nothing for them.
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** The endpoint label: a fixed set (uWS routes are mapped to these names by lib/http/server.ts). */
export const ENDPOINTS = [
  'other', 'rawman', 'mxml', 'manager', 'static', 'health', 'arawman', 'amxml', 'amanager',
  'metrics', 'healthz', 'readyz', 'websocket', 'sse', 'json', 'ajson',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Label for a request whose client went away before the reply (nginx's convention). */
export const STATUS_CLIENT_CLOSED = 499;

/** What the scrape-time gauges read (each optional: a missing source exports nothing). */
export interface MetricSources {
  /** Sessions by state, e.g. { unauthenticated: 3, authenticated: 10 }. */
  sessions?: () => Record<string, number>;
  /** Clients holding a stream of events by kind (waitevent, websocket, sse). */
  clients?: () => Record<string, number>;
  /** The event rings, one per server (label `server`). */
  rings?: () => Array<{ server: string; entries: number; capacity: number; bytes: number; maxBytes: number; appended: number; overwritten: number }>;
  /** Events delivered to clients and EventsLost counts told, since start. */
  delivered?: () => { events: number; lost: number };
  /** AMI connections by state name (ready, connecting, waiting to reconnect, …), per server. */
  amiConnections?: () => Array<{ server: string; state: string }>;
  /** Actions sent to Asterisk and not answered yet, by server name. */
  actionsInFlight?: () => Record<string, number>;
  /** WebSocket/SSE: clients closed as too slow since start. */
  push?: () => { slowClosed: number };
  /** Refusals at a configured bound since start, by the setting's name. */
  refusals?: () => Record<string, number>;
  /** The brute-force limiter: wrong credentials and lockouts since start. */
  auth?: () => { failures: number; lockouts: number };
  /** Actions answered with an error by the proxy: timeouts and lost connections, since start, per server. */
  actionFailures?: () => Array<{ server: string; timeout: number; lost: number }>;
}

export interface MetricsOptions {
  /** Node's default process metrics (CPU, memory, event-loop lag, GC); default true. */
  processMetrics?: boolean;
}

// Seconds. Ping through the proxy takes ~100 µs; WaitEvent long-polls land in the top buckets.
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const ACTION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry: Registry;
  private sources: MetricSources;

  readonly httpDuration: FastHistogram;
  readonly actionDuration: FastHistogram;
  /** Requests answered: [endpoint index * STATUS_SLOTS + status code]. */
  private readonly requestCounts: Float64Array;
  readonly logins: Counter<'result'>;
  readonly loginFailures: Counter<'reason'>;
  readonly amiReconnects: Counter<'server'>;
  readonly amiStateChanges: Counter<'server' | 'state'>;
  readonly usersReloads: Counter<'result'>;
  readonly sessionsEnded: Counter<'reason'>;
  readonly eventFailovers: Counter<'server'>;
  readonly amiOutages: Counter<'server'>;
  readonly amiOutageSeconds: Counter<'server'>;
  readonly eventGaps: Counter<'server'>;
  readonly eventGapSeconds: Counter<'server'>;

  private readonly durationByEndpoint: Series[];
  private readonly durationByAction: Map<string, Series>;

  constructor(opts: MetricsOptions = {}) {
    const registers = [(this.registry = new Registry())];
    this.sources = {};
    const src = (): MetricSources => this.sources;
    const counts = (this.requestCounts = new Float64Array(ENDPOINTS.length * STATUS_SLOTS));

    new Counter({
      name: 'ajam_http_requests_total',
      help: 'HTTP requests answered, by endpoint and status code (499: the client went away first)',
      labelNames: ['endpoint', 'status'],
      registers,
      collect() {
        this.reset();
        for (let i = 0; i < counts.length; i++) {
          const n = counts[i]!;
          if (n > 0) this.inc({ endpoint: ENDPOINTS[Math.floor(i / STATUS_SLOTS)]!, status: i % STATUS_SLOTS }, n);
        }
      },
    });
    this.httpDuration = new FastHistogram(
      'ajam_http_request_duration_seconds',
      'Time from request to reply, by endpoint (WaitEvent long-polls included)',
      'endpoint',
      HTTP_BUCKETS,
    );
    this.actionDuration = new FastHistogram(
      'ajam_action_duration_seconds',
      'Actions forwarded to Asterisk: time until the whole answer (list items included) was in',
      'action',
      ACTION_BUCKETS,
    );
    this.registry.registerMetric(this.httpDuration as unknown as Metric);
    this.registry.registerMetric(this.actionDuration as unknown as Metric);
    this.durationByEndpoint = ENDPOINTS.map((e) => this.httpDuration.series(e));
    this.durationByAction = new Map();
    this.logins = new Counter({
      name: 'ajam_logins_total',
      help: 'Login actions by result (success, failure)',
      labelNames: ['result'],
      registers,
    });
    this.loginFailures = new Counter({
      name: 'ajam_login_failures_total',
      help: 'Failed Login actions by reason (auth: unknown user, wrong secret/key or ACL; in_use: allowmultiplelogin = no; locked: address locked out; queue: authuserqueue attempts of that user already waiting their slowed-down turn)',
      labelNames: ['reason'],
      registers,
    });
    new Counter({
      name: 'ajam_login_lockouts_total',
      help: 'Address lockouts started after repeated failed logins (every way of logging in)',
      registers,
      collect() {
        const a = src().auth?.();
        if (a !== undefined) setCounter(this, a.lockouts);
      },
    });
    new Counter({
      name: 'ajam_auth_failures_total',
      help: 'Wrong secrets, keys or digests, every way of logging in (Login, Challenge, digest)',
      registers,
      collect() {
        const a = src().auth?.();
        if (a !== undefined) setCounter(this, a.failures);
      },
    });
    new Counter({
      name: 'ajam_limit_refusals_total',
      help: 'Requests refused because a configured bound was reached, by limit (maxsessions, maxsessionsperuser, maxunauthperaddress, pushmaxclients, wsmaxframe, wsmaxinflight, unauthrate, maxactionreplybytes, authuserqueue; maxconnections counts the times the connection cap was reached)',
      labelNames: ['limit'],
      registers,
      collect() {
        const r = src().refusals?.();
        if (r === undefined) return;
        this.reset();
        for (const k in r) if (r[k]! > 0) this.inc({ limit: k }, r[k]!);
      },
    });
    this.amiReconnects = new Counter({
      name: 'ajam_ami_reconnects_total',
      help: 'AMI connections lost (each is followed by a reconnect attempt)',
      labelNames: ['server'],
      registers,
    });
    this.amiStateChanges = new Counter({
      name: 'ajam_ami_state_changes_total',
      help: 'AMI connection state changes by the state entered',
      labelNames: ['server', 'state'],
      registers,
    });
    this.usersReloads = new Counter({
      name: 'ajam_users_reloads_total',
      help: 'Reloads of the users file (SIGHUP) by result (ok, error: the old users stay)',
      labelNames: ['result'],
      registers,
    });
    this.sessionsEnded = new Counter({
      name: 'ajam_sessions_ended_total',
      help: 'Sessions ended by the proxy, by reason (reload: user removed or changed)',
      labelNames: ['reason'],
      registers,
    });
    this.amiOutages = new Counter({
      name: 'ajam_ami_outages_total',
      help: 'Times a server had no AMI connection left (sessions told ProxyAMIDown)',
      labelNames: ['server'],
      registers,
    });
    this.amiOutageSeconds = new Counter({
      name: 'ajam_ami_outage_seconds_total',
      help: 'Total length of the outages that have ended (ProxyAMIDown to ProxyAMIUp)',
      labelNames: ['server'],
      registers,
    });
    this.eventFailovers = new Counter({
      name: 'ajam_events_failovers_total',
      help: 'Times the events moved to another AMI connection (the one carrying them dropped or stalled)',
      labelNames: ['server'],
      registers,
    });
    this.eventGaps = new Counter({
      name: 'ajam_events_gaps_total',
      help: 'Gaps while no AMI connection carried events (each told to every session as EventsLost, count unknown)',
      labelNames: ['server'],
      registers,
    });
    this.eventGapSeconds = new Counter({
      name: 'ajam_events_gap_seconds_total',
      help: 'Total time no AMI connection carried events',
      labelNames: ['server'],
      registers,
    });
    new Counter({
      name: 'ajam_slow_client_closes_total',
      help: 'WebSocket/SSE clients closed because they read too slowly (pushbufferlimit)',
      registers,
      collect() {
        const p = src().push?.();
        if (p !== undefined) setCounter(this, p.slowClosed);
      },
    });

    new Gauge({
      name: 'ajam_sessions',
      help: 'HTTP manager sessions by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const s = src().sessions?.();
        if (s !== undefined) for (const k in s) this.set({ state: k }, s[k]!);
      },
    });
    new Gauge({
      name: 'ajam_event_clients',
      help: 'Clients waiting for or streaming events, by kind (waitevent, websocket, sse)',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        const c = src().clients?.();
        if (c !== undefined) for (const k in c) this.set({ kind: k }, c[k]!);
      },
    });
    new Counter({
      name: 'ajam_events_in_total',
      help: "Events received from Asterisk into each server's ring",
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const r of src().rings?.() ?? []) this.inc({ server: r.server }, r.appended);
      },
    });
    new Counter({
      name: 'ajam_events_dropped_total',
      help: "Events that left a server's ring (the oldest go when it is full by entries or bytes; readers that had not reached them are told EventsLost)",
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const r of src().rings?.() ?? []) this.inc({ server: r.server }, r.overwritten);
      },
    });
    new Counter({
      name: 'ajam_events_out_total',
      help: 'Events delivered to clients (one per event per client)',
      registers,
      collect() {
        const d = src().delivered?.();
        if (d !== undefined) setCounter(this, d.events);
      },
    });
    new Counter({
      name: 'ajam_events_lost_total',
      help: 'Events clients were told they lost (sum of EventsLost counts)',
      registers,
      collect() {
        const d = src().delivered?.();
        if (d !== undefined) setCounter(this, d.lost);
      },
    });
    new Gauge({
      name: 'ajam_event_ring_entries',
      help: "Events held in each server's ring",
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const r of src().rings?.() ?? []) this.set({ server: r.server }, r.entries);
      },
    });
    new Gauge({
      name: 'ajam_event_ring_capacity',
      help: "Capacity of each server's ring in events (eventbuffer)",
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const r of src().rings?.() ?? []) this.set({ server: r.server }, r.capacity);
      },
    });
    new Gauge({
      name: 'ajam_event_ring_bytes',
      help: "Bytes of the events held in each server's ring",
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const r of src().rings?.() ?? []) this.set({ server: r.server }, r.bytes);
      },
    });
    new Gauge({
      name: 'ajam_event_ring_max_bytes',
      help: "Byte bound of each server's ring (eventbufferbytes)",
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const r of src().rings?.() ?? []) this.set({ server: r.server }, r.maxBytes);
      },
    });
    new Gauge({
      name: 'ajam_ami_connections',
      help: 'AMI connections by server and state (ready = logged in and usable)',
      labelNames: ['server', 'state'],
      registers,
      collect() {
        this.reset();
        const list = src().amiConnections?.();
        if (list === undefined) return;
        const counts = new Map<string, { server: string; state: string; n: number }>();
        for (const c of list) {
          const k = c.server + '\0' + c.state;
          const e = counts.get(k);
          if (e === undefined) counts.set(k, { server: c.server, state: c.state, n: 1 });
          else e.n++;
        }
        for (const e of counts.values()) this.set({ server: e.server, state: e.state }, e.n);
      },
    });
    new Gauge({
      name: 'ajam_actions_in_flight',
      help: 'Actions sent to Asterisk and not yet answered, by server',
      labelNames: ['server'],
      registers,
      collect() {
        const n = src().actionsInFlight?.();
        if (n === undefined) return;
        for (const [server, v] of Object.entries(n)) this.set({ server }, v);
      },
    });
    new Counter({
      name: 'ajam_action_failures_total',
      help: 'Actions the proxy answered with an error itself, by reason (timeout, lost: connection dropped)',
      labelNames: ['server', 'reason'],
      registers,
      collect() {
        const list = src().actionFailures?.();
        if (list === undefined) return;
        this.reset();
        for (const f of list) {
          this.inc({ server: f.server, reason: 'timeout' }, f.timeout);
          this.inc({ server: f.server, reason: 'lost' }, f.lost);
        }
      },
    });

    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ajam_' });
  }

  /** Adds or replaces scrape-time sources (app.ts gives the store, ring and pool). */
  watch(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  /** One HTTP request answered: `startMs` from performance.now() at its start (0: not timed). */
  request(endpoint: Endpoint, status: number, startMs: number, nowMs: number): void {
    const e = ENDPOINT_INDEX[endpoint];
    this.requestCounts[e * STATUS_SLOTS + (status > 0 && status < STATUS_SLOTS ? status : 0)]++;
    if (startMs !== 0) this.durationByEndpoint[e]!.observe((nowMs - startMs) / 1000);
  }

  /** One forwarded action fully answered; `name` is a table-known action (bounded label set). */
  action(name: string, startMs: number, nowMs: number): void {
    let h = this.durationByAction.get(name);
    if (h === undefined) {
      h = this.actionDuration.series(name);
      this.durationByAction.set(name, h);
    }
    h.observe((nowMs - startMs) / 1000);
  }

  /** Text exposition for a scrape. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Status codes are 100-599; slot 0 stands for anything else. */
const STATUS_SLOTS = 600;
const ENDPOINT_INDEX = Object.fromEntries(ENDPOINTS.map((e, i) => [e, i])) as Record<Endpoint, number>;

/** One label value's histogram: plain numbers, bumped on the hot path. */
class Series {
  readonly bounds: readonly number[];
  /** counts[i]: observations <= bounds[i] and > bounds[i-1]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
    this.sum = 0;
    this.count = 0;
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

/**
 * A Prometheus histogram with one label, shaped as prom-client's metric objects so a Registry
 * prints it (registerMetric): the series are read only when scraped.
 */
class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly label: string;
  private readonly bounds: readonly number[];
  private readonly bySeries: Map<string, Series>;

  constructor(name: string, help: string, label: string, bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.label = label;
    this.bounds = bounds;
    this.bySeries = new Map();
  }

  /** The series of one label value (callers keep it: the hot path never looks it up). */
  series(value: string): Series {
    let s = this.bySeries.get(value);
    if (s === undefined) {
      s = new Series(this.bounds);
      this.bySeries.set(value, s);
    }
    return s;
  }

  /** Registry.resetMetrics() calls this on every metric. */
  reset(): void {
    for (const s of this.bySeries.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> }> {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const [value, s] of this.bySeries) {
      if (s.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { le, [this.label]: value }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { [this.label]: value }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.label]: value }, value: s.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}

/** A counter that mirrors a running total kept elsewhere. */
function setCounter(c: Counter, total: number): void {
  c.reset();
  if (total > 0) c.inc(total);
}
