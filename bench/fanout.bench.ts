// Fan-out benchmark (`npm run bench:fanout [-- --seconds N] [--max N] [--save]`): events pushed
// to N clients through the proxy, per transport — WaitEvent long-poll (/rawman), WebSocket (/ws),
// Server-Sent Events (/events) — for N = 100, 1,000, 10,000 (up to --max).
//
// Three processes: the simulator (bench/lib/fanout-sim.ts) sends numbered events stamped with their
// send time; a fresh proxy per cell (lib/cli.ts) pointed at it; this process is the load generator
// (raw loopback sockets, bench/lib/push-load.ts). Per cell: proxy RSS before and after N idle
// clients connect (memory per idle client), then `--seconds` of events at the cell's rate; every
// client must receive every event (lost = sent × N − received, after a drain wait). CPU of the
// proxy, the simulator and this load generator, in % of one core over the measured interval.
//
// Results go to a temporary folder; with --save to bench/results/fanout.json, the "Fan-out" section
// of bench/RESULTS.md and bench/results/fanout-p99.svg.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Latencies, longPollClient, sseClient, wsClient, type LoadContext, type PushClient, type Transport } from './lib/push-load.ts';
import { machineLine, writeJson, writeSection } from './lib/results.ts';
import { p99Chart } from './lib/chart.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    max: { type: 'string', default: '10000' },
    /** Client counts to run instead of 100, 1,000, 10,000 (a comma list, e.g. `--clients 1000`). */
    clients: { type: 'string' },
    /** Events per second per client instead of the issue's (100/s, 20/s from 10,000 clients). */
    rate: { type: 'string' },
    transports: { type: 'string', default: 'longpoll,websocket,sse' },
    /** WebSocket clients that stop reading, beside 10 that read (0: skip that part). */
    stalled: { type: 'string', default: '1000' },
    'stall-limit': { type: 'string', default: '65536' },
    save: { type: 'boolean', default: false },
    /** Write a V8 CPU profile of each proxy (`.cpuprofile`, in the temporary folder printed). */
    'cpu-prof': { type: 'boolean', default: false },
  },
  strict: true,
});
const SECONDS = Number(args.seconds);
const MAX = Number(args.max);
/** `--transports ''`: none (only the stalled-client part). */
const TRANSPORTS = args.transports.split(',').filter((t) => t !== '') as Transport[];
/** Events per second each client receives, by N (the issue's targets: 100/s at 1,000, 20/s at 10,000). */
const RATE: Record<number, number> = { 100: 100, 1000: 100, 10000: 20 };
const SIZES = (args.clients === undefined ? [100, 1000, 10000] : args.clients.split(',').map(Number)).filter((n) => n <= MAX);
for (const n of SIZES) if (!(n > 0)) throw new Error(`--clients: not a client count: ${args.clients}`);
/** The cell's rate for a client count not in RATE: the issue's 20/s from 10,000 on, else 100/s. */
const rateOf = (n: number): number => (args.rate !== undefined ? Number(args.rate) : (RATE[n] ?? (n >= 10000 ? 20 : 100)));
const USER = 'bench';
const SECRET = 'benchpw';
const CLK_TCK = 100;

interface Cell {
  transport: Transport;
  clients: number;
  ratePerClient: number;
  seconds: number;
  sent: number;
  expected: number;
  received: number;
  lost: number;
  deliveredPerSec: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  proxyCpuPct: number;
  simCpuPct: number;
  loadCpuPct: number;
  /** CPU time per delivered event, µs (a load-independent cost: compare runs by these). */
  proxyCpuUsPerEvent: number;
  loadCpuUsPerEvent: number;
  /** Long-poll: WaitEvent replies per second (events per reply = deliveredPerSec / this). */
  repliesPerSec?: number;
  proxyRssMB: number;
  idleBytesPerClient: number;
  note?: string;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Open file descriptors of a process (its sockets among them). */
function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function step(what: string): void {
  process.stderr.write(`  ${what} …\n`);
}

class Sim {
  readonly proc: ChildProcess;
  port = 0;
  private lines: string[] = [];
  private waiters: Array<(line: string) => void> = [];

  constructor() {
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/fanout-sim.ts'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      const w = this.waiters.shift();
      if (w !== undefined) w(l);
      else this.lines.push(l);
    });
  }

  next(): Promise<string> {
    const l = this.lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => this.waiters.push(r));
  }

  async start(): Promise<void> {
    this.port = Number((await this.next()).split(' ')[1]);
  }

  send(cmd: string): void {
    this.proc.stdin!.write(cmd + '\n');
  }

  /** Stops the stream; the total sent since the simulator started. */
  async stop(): Promise<number> {
    this.send('stop');
    return Number((await this.next()).split(' ')[1]);
  }
}

async function startProxy(simPort: number, dir: string, port: number, extra = ''): Promise<ChildProcess> {
  writeFileSync(join(dir, 'users.conf'), `[general]\nallowmultiplelogin = yes\n\n[${USER}]\nsecret = ${SECRET}\nread = all\nwrite = all\n`);
  writeFileSync(
    join(dir, 'ajam-proxy.conf'),
    `[general]\nbindaddr = 127.0.0.1\nbindport = ${port}\nusers = users.conf\nhttptimeout = 120\nloglevel = warn\n` +
      // One address opens every session: the per-address budget of logins (unauthrate) is off here.
      'maxsessions = 100000\nmaxsessionsperuser = 100000\npushmaxclients = 100000\nunauthrate = 0\nmaxconnections = 100000\n' +
      extra +
      `\n[asterisk]\nhost = 127.0.0.1\nport = ${simPort}\nusername = admin\nsecret = admin\nconnections = 2\n`,
  );
  const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  if (prof.length > 0) process.stderr.write(`  proxy CPU profile in ${dir}\n`);
  const p = spawn(process.execPath, [...prof, '--import', 'tsx', 'lib/cli.ts', '--config', join(dir, 'ajam-proxy.conf')], {
    cwd: root,
    // The proxy logs on its stdout: to our stderr, so our stdout keeps the tables only.
    stdio: ['ignore', 2, 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200) return p;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  p.kill();
  throw new Error('the proxy did not become ready');
}

async function cookie(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/rawman?action=Login&Username=${USER}&Secret=${SECRET}`);
  const m = /mansession_id="([0-9a-f]+)"/.exec(r.headers.get('set-cookie') ?? '');
  if (m === null) throw new Error('bench login failed');
  return `mansession_id="${m[1]}"`;
}

async function connectAll(ctx: LoadContext, transport: Transport, n: number, c: string): Promise<PushClient[]> {
  const clients: PushClient[] = [];
  const BATCH = 100;
  for (let i = 0; i < n; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - i) }, () =>
      transport === 'websocket' ? wsClient(ctx, c) : transport === 'sse' ? sseClient(ctx, c) : longPollClient(ctx, USER, SECRET),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function runCell(sim: Sim, transport: Transport, n: number): Promise<Cell> {
  const dir = mkdtempSync(join(tmpdir(), 'ajam-fanout-'));
  const port = await freePort();
  const proxy = await startProxy(sim.port, dir, port);
  const pid = proxy.pid!;
  step(`proxy pid ${pid}`);
  const rate = rateOf(n);
  const ctx: LoadContext = { port, lat: new Latencies(), measuring: false };
  let clients: PushClient[] = [];
  try {
    await sleep(1000);
    const rssBase = rssBytes(pid);
    step('connecting');
    clients = await connectAll(ctx, transport, n, await cookie(port));
    step('idle');
    await sleep(2000);
    const rssIdle = rssBytes(pid);

    // Warm-up (not measured): one second of events, drained, so the JIT has seen the paths.
    step('warm-up');
    for (const c of clients) c.received = 0;
    const warmFrom = await sim.stop();
    sim.send(`rate ${rate}`);
    await sleep(1000);
    const warmSent = (await sim.stop()) - warmFrom;
    const warmUntil = performance.now() + 10_000;
    while (clients.some((c) => c.received < warmSent) && performance.now() < warmUntil) await sleep(20);

    step('measuring');
    // Measure: from the first event to the last one received (or the drain timeout).
    for (const c of clients) c.received = c.replies = 0;
    const sentBefore = await sim.stop();
    ctx.measuring = true;
    const t0 = performance.now();
    const cpu0 = { proxy: cpuTicks(pid), sim: cpuTicks(sim.proc.pid!), load: process.cpuUsage() };
    sim.send(`rate ${rate}`);
    await sleep(SECONDS * 1000);
    const sent = (await sim.stop()) - sentBefore;
    const expected = sent * n;
    const drainUntil = performance.now() + 10_000;
    let received = 0;
    for (;;) {
      received = 0;
      for (const c of clients) received += c.received;
      if (received >= expected || performance.now() > drainUntil) break;
      await sleep(20);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = { proxy: cpuTicks(pid), sim: cpuTicks(sim.proc.pid!), load: process.cpuUsage(cpu0.load) };
    const rssRun = rssBytes(pid);
    ctx.measuring = false;
    const { p50, p99, max } = ctx.lat.percentiles();
    const pct = (ticks: number): number => Math.round((ticks / CLK_TCK / elapsed) * 1000) / 10;
    const loadUs = cpu1.load.user + cpu1.load.system;
    const perEvent = (us: number): number => (received === 0 ? 0 : Math.round((us / received) * 100) / 100);
    let replies = 0;
    for (const c of clients) replies += c.replies;
    return {
      transport,
      clients: n,
      ratePerClient: rate,
      seconds: Math.round(elapsed * 100) / 100,
      sent,
      expected,
      received,
      lost: expected - received,
      deliveredPerSec: Math.round(received / elapsed),
      p50ms: Math.round(p50 * 100) / 100,
      p99ms: Math.round(p99 * 100) / 100,
      maxms: Math.round(max * 100) / 100,
      proxyCpuPct: pct(cpu1.proxy - cpu0.proxy),
      simCpuPct: pct(cpu1.sim - cpu0.sim),
      loadCpuPct: Math.round((loadUs / 1e6 / elapsed) * 1000) / 10,
      proxyCpuUsPerEvent: perEvent(((cpu1.proxy - cpu0.proxy) / CLK_TCK) * 1e6),
      loadCpuUsPerEvent: perEvent(loadUs),
      ...(transport === 'longpoll' ? { repliesPerSec: Math.round(replies / elapsed) } : {}),
      proxyRssMB: Math.round(rssRun / 1024 / 102.4) / 10,
      idleBytesPerClient: Math.round((rssIdle - rssBase) / n),
    };
  } finally {
    for (const c of clients) c.close();
    await stopProxy(proxy);
  }
}

/** SIGKILL, or SIGTERM when profiling (the profile is written at a clean exit). */
async function stopProxy(proxy: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proxy.once('exit', r));
  proxy.kill(args['cpu-prof'] ? 'SIGTERM' : 'SIGKILL');
  await exited;
}

interface StalledResult {
  stalled: number;
  readers: number;
  bufferLimit: number;
  eventBytes: number;
  ratePerClient: number;
  seconds: number;
  slowClosed: number;
  readersLost: number;
  readersP99ms: number;
  rssBaseMB: number;
  rssConnectedMB: number;
  rssMaxMB: number;
  rssEndMB: number;
  rssSettledMB: number;
  /** Seconds from the last slow close until the proxy had closed those sockets (null: not within the settle time). */
  letGoSeconds: number | null;
  proxyCpuPct: number;
  loadCpuPct: number;
}

/** pushbufferlimit of the stalled-client run (`--stall-limit`; 64 KiB keeps the run short). */
const STALL_LIMIT = Number(args['stall-limit']);
const STALL_PAD = 2000;
const STALL_RATE = 200;
const SETTLE_S = 20;

/**
 * Clients that stop reading: `stalled` WebSockets that never read after the upgrade, beside 10 that
 * do, under 200 events/s of ~2 KB. The stalled ones must be closed (slow consumer) while the proxy's
 * memory stays bounded and the readers lose nothing. The buffer limit is 64 KiB here so that the
 * run is short (loopback's kernel buffers take megabytes per socket before the proxy holds any).
 */
async function runStalled(sim: Sim, stalled: number): Promise<StalledResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ajam-fanout-'));
  const port = await freePort();
  const proxy = await startProxy(sim.port, dir, port, `pushbufferlimit = ${STALL_LIMIT}\n`);
  const pid = proxy.pid!;
  step(`proxy pid ${pid}`);
  const ctx: LoadContext = { port, lat: new Latencies(), measuring: false };
  const clients: PushClient[] = [];
  try {
    await sleep(1000);
    const rssBase = rssBytes(pid);
    const fdBase = openFds(pid);
    const c = await cookie(port);
    const readers: PushClient[] = [];
    for (let i = 0; i < 10; i++) readers.push(await wsClient(ctx, c));
    for (let i = 0; i < stalled; i += 100) {
      const batch = await Promise.all(Array.from({ length: Math.min(100, stalled - i) }, () => wsClient(ctx, c, true)));
      clients.push(...batch);
    }
    clients.push(...readers);
    await sleep(1000);
    const rssConnected = rssBytes(pid);
    const sentBefore = await sim.stop();
    ctx.measuring = true;
    const t0 = performance.now();
    const cpu0 = { proxy: cpuTicks(pid), load: process.cpuUsage() };
    let rssMax = 0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(pid))), 200);
    sim.send(`rate ${STALL_RATE} ${STALL_PAD}`);
    let slowClosed = 0;
    let allKickedAt = 0;
    const end = performance.now() + SECONDS * 1000;
    const deadline = performance.now() + Math.max(SECONDS, 60) * 1000;
    // Run at least --seconds, and until every stalled client was closed (or a minute passed).
    while (performance.now() < end || (slowClosed < stalled && performance.now() < deadline)) {
      await sleep(500);
      const h = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { push: { slowClosed: number } };
      slowClosed = h.push.slowClosed;
      if (slowClosed >= stalled && allKickedAt === 0) allKickedAt = performance.now();
    }
    const sent = (await sim.stop()) - sentBefore;
    const drainUntil = performance.now() + 10_000;
    while (readers.some((r) => r.received < sent) && performance.now() < drainUntil) await sleep(20);
    clearInterval(sampler);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = { proxy: cpuTicks(pid), load: process.cpuUsage(cpu0.load) };
    const rssEnd = rssBytes(pid);
    // uWS keeps a closed socket (and what it buffered) until its client reads the close frame or a
    // timeout: the memory the stalled clients held, SETTLE_S seconds after the run.
    // How long after the last slow close the proxy still held the stalled sockets (its open file
    // descriptors: uWS closes a socket when its close handshake times out).
    step(`settling ${SETTLE_S} s`);
    let letGoS = -1;
    const settleUntil = performance.now() + SETTLE_S * 1000;
    while (performance.now() < settleUntil) {
      if (letGoS < 0 && allKickedAt > 0 && openFds(pid) <= fdBase + readers.length + 2) letGoS = (performance.now() - allKickedAt) / 1000;
      await sleep(250);
    }
    const rssSettled = rssBytes(pid);
    const mb = (b: number): number => Math.round(b / 1024 / 102.4) / 10;
    return {
      stalled,
      readers: readers.length,
      bufferLimit: STALL_LIMIT,
      eventBytes: STALL_PAD + 60,
      ratePerClient: STALL_RATE,
      seconds: Math.round(elapsed * 10) / 10,
      slowClosed,
      readersLost: readers.reduce((n, r) => n + (sent - r.received), 0),
      readersP99ms: Math.round(ctx.lat.percentiles().p99 * 100) / 100,
      rssBaseMB: mb(rssBase),
      rssConnectedMB: mb(rssConnected),
      rssMaxMB: mb(Math.max(rssMax, rssEnd)),
      rssEndMB: mb(rssEnd),
      rssSettledMB: mb(rssSettled),
      letGoSeconds: letGoS < 0 ? null : Math.round(letGoS * 10) / 10,
      proxyCpuPct: Math.round(((cpu1.proxy - cpu0.proxy) / CLK_TCK / elapsed) * 1000) / 10,
      loadCpuPct: Math.round(((cpu1.load.user + cpu1.load.system) / 1e6 / elapsed) * 1000) / 10,
    };
  } finally {
    for (const x of clients) x.close();
    await stopProxy(proxy);
  }
}

function stalledTable(s: StalledResult): string {
  return [
    `| stalled WebSockets | readers | limit | events/s × bytes | run s | closed as slow | readers lost | readers p99 ms | proxy RSS MB: start / connected / max / end / ${SETTLE_S} s later | stalled sockets let go after s | proxy CPU % | load generator CPU % |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    `| ${s.stalled.toLocaleString('en')} | ${s.readers} | ${s.bufferLimit} | ${s.ratePerClient} × ${s.eventBytes} | ${s.seconds} | ${s.slowClosed} | ${s.readersLost} | ${s.readersP99ms} | ${s.rssBaseMB} / ${s.rssConnectedMB} / ${s.rssMaxMB} / ${s.rssEndMB} / ${s.rssSettledMB} | ${s.letGoSeconds ?? `> ${SETTLE_S}`} | ${s.proxyCpuPct} | ${s.loadCpuPct} |`,
  ].join('\n');
}

function table(cells: Cell[]): string {
  const rows = cells.map(
    (c) =>
      `| ${c.transport} | ${c.clients.toLocaleString('en')} | ${c.ratePerClient} | ${c.deliveredPerSec.toLocaleString('en')} | ${c.p50ms} | ${c.p99ms} | ${c.lost.toLocaleString('en')} | ${c.proxyCpuPct} | ${c.loadCpuPct} | ${c.simCpuPct} | ${c.proxyCpuUsPerEvent} | ${c.loadCpuUsPerEvent} | ${c.proxyRssMB} | ${c.idleBytesPerClient.toLocaleString('en')} |` +
      (c.note === undefined ? '' : ` ${c.note}`),
  );
  return [
    '| transport | clients | events/s per client | delivered events/s | p50 ms | p99 ms | lost | proxy CPU % | load generator CPU % | simulator CPU % | proxy CPU µs per event | load generator CPU µs per event | proxy RSS MB | idle bytes per client |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

const sim = new Sim();
await sim.start();
const cells: Cell[] = [];
const stoppedAt: string[] = [];
let stalledResult: StalledResult | undefined;
try {
  for (const transport of TRANSPORTS) {
    for (const n of SIZES) {
      process.stderr.write(`fanout: ${transport} × ${n} …\n`);
      try {
        const c = await runCell(sim, transport, n);
        cells.push(c);
        process.stderr.write(`  ${JSON.stringify(c)}\n`);
      } catch (err) {
        stoppedAt.push(`${transport} × ${n}: ${(err as Error).message}`);
        process.stderr.write(`  failed: ${(err as Error).message}\n`);
      }
    }
  }
  const nStalled = Number(args.stalled);
  if (nStalled > 0) {
    process.stderr.write(`fanout: ${nStalled} stalled WebSockets …\n`);
    try {
      stalledResult = await runStalled(sim, nStalled);
      process.stderr.write(`  ${JSON.stringify(stalledResult)}\n`);
    } catch (err) {
      stoppedAt.push(`${nStalled} stalled: ${(err as Error).message}`);
      process.stderr.write(`  failed: ${(err as Error).message}\n`);
    }
  }
} finally {
  sim.send('quit');
}

const result = { machine: machineLine(), seconds: SECONDS, sizes: SIZES, cells, stalled: stalledResult ?? null, failed: stoppedAt };
// The issue's targets on this 2-core machine.
const TARGETS = [
  { series: 'websocket', x: 1000, y: 20 },
  { series: 'websocket', x: 10000, y: 100 },
  { series: 'longpoll', x: 1000, y: 50 },
];
const svg = p99Chart(
  cells.map((c) => ({ series: c.transport, x: c.clients, y: c.p99ms })),
  TARGETS.filter((g) => TRANSPORTS.includes(g.series as Transport) && g.x <= MAX),
);
process.stdout.write(table(cells) + '\n');
if (stalledResult !== undefined) process.stdout.write('\n' + stalledTable(stalledResult) + '\n');
if (args.save) {
  writeJson('fanout', result);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'fanout-p99.svg'), svg);
  writeSection(
    'Fan-out: WaitEvent, WebSocket, SSE',
    `\`npm run bench:fanout -- ${process.argv.slice(2).join(' ')}\` on ${result.machine}. Proxy, simulator and load ` +
      'generator in three processes on the same 2 cores (shared with other work). Every client receives every event; ' +
      'CPU in % of one core over the measured interval, and as CPU time per delivered event (what to compare across runs ' +
      `on a shared machine).\n\n${table(cells)}\n\n![p99 against N per transport](results/fanout-p99.svg)\n` +
      (stalledResult === undefined
        ? ''
        : `\nClients that stop reading (WebSockets that never read after the upgrade, \`pushbufferlimit = ${STALL_LIMIT}\` for a short run; ` +
          '"let go after": seconds from the last slow-consumer close until the proxy had closed those sockets, i.e. freed ' +
          `their buffers):\n\n${stalledTable(stalledResult)}\n`) +
      (stoppedAt.length > 0 ? `\nNot measured: ${stoppedAt.join('; ')}.\n` : ''),
  );
  process.stderr.write('saved to bench/results/fanout.json, bench/results/fanout-p99.svg and bench/RESULTS.md\n');
} else {
  const out = mkdtempSync(join(tmpdir(), 'ajam-bench-'));
  writeFileSync(join(out, 'fanout.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(out, 'fanout-p99.svg'), svg);
  process.stderr.write(`results in ${out} (use --save to keep them in bench/)\n`);
}
process.exit(0);
