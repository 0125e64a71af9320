// The command line as an operator runs it (bin/ajam-proxy.js in a child process): config errors
// are one line and a non-zero exit; a started proxy serves, and SIGTERM / SIGINT shut it down cleanly.
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ajam-proxy.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ajam-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, AJAM_LOG: 'info' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function conf(name: string, general: string, users = '[admin]\nsecret = a\nread = all\nwrite = all\n'): string {
  writeFileSync(join(dir, `${name}.users.conf`), users);
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, `[general]\nusers = ${name}.users.conf\n${general}\n[asterisk]\nsimulate = yes\n`);
  return file;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function oneLine(t: Test, r: Run, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
  t.match(lines[0], pattern);
}

t.test('config errors: one line, exit 1', async (t) => {
  const missing = await run(['--config', join(dir, 'nope.conf')]);
  t.equal(missing.code, 1);
  oneLine(t, missing, /^ajam-proxy: .*nope\.conf/);

  const badClass = await run(['--config', conf('badclass', '', '[admin]\nsecret = a\nread = all\nwrite = call,teleport\n')]);
  t.equal(badClass.code, 1);
  oneLine(t, badClass, /^ajam-proxy: .*badclass\.users\.conf:4: .*teleport/);

  const badValue = await run(['--config', conf('badvalue', 'bindport = eighty')]);
  t.equal(badValue.code, 1);
  oneLine(t, badValue, /^ajam-proxy: .*badvalue\.conf:3: .*bindport.*eighty/);

  const unknownKey = await run(['--config', conf('unknownkey', 'colour = blue')]);
  t.equal(unknownKey.code, 1);
  oneLine(t, unknownKey, /^ajam-proxy: .*unknownkey\.conf:3: .*colour/);

  const badListen = await run(['--config', conf('ok1', ''), '--listen', 'nowhere:99999']);
  t.equal(badListen.code, 1);
  oneLine(t, badListen, /^ajam-proxy: --listen/);
});

t.test('argument errors: one line, exit 2; --help', async (t) => {
  const bad = await run(['--frobnicate']);
  t.equal(bad.code, 2);
  oneLine(t, bad, /^ajam-proxy: .*frobnicate.*--help/);
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: ajam-proxy \[--config FILE\] \[--listen HOST:PORT\] \[--simulate\]/);
});

t.test('runs, serves, and shuts down cleanly on SIGTERM and SIGINT', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const port = await freePort();
    const p = spawn(process.execPath, [BIN, '--config', conf('run', ''), '--listen', `127.0.0.1:${port}`], {
      env: { ...process.env, AJAM_LOG: 'info' },
    });
    let stderr = '';
    const listening = new Promise<void>((resolve) => {
      p.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('action table read')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    await listening;
    const h = await fetch(`http://127.0.0.1:${port}/health`);
    t.equal(h.status, 200, `${signal}: health`);
    const login = await fetch(`http://127.0.0.1:${port}/rawman?action=login&username=admin&secret=a`);
    t.match(await login.text(), /Authentication accepted/);
    p.kill(signal);
    t.equal(await exited, 0, `${signal}: exit 0`);
    t.match(stderr, `shutting down signal=${signal}`);
    t.notMatch(stderr, /ERROR/);
  }
});
