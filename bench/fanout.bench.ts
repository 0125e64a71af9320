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
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
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
    transports: { type: 'string', default: 'longpoll,websocket,sse' },
    save: { type: 'boolean', default: false },
  },
  strict: true,
});
const SECONDS = Number(args.seconds);
const MAX = Number(args.max);
const TRANSPORTS = args.transports.split(',') as Transport[];
/** Events per second each client receives, by N (the targets: 100/s at 1,000, 20/s at 10,000). */
const RATE: Record<number, number> = { 100: 100, 1000: 100, 10000: 20 };
const SIZES = [100, 1000, 10000].filter((n) => n <= MAX);
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
  proxyRssMB: number;
  idleBytesPerClient: number;
  note?: string;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

async function startProxy(simPort: number, dir: string, port: number): Promise<ChildProcess> {
  writeFileSync(join(dir, 'users.conf'), `[general]\nallowmultiplelogin = yes\n\n[${USER}]\nsecret = ${SECRET}\nread = all\nwrite = all\n`);
  writeFileSync(
    join(dir, 'ajam-proxy.conf'),
    `[general]\nbindaddr = 127.0.0.1\nbindport = ${port}\nusers = users.conf\nhttptimeout = 120\nloglevel = warn\n` +
      'maxsessions = 100000\nmaxsessionsperuser = 100000\npushmaxclients = 100000\n' +
      `\n[asterisk]\nhost = 127.0.0.1\nport = ${simPort}\nusername = admin\nsecret = admin\nconnections = 2\n`,
  );
  const p = spawn(process.execPath, ['--import', 'tsx', 'lib/cli.ts', '--config', join(dir, 'ajam-proxy.conf')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
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
  const rate = RATE[n]!;
  const ctx: LoadContext = { port, lat: new Latencies(), measuring: false };
  let clients: PushClient[] = [];
  try {
    await sleep(1000);
    const rssBase = rssBytes(pid);
    clients = await connectAll(ctx, transport, n, await cookie(port));
    await sleep(2000);
    const rssIdle = rssBytes(pid);

    // Warm-up (not measured): one second of events, drained, so the JIT has seen the paths.
    await sim.stop();
    sim.send(`rate ${rate}`);
    await sleep(1000);
    const warm = await sim.stop();
    void warm;
    await sleep(500);

    // Measure: from the first event to the last one received (or the drain timeout).
    for (const c of clients) c.received = 0;
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
      loadCpuPct: Math.round(((cpu1.load.user + cpu1.load.system) / 1e6 / elapsed) * 1000) / 10,
      proxyRssMB: Math.round(rssRun / 1024 / 102.4) / 10,
      idleBytesPerClient: Math.round((rssIdle - rssBase) / n),
    };
  } finally {
    for (const c of clients) c.close();
    proxy.kill('SIGKILL');
    await new Promise((r) => proxy.once('exit', r));
  }
}

function table(cells: Cell[]): string {
  const rows = cells.map(
    (c) =>
      `| ${c.transport} | ${c.clients.toLocaleString('en')} | ${c.ratePerClient} | ${c.deliveredPerSec.toLocaleString('en')} | ${c.p50ms} | ${c.p99ms} | ${c.lost.toLocaleString('en')} | ${c.proxyCpuPct} | ${c.loadCpuPct} | ${c.simCpuPct} | ${c.proxyRssMB} | ${c.idleBytesPerClient.toLocaleString('en')} |` +
      (c.note === undefined ? '' : ` ${c.note}`),
  );
  return [
    '| transport | clients | events/s per client | delivered events/s | p50 ms | p99 ms | lost | proxy CPU % | load generator CPU % | simulator CPU % | proxy RSS MB | idle bytes per client |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

const sim = new Sim();
await sim.start();
const cells: Cell[] = [];
const stoppedAt: string[] = [];
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
} finally {
  sim.send('quit');
}

const result = { machine: machineLine(), seconds: SECONDS, sizes: SIZES, cells, failed: stoppedAt };
const svg = p99Chart(cells.map((c) => ({ series: c.transport, x: c.clients, y: c.p99ms })));
process.stdout.write(table(cells) + '\n');
if (args.save) {
  writeJson('fanout', result);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'fanout-p99.svg'), svg);
  writeSection(
    'Fan-out: WaitEvent, WebSocket, SSE',
    `\`npm run bench:fanout -- --seconds ${SECONDS} --max ${MAX} --save\` on ${result.machine}. Proxy, simulator and load ` +
      'generator in three processes on the same 2 cores (shared with other work). Every client receives every event; ' +
      `CPU in % of one core over the measured interval.\n\n${table(cells)}\n\n![p99 against N per transport](results/fanout-p99.svg)\n` +
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
