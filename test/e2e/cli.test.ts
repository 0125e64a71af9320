// The command line as an operator runs it (bin/ajam-proxy.js in a child process): config errors
// are one line and a non-zero exit (cli-signals.test.ts covers a running proxy).
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
