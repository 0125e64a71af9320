// What the end-to-end benchmarks share to set up: a free loopback port, the simulator and the proxy
// as child processes (as in production), a logged-in session cookie, and number formatting.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: child processes run from there. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts `node --import tsx <argv>` and resolves once its output matches `ready`. */
export function child(argv: string[], ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (ready.test(out)) {
        p.stdout!.off('data', onData);
        p.stderr!.off('data', onData);
        p.stdout!.resume();
        p.stderr!.resume();
        resolve(p);
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${out}`)));
  });
}

/** The proxy (lib/cli.ts) on `conf`, logging at `logLevel` and above to this process's stderr. */
export function spawnProxy(conf: string, logLevel: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'lib/cli.ts', '--config', conf], {
    cwd: root,
    // The proxy logs on its stdout: to our stderr, so our stdout keeps the tables only.
    stdio: ['ignore', 2, 'inherit'],
    env: { ...process.env, AJAM_LOG: logLevel },
  });
}

/** Logs in over /rawman, retrying while the proxy starts up; resolves the session cookie. */
export async function loginCookie(port: number, username: string, secret: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/rawman?action=login&username=${username}&secret=${secret}`);
      const body = await r.text();
      const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
      if (body.includes('Authentication accepted')) return cookie;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('proxy did not become ready');
}

export const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** User + system CPU time of a process in µs, from /proc (Linux); NaN elsewhere. */
export function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks (USER_HZ, 100 on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return NaN;
  }
}
