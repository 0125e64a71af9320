// Abuse benchmark (`npm run bench:abuse [-- --seconds N] [--save]`, issue 7): a logged-in client's Ping rate while an
// attacker floods the proxy, beside its rate on a quiet proxy (target: >= 90% of quiet).
//   junk cookies:    GET /rawman?action=Ping with a random session cookie per request
//   wrong passwords: Login as the client's own user with a new wrong secret per request (from another address)
// Simulator, proxy and attacker each run in their own process; the logged-in client's load is
// generated here. Quiet runs are taken before, between and after the attacks (their mean is the
// baseline: a shared machine drifts). Also recorded: the proxy's RSS and kept sessions after each.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { httpLoad, type LoadResult } from './lib/load.ts';
import { child, cpuMicros, fmt, freePort, loginCookie, root, spawnProxy } from './lib/processes.ts';
import { benchArgs, machineLine, writeJson, writeSection } from './lib/results.ts';

const USAGE = `usage: npm run bench:abuse -- [--seconds N] [--save]
  --seconds N   seconds per measured run (default 6; 5 runs, the 2 attack runs paired with as long with the attacker stopped, plus start-up and 2 s around each attack)
  --save        write bench/RESULTS.md and bench/results/abuse.json (tracked) instead of bench/out/
`;
const ARGS = benchArgs(process.argv.slice(2), 6, USAGE);
const SECONDS = ARGS.seconds;
const CLIENT_CONNECTIONS = 10;
const ATTACK_CONNECTIONS = 50;
const ATTACKER_ADDRESS = '127.0.0.2';
/** Slices of each attack run, alternated with as many with the attacker stopped. */
const PAIRS = 3;

/** Slices of one measurement as one: rates over the summed time, percentiles averaged (approximate). */
function sum<T extends LoadResult & { cpuUs: number }>(runs: T[]): LoadResult & { cpuUs: number; cpuUsPerPing: number } {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const cpuUs = runs.reduce((n, r) => n + r.cpuUs, 0);
  return {
    requests,
    seconds,
    perSec: requests / seconds,
    p50us: runs.reduce((n, r) => n + r.p50us, 0) / runs.length,
    p99us: runs.reduce((n, r) => n + r.p99us, 0) / runs.length,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    cpuUs,
    cpuUsPerPing: cpuUs / requests,
  };
}

/**
 * Runs the attacker process for `seconds`: `ready` resolves once its flood gets answers (its own
 * start-up, a TypeScript compile, is over: that CPU is not the flood's), `done` with its summary.
 */
function attack(
  port: number,
  kind: 'junk' | 'password',
  seconds: number,
): { ready: Promise<void>; done: Promise<{ requests: number; perSec: number }>; signal: (sig: NodeJS.Signals) => void } {
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  let proc: ReturnType<typeof spawn> | undefined;
  const done = new Promise<{ requests: number; perSec: number }>((resolve, reject) => {
    const p = (proc = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/lib/attack.ts', String(port), kind, String(ATTACK_CONNECTIONS), String(seconds), ATTACKER_ADDRESS],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    ));
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready"')) onReady();
    });
    p.on('exit', (code) => {
      onReady();
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!));
      else reject(new Error(`attacker exited ${code}`));
    });
  });
  return { ready, done, signal: (sig) => void proc?.kill(sig) };
}

function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}

async function sessions(port: number, cookie: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/health`, { headers: { cookie } });
  return ((await r.json()) as { sessions?: number }).sessions ?? NaN;
}

async function main(): Promise<void> {
  const simPort = await freePort();
  const httpPort = await freePort();
  const sim = await child(['lib/sim/cli.ts', '--port', String(simPort)], /listening/);
  const dir = mkdtempSync(join(os.tmpdir(), 'ajam-abuse-'));
  const users = join(dir, 'users.conf');
  writeFileSync(users, '[boss]\nsecret = bosspw\nread = all\nwrite = all\n');
  const conf = join(dir, 'abuse.conf');
  writeFileSync(
    conf,
    ['[general]', 'bindaddr = 127.0.0.1', `bindport = ${httpPort}`, `users = ${users}`, '[asterisk]', 'host = 127.0.0.1', `port = ${simPort}`, 'username = admin', 'secret = admin', ''].join('\n'),
  );
  // The defaults under test (authlimit, maxsessions, …); errors only (a password storm logs each failure at warn).
  const proxy = spawnProxy(conf, 'error');
  try {
    const cookie = await loginCookie(httpPort, 'boss', 'bosspw');
    const header = `Cookie: ${cookie}\r\n`;
    const path = '/rawman?action=ping';
    await httpLoad(httpPort, path, header, CLIENT_CONNECTIONS, 1); // warm-up (JIT)
    const rss0 = rssMb(proxy.pid);

    // Beside the rate, the proxy's CPU time per client ping (from /proc): it includes whatever the
    // attack makes the proxy do, and other load on a shared machine moves it much less than ping/s.
    type Run = LoadResult & { cpuUsPerPing: number; cpuUs: number };
    const quiet: Run[] = [];
    const measure = async (seconds = SECONDS): Promise<Run> => {
      const before = cpuMicros(proxy.pid);
      const r = await httpLoad(httpPort, path, header, CLIENT_CONNECTIONS, seconds);
      const cpuUs = cpuMicros(proxy.pid) - before;
      return { ...r, cpuUs, cpuUsPerPing: cpuUs / r.requests };
    };
    const under = async (kind: 'junk' | 'password'): Promise<{ client: Run; paired: Run; attacker: { requests: number; perSec: number } }> => {
      // The attack starts first (measured from its first answer, plus a second) and outlasts the
      // measurement. The client is measured in PAIRS slices, each under attack and then with the
      // attacker stopped (SIGSTOP: its connections stay, idle): a shared machine's drift cancels
      // out of the ratio of the two, which the separate quiet runs cannot promise.
      const a = attack(httpPort, kind, 2 * SECONDS + 4);
      await a.ready;
      await new Promise((r) => setTimeout(r, 1000));
      const attacked: Run[] = [];
      const stopped: Run[] = [];
      for (let i = 0; i < PAIRS; i++) {
        attacked.push(await measure(SECONDS / PAIRS));
        a.signal('SIGSTOP');
        stopped.push(await measure(SECONDS / PAIRS));
        a.signal('SIGCONT');
      }
      return { client: sum(attacked), paired: sum(stopped), attacker: await a.done };
    };

    quiet.push(await measure());
    const junk = await under('junk');
    const afterJunk = { rss: rssMb(proxy.pid), sessions: await sessions(httpPort, cookie) };
    quiet.push(await measure());
    const storm = await under('password');
    const afterStorm = { rss: rssMb(proxy.pid), sessions: await sessions(httpPort, cookie) };
    quiet.push(await measure());
    const quietRate = quiet.reduce((s, r) => s + r.perSec, 0) / quiet.length;
    const quietCpu = quiet.reduce((s, r) => s + r.cpuUsPerPing, 0) / quiet.length;
    const still = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { cookie } });
    if (!(await still.text()).includes('Pong')) throw new Error('the logged-in client lost its session');

    const rows = [
      ['quiet (mean of 3 runs)', quietRate, NaN, NaN, quiet.map((q) => fmt(q.perSec)).join(' / '), quietCpu, rss0, NaN],
      ['junk-cookie flood', junk.client.perSec, junk.paired.perSec, junk.attacker.perSec, fmt(junk.client.p99us), junk.client.cpuUsPerPing, afterJunk.rss, afterJunk.sessions],
      ['wrong-password storm', storm.client.perSec, storm.paired.perSec, storm.attacker.perSec, fmt(storm.client.p99us), storm.client.cpuUsPerPing, afterStorm.rss, afterStorm.sessions],
    ] as const;
    const table = [
      '| logged-in client during | its ping/s | % of quiet | % of the paired slices (attacker stopped) | attacker req/s | client p99 µs (quiet: the runs) | proxy CPU µs per client ping | proxy RSS MB after | sessions kept after |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        ([name, rate, paired, atk, p99, cpu, rss, sess]) =>
          `| ${name} | ${fmt(rate)} | ${fmt((100 * rate) / quietRate)}% | ${Number.isNaN(paired) ? '—' : `${fmt((100 * rate) / paired)}% of ${fmt(paired)}`} | ${Number.isNaN(atk) ? '—' : fmt(atk)} | ${p99} | ${Number.isNaN(cpu) ? 'n/a' : fmt(cpu, 1)} | ${fmt(rss)} | ${Number.isNaN(sess) ? '—' : fmt(sess)} |`,
      ),
    ].join('\n');
    process.stdout.write(table + '\n');
    {
      writeSection(
        'Under attack',
        `${machineLine()}. \`npm run bench:abuse\`: ${SECONDS} s per run. A logged-in client (${CLIENT_CONNECTIONS} keep-alive connections, one \`/rawman?action=ping\` outstanding on each) measured on a quiet proxy (before, between and after the attacks: the mean is the baseline) and while an attacker process floods the same proxy over ${ATTACK_CONNECTIONS} keep-alive connections from ${ATTACKER_ADDRESS}: random session cookies on Ping (junk-cookie flood), or Login as the client's own user with a new wrong secret each time (wrong-password storm; after \`authlimit\` failures the address is locked and refused at once). Simulator, proxy, attacker and client share the machine's cores; default limits. \"proxy CPU µs per client ping\" is the proxy's user+system time from /proc over the run divided by the client's pings (the attack's own cost to the proxy included), which other load on the machine moves much less than ping/s. Each attack run is measured in ${PAIRS} slices, each followed by one as long with the attacker stopped (SIGSTOP; its connections stay open, idle): "% of the paired slices" compares the two, so the machine's drift cancels out.\n\n` +
          table,
        ARGS.dir,
      );
      writeJson('abuse', {
        seconds: SECONDS,
        quiet: quiet.map((q) => q.perSec),
        quietCpuUsPerPing: quiet.map((q) => q.cpuUsPerPing),
        junk: { client: junk.client.perSec, pairedQuiet: junk.paired.perSec, attacker: junk.attacker.perSec, cpuUsPerPing: junk.client.cpuUsPerPing, rssMb: afterJunk.rss, sessions: afterJunk.sessions },
        password: { client: storm.client.perSec, pairedQuiet: storm.paired.perSec, attacker: storm.attacker.perSec, cpuUsPerPing: storm.client.cpuUsPerPing, rssMb: afterStorm.rss, sessions: afterStorm.sessions },
      }, ARGS.dir);
      process.stdout.write(ARGS.save ? 'saved to bench/RESULTS.md and bench/results/abuse.json\n' : `results in ${ARGS.dir} (use --save to keep them in bench/)\n`);
    }
  } finally {
    proxy.kill('SIGTERM');
    sim.kill('SIGTERM');
  }
}

await main();
