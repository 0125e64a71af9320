// A real nginx (Debian's, installed when missing, see system.ts) as a child process on loopback:
// its own prefix, config, pid, logs and temp folders in a temp dir; single process
// (`master_process off`), so no worker `user` switch is needed whether we run as root or not.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemPackage } from './system.ts';
import { freePort } from './free-port.ts';

export interface TestNginx {
  port: number;
  dir: string;
  /** nginx's error log so far (for failure messages). */
  errors(): string;
  close(): Promise<void>;
}

// nginx cannot listen on port 0: its tests pick one with freePort (kept importable from here).
export { freePort };

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts nginx with `site` (the contents of an http-level file such as conf/nginx/ajam-proxy.conf,
 * already pointed at the right ports by the caller) included in a minimal main config.
 */
export async function startNginx(site: string, port: number): Promise<TestNginx> {
  const nginx = ensureSystemPackage('nginx', 'nginx');
  const dir = mkdtempSync(join(tmpdir(), 'ajam-nginx-'));
  writeFileSync(join(dir, 'site.conf'), site);
  const errorLog = join(dir, 'error.log');
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${errorLog} warn;`,
      'events { worker_connections 512; }',
      'http {',
      '    access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(dir, t)};`),
      `    include ${join(dir, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorLog], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const errors = (): string => {
    let log = '';
    try {
      log = readFileSync(errorLog, 'utf8');
    } catch {
      // not written yet
    }
    return stderr + log;
  };
  for (let i = 0; !(await accepting(port)); i++) {
    if (exited || i > 500) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${errors()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    port,
    dir,
    errors,
    close: async () => {
      // SIGTERM: fast shutdown (a graceful one would wait for parked long polls); this child only.
      if (!exited) child.kill('SIGTERM');
      await exit;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
