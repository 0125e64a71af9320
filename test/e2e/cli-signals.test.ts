// The command line running for real (bin/ajam-proxy.js in a child process): it serves, and
// SIGTERM / SIGINT close HTTP, pool and simulator and exit 0.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/free-port.ts';

const BIN = fileURLToPath(new URL('../../bin/ajam-proxy.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ajam-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string): string {
  writeFileSync(join(dir, `${name}.users.conf`), '[admin]\nsecret = a\nread = all\nwrite = all\n');
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, `[general]\nusers = ${name}.users.conf\n[asterisk]\nsimulate = yes\n`);
  return file;
}

t.test('runs, serves, and shuts down cleanly on SIGTERM and SIGINT', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const port = await freePort();
    const p = spawn(process.execPath, [BIN, '--config', conf('run'), '--listen', `127.0.0.1:${port}`], {
      env: { ...process.env, AJAM_LOG: 'info' },
    });
    let stdout = '';
    const listening = new Promise<void>((resolve) => {
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('action table read')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    await Promise.race([
      listening,
      exited.then((code) => {
        throw new Error(`exited early (${code}): ${stdout}`);
      }),
    ]);
    const h = await fetch(`http://127.0.0.1:${port}/health`);
    t.equal(h.status, 200, `${signal}: health`);
    const login = await fetch(`http://127.0.0.1:${port}/rawman?action=login&username=admin&secret=a`);
    t.match(await login.text(), /Authentication accepted/);
    p.kill(signal);
    t.equal(await exited, 0, `${signal}: exit 0`);
    // JSON lines on stdout (not a terminal here), and nothing else: every line parses, the banner too.
    const records = stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    t.ok(records.some((r) => r.msg === 'ajam-proxy is up' && r.listen === `127.0.0.1:${port}`), `${signal}: the banner is a log line`);
    t.ok(records.some((r) => r.msg === 'shutting down' && r.signal === signal), `${signal}: logged once as JSON`);
    t.notOk(records.some((r) => (r.level as number) >= 50), `${signal}: no error logged`);
  }
});
