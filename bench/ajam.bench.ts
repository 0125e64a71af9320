// End-to-end AJAM benchmark: `npm run bench:ajam [-- --seconds N] [--save]` (`--seconds`: per
// measured cell, default 4; results in bench/out/, with --save in bench/RESULTS.md and
// bench/results/ajam.json).
//
// In one run: `/rawman?action=ping` with a session cookie through proxy → simulator at 1, 10 and 50
// keep-alive connections, the same with `Authorization: Bearer` instead of the cookie (stateless:
// no session; a token that matched is remembered, so no SHA-256 after its first request), beside
// the same Ping sent straight to the simulator over ONE TCP AMI connection with the same number of
// actions outstanding. The simulator and the proxy run as child
// processes (as in production); the load generators run here over raw loopback sockets.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { amiLoad, httpLoad, type LoadResult } from './lib/load.ts';
import { newToken } from '../lib/auth/tokens.ts';
import { child, cpuMicros, fmt, freePort, loginCookie, root, spawnProxy } from './lib/processes.ts';
import { benchArgs, machineLine, writeJson, writeSection } from './lib/results.ts';

const USAGE = `usage: npm run bench:ajam -- [--seconds N] [--save]
  --seconds N   seconds per measured cell (default 4; 3 concurrency levels × 3 cells, plus start-up)
  --save        write bench/RESULTS.md and bench/results/ajam.json (tracked) instead of bench/out/
`;
const ARGS = benchArgs(process.argv.slice(2), 4, USAGE);
const SECONDS = ARGS.seconds;
const LEVELS = [1, 10, 50];
const BENCH_USER = 'bench';
const BENCH_SECRET = 'benchpw';

/** Logs in as the bench user once the proxy is up; the cookie, once a Ping through it succeeds. */
async function waitReady(port: number): Promise<string> {
  const cookie = await loginCookie(port, BENCH_USER, BENCH_SECRET);
  const ping = await fetch(`http://127.0.0.1:${port}/rawman?action=ping`, { headers: { cookie } });
  if (!(await ping.text()).startsWith('Response: Success')) throw new Error('ping with the new session failed');
  return cookie;
}

const fmtCpu = (us: number): string => (Number.isNaN(us) ? 'n/a' : fmt(us, 1));

/** Two halves of one measurement: rates summed over the time; latency percentiles averaged (approximate). */
function combine(a: LoadResult, b: LoadResult): LoadResult {
  const seconds = a.seconds + b.seconds;
  const requests = a.requests + b.requests;
  return {
    requests,
    seconds,
    perSec: requests / seconds,
    p50us: (a.p50us + b.p50us) / 2,
    p99us: (a.p99us + b.p99us) / 2,
    errors: a.errors + b.errors,
  };
}

async function main(): Promise<void> {
  const simPort = await freePort();
  const httpPort = await freePort();
  const sim = await child(['lib/sim/cli.ts', '--port', String(simPort)], /listening/);
  const dir = mkdtempSync(join(os.tmpdir(), 'ajam-bench-'));
  // The shipped users plus the HTTP user the load runs as, with a bearer token. The proxy logs in to
  // the simulator as the shipped [asterisk] account (never an HTTP login), which the simulator
  // accepts as it accepts the shipped users.
  const token = newToken();
  const users = join(dir, 'users.conf');
  writeFileSync(
    users,
    readFileSync(join(root, 'conf/users.conf'), 'utf8') +
      `\n[${BENCH_USER}]\nsecret = ${BENCH_SECRET}\nread = all\nwrite = all\n${token.line}\n`,
  );
  const conf = join(dir, 'bench.conf');
  writeFileSync(
    conf,
    [
      '[general]',
      'bindaddr = 127.0.0.1',
      `bindport = ${httpPort}`,
      `users = ${users}`,
      '[asterisk]',
      'simulate = no',
      'host = 127.0.0.1',
      `port = ${simPort}`,
      'username = ajam-proxy',
      'secret = ajam-proxy',
      '',
    ].join('\n'),
  );
  const proxy = spawnProxy(conf, 'warn');
  try {
    const cookie = await waitReady(httpPort);
    const path = '/rawman?action=ping';
    const cookieHeader = `Cookie: ${cookie}\r\n`;
    const bearerHeader = `Authorization: Bearer ${token.token}\r\n`;
    const check = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { authorization: `Bearer ${token.token}` } });
    if (!(await check.text()).includes('Pong')) throw new Error('the bearer token was not accepted');
    // Warm every path up (JIT) before measuring.
    await httpLoad(httpPort, path, cookieHeader, 10, 1);
    await httpLoad(httpPort, path, bearerHeader, 10, 1);
    await amiLoad(simPort, 'admin', 'admin', 10, 1);

    const rows: { c: number; proxy: LoadResult; bearer: LoadResult; direct: LoadResult; cpuCookie: number; cpuBearer: number }[] = [];
    for (const c of LEVELS) {
      // Cookie and bearer in A-B-B-A halves: a shared machine's load drifts, and this order cancels
      // a linear drift from their ratio.
      const cpu = { cookie: 0, bearer: 0 };
      const half = async (header: string, which: 'cookie' | 'bearer'): Promise<LoadResult> => {
        const before = cpuMicros(proxy.pid);
        const r = await httpLoad(httpPort, path, header, c, SECONDS / 2);
        cpu[which] += cpuMicros(proxy.pid) - before;
        return r;
      };
      const p1 = await half(cookieHeader, 'cookie');
      const b1 = await half(bearerHeader, 'bearer');
      const b2 = await half(bearerHeader, 'bearer');
      const p2 = await half(cookieHeader, 'cookie');
      const p = combine(p1, p2);
      const b = combine(b1, b2);
      const d = await amiLoad(simPort, 'admin', 'admin', c, SECONDS);
      // The proxy's CPU time per request: moved much less than req/s by other load on the machine.
      const cpuCookie = cpu.cookie / p.requests;
      const cpuBearer = cpu.bearer / b.requests;
      rows.push({ c, proxy: p, bearer: b, direct: d, cpuCookie, cpuBearer });
      process.stdout.write(
        `c=${c}: proxy ${fmt(p.perSec)} req/s p50 ${fmt(p.p50us)} µs p99 ${fmt(p.p99us)} µs | bearer ${fmt(b.perSec)} req/s (${fmt(b.perSec / p.perSec, 2)} of cookie; proxy CPU ${fmtCpu(cpuBearer)} vs ${fmtCpu(cpuCookie)} µs/req) | direct AMI ${fmt(d.perSec)} ping/s p50 ${fmt(d.p50us)} µs p99 ${fmt(d.p99us)} µs | ratio ${fmt(p.perSec / d.perSec, 2)}\n`,
      );
    }

    const table = [
      '| concurrency | proxy req/s | proxy p50 µs | proxy p99 µs | bearer req/s | bearer p50 µs | bearer / cookie | proxy CPU µs/req cookie | bearer | direct AMI ping/s | direct p50 µs | direct p99 µs | proxy / direct | added p50 µs |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.c} | ${fmt(r.proxy.perSec)} | ${fmt(r.proxy.p50us)} | ${fmt(r.proxy.p99us)} | ${fmt(r.bearer.perSec)} | ${fmt(r.bearer.p50us)} | ${fmt(r.bearer.perSec / r.proxy.perSec, 2)} | ${fmtCpu(r.cpuCookie)} | ${fmtCpu(r.cpuBearer)} | ${fmt(r.direct.perSec)} | ${fmt(r.direct.p50us)} | ${fmt(r.direct.p99us)} | ${fmt(r.proxy.perSec / r.direct.perSec, 2)} | ${fmt(r.proxy.p50us - r.direct.p50us)} |`,
      ),
    ].join('\n');
    writeSection(
      'AJAM end to end',
      `${machineLine()}. ${SECONDS} s per cell, after a 1 s warm-up; simulator and proxy in child processes, load generated over raw loopback sockets in the benchmark process (all three share the 2 cores).\n\n` +
        '`GET /rawman?action=ping` with a session cookie (proxy columns) or `Authorization: Bearer` (bearer columns: no session, the token checked per request (its SHA-256 only until it matched once); cookie and bearer measured in alternating halves, cookie-bearer-bearer-cookie, their p50/p99 the mean of the halves; "proxy CPU µs/req" is the proxy process\'s user+system time from /proc divided by the requests, which other load on the machine moves much less than req/s), keep-alive, `c` connections each with one request outstanding, through proxy → simulator; beside it the same `Action: Ping` sent straight to the simulator over one TCP AMI connection with `c` actions outstanding (pipelined).\n\n' +
        table +
        '\n\nFor scale (issue 3): Asterisk 22\'s own AJAM serves 8.7k / 17k / 13k ping/s at c = 1 / 10 / 50 on this kind of machine.',
      ARGS.dir,
    );
    writeJson(
      'ajam',
      Object.fromEntries(
        rows.map((r) => [
          `c${r.c}`,
          {
            proxy: { reqPerSec: r.proxy.perSec, p50us: r.proxy.p50us, p99us: r.proxy.p99us, errors: r.proxy.errors },
            bearer: { reqPerSec: r.bearer.perSec, p50us: r.bearer.p50us, p99us: r.bearer.p99us, errors: r.bearer.errors },
            bearerOverCookie: r.bearer.perSec / r.proxy.perSec,
            proxyCpuUsPerRequest: Number.isNaN(r.cpuCookie) ? null : { cookie: r.cpuCookie, bearer: r.cpuBearer },
            direct: { pingPerSec: r.direct.perSec, p50us: r.direct.p50us, p99us: r.direct.p99us, errors: r.direct.errors },
            ratio: r.proxy.perSec / r.direct.perSec,
            addedP50us: r.proxy.p50us - r.direct.p50us,
          },
        ]),
      ),
      ARGS.dir,
    );
    process.stdout.write(
      ARGS.save ? 'saved to bench/RESULTS.md and bench/results/ajam.json\n' : `results in ${ARGS.dir} (use --save to keep them in bench/)\n`,
    );
  } finally {
    proxy.kill('SIGTERM');
    sim.kill('SIGTERM');
  }
}

await main();
