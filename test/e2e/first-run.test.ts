// A new user's first run, as a child process with the shipped configuration: the banner says which
// page to open and which demo logins work, `/` leads there, and a taken port is one line naming the
// reason and the exact command that works.
import t from 'tap';
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadUsers } from '../../lib/auth/users.ts';
import { startTestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/free-port.ts';

const BIN = fileURLToPath(new URL('../../bin/ajam-proxy.js', import.meta.url));
const SHIPPED = fileURLToPath(new URL('../../conf/ajam-proxy.conf', import.meta.url));
const SHIPPED_USERS = fileURLToPath(new URL('../../conf/users.conf', import.meta.url));
const STATIC = fileURLToPath(new URL('../../static/', import.meta.url));

/** A loopback port held by another program for the test's duration. */
async function occupy(t: Test): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => s.close(() => resolve())));
  return (s.address() as { port: number }).port;
}

function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, AJAM_LOG: 'info', ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Resolves once the proxy logged that it is up (its banner, as a JSON line on a non-terminal stdout). */
function up(p: ReturnType<typeof start>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    p.child.stdout!.on('data', () => {
      if (p.out().includes('"msg":"ajam-proxy is up"')) resolve();
    });
    void p.exited.then((code) => reject(new Error(`exited ${code}: ${p.err()}`)));
  });
}

t.test('npm start: the banner names the page and the demo logins; / leads to the page', async (t) => {
  const port = await freePort();
  const p = start(['--config', SHIPPED, '--listen', `127.0.0.1:${port}`], {});
  t.teardown(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  await up(p);
  // stdout is a pipe here, not a terminal: it carries JSON log lines only, the banner is one of them
  // (on a terminal it is the text banner: cli-lifecycle.test.ts and banner.test.ts).
  const lines = p.out().split('\n').filter((l) => l !== '');
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const banner = records.find((r) => r.msg === 'ajam-proxy is up')!;
  const base = `http://127.0.0.1:${port}`;
  t.equal(banner.page, `${base}/static/index.html`, 'the page to open');
  t.equal(banner.wallboard, `${base}/static/wallboard.html`, 'and the wallboard');
  t.equal(banner.asterisk, 'built-in AMI simulator', 'says it is the simulator');
  // The demo users of the shipped users file, by name: a log line never carries a secret.
  const demo = [...loadUsers(SHIPPED_USERS).values()].map((u) => u.name);
  t.same(banner.demoLogins, demo.slice(0, 6));
  for (const u of loadUsers(SHIPPED_USERS).values()) {
    t.notMatch(p.out(), `${u.name} / ${u.secret}`, `no login line of ${u.name} in the log`);
    if (u.secret !== u.name) t.notMatch(p.out(), u.secret!, `no secret of ${u.name} in the log`);
  }
  t.notOk((banner.demoLogins as string[]).includes('ajam-proxy'), "the proxy's own AMI account is not offered as a login");
  t.equal(p.err(), '', 'nothing on stderr');

  const front = await fetch(`${base}/`, { redirect: 'manual' });
  t.equal(front.status, 302);
  t.equal(front.headers.get('location'), '/static/index.html');
  const page = await fetch(`${base}/`);
  t.equal(page.status, 200, 'the redirect lands on the page');
  t.match(await page.text(), /<form[^>]*id="login-form"/, 'the wallboard login form');

  // The demo login the banner names works.
  const login = await fetch(`${base}/rawman?action=login&username=admin&secret=admin`);
  t.match(await login.text(), 'Message: Authentication accepted');

  p.child.kill('SIGINT');
  t.equal(await p.exited, 0, 'Ctrl-C stops it');
});

t.test('a taken port: one line with the reason and the exact command that works', async (t) => {
  const port = await occupy(t);
  // As `npm start` runs it.
  const npm = start(['--config', SHIPPED, '--listen', `127.0.0.1:${port}`], { npm_lifecycle_event: 'start' });
  t.equal(await npm.exited, 1, 'exit code 1');
  const lines = npm.err().split('\n').filter((l) => l !== '');
  const last = lines[lines.length - 1]!;
  t.match(last, `ajam-proxy: cannot listen on 127.0.0.1:${port}: address in use`);
  const m = /start on a free port with: npm start -- --listen 127\.0\.0\.1:(\d+)$/.exec(last);
  t.ok(m !== null, `names the npm start command: ${last}`);
  t.notMatch(npm.err(), /^\s+at /m, 'no stack trace');
  t.notMatch(npm.out(), 'simulator listening', 'nothing suggests that start-up worked');
  t.notMatch(npm.out(), 'ajam-proxy is up', 'no banner');

  // The suggested port really works.
  const suggested = Number(m![1]);
  const ok = start(['--config', SHIPPED, '--listen', `127.0.0.1:${suggested}`], {});
  await up(ok);
  ok.child.kill('SIGINT');
  t.equal(await ok.exited, 0, 'the suggested command starts');

  // Run directly: the same command line with --listen replaced.
  const direct = start(['--config', SHIPPED, '--listen', `127.0.0.1:${port}`], { npm_lifecycle_event: '' });
  t.equal(await direct.exited, 1);
  t.match(direct.err(), new RegExp(`start on a free port with: ajam-proxy --config \\S+ajam-proxy\\.conf --listen 127\\.0\\.0\\.1:\\d+\\n$`));
});

t.test('a second proxy on the same port is refused, not silently sharing it', async (t) => {
  const port = await freePort();
  const first = start(['--config', SHIPPED, '--listen', `127.0.0.1:${port}`], {});
  t.teardown(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  });
  await up(first);
  const second = start(['--config', SHIPPED, '--listen', `127.0.0.1:${port}`], {});
  t.equal(await second.exited, 1);
  t.match(second.err(), 'address in use');
  first.child.kill('SIGINT');
  t.equal(await first.exited, 0);
});

t.test('redirects: / and <prefix>/ go to <prefix>/static/index.html; nothing to redirect to is a 404', async (t) => {
  const ta = await startTestApp({ general: `prefix = asterisk\nstatic = ${STATIC}` });
  t.teardown(() => ta.close());
  for (const path of ['/', '/asterisk', '/asterisk/', '/ASTERISK/']) {
    const r = await fetch(`${ta.base}${path}`, { redirect: 'manual' });
    t.equal(r.status, 302, `${path}: 302`);
    t.equal(r.headers.get('location'), '/asterisk/static/index.html', `${path}: to the page`);
  }
  const head = await fetch(`${ta.base}/`, { method: 'HEAD', redirect: 'manual' });
  t.equal(head.status, 302, 'HEAD too');
  const other = await fetch(`${ta.base}/asterisk/nothing`, { redirect: 'manual' });
  t.equal(other.status, 404, 'other paths stay 404');

  const bare = await startTestApp();
  t.teardown(() => bare.close());
  const none = await fetch(`${bare.base}/`, { redirect: 'manual' });
  t.equal(none.status, 404, 'no static folder: no page to send anyone to');
});
