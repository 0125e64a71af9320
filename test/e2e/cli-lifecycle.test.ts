// The command line's lifecycle signals, for real (bin/ajam-proxy.js in a child process):
// - SIGTERM while a WaitEvent is parked: the long-poll gets its normal reply, new requests are
//   turned away, the proxy logs off from Asterisk and exits 0;
// - SIGHUP re-reads the users file: a removed user's session ends, a changed secret ends that
//   user's sessions, an unchanged user's session lives on, a new user can log in; a broken file is
//   reported with file:line and the old users stay;
// - on a terminal (a pseudo-terminal from `script`) the log is readable text.
import t from 'tap';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AjamClient } from '../helpers/app.ts';
import { systemPackageOrFail } from '../helpers/system.ts';
import { freePort } from '../helpers/free-port.ts';

const BIN = fileURLToPath(new URL('../../bin/ajam-proxy.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ajam-life-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

interface Proxy {
  p: ChildProcessWithoutNullStreams;
  base: string;
  /** Log records so far (JSON lines on stdout). */
  records: Array<Record<string, unknown>>;
  /** Resolves with the first record (from now on or already seen) matching. */
  logged(pred: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

async function startProxy(name: string, users: string): Promise<Proxy> {
  const usersFile = join(dir, `${name}.users.conf`);
  writeFileSync(usersFile, users);
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, `[general]\nusers = ${usersFile}\nhttptimeout = 30\n[asterisk]\nsimulate = yes\n`);
  const port = await freePort();
  const p = spawn(process.execPath, [BIN, '--config', conf, '--listen', `127.0.0.1:${port}`, '--log-level', 'info'], {
    env: { ...process.env, AJAM_LOG: '' },
  });
  const records: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }> = [];
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === '') continue;
      const r = JSON.parse(line) as Record<string, unknown>;
      records.push(r);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(r)) {
          waiters[i]!.resolve(r);
          waiters.splice(i, 1);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  const logged = (pred: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const seen = records.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ pred, resolve }));
  };
  await Promise.race([
    logged((r) => r.msg === 'action table read from ListCommands'),
    exited.then((code) => {
      throw new Error(`exited early (${code}): ${JSON.stringify(records)}`);
    }),
  ]);
  return { p, base: `http://127.0.0.1:${port}`, records, logged, exited };
}

const ADMIN = '[admin]\nsecret = a\nread = all\nwrite = all\n';

t.test('SIGTERM during a long-poll: the WaitEvent returns normally, then exit 0', async (t) => {
  const proxy = await startProxy('term', ADMIN);
  const c = new AjamClient(proxy.base);
  t.match((await c.login('admin', 'a')).body, /Authentication accepted/);
  // Park a WaitEvent, and see it parked on /metrics before the signal.
  const parked = c.get('/rawman?action=WaitEvent&Timeout=25&ActionID=lp');
  for (let i = 0; i < 500; i++) {
    const m = await (await fetch(`${proxy.base}/metrics`)).text();
    if (/^ajam_event_clients\{kind="waitevent"\} 1$/m.test(m)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  proxy.p.kill('SIGTERM');
  const r = await parked;
  t.equal(r.status, 200);
  t.match(r.body, /^Response: Success\r\nActionID: lp\r\nMessage: Waiting for Event completed\.\r\n/, 'its normal reply');
  t.match(r.body, /Event: WaitEventComplete\r\nActionID: lp\r\n\r\n$/);
  t.equal(await proxy.exited, 0, 'exit 0');
  const msgs = proxy.records.map((x) => x.msg);
  t.ok(msgs.includes('shutting down'));
  t.ok(msgs.includes('AMI logged off'), 'logged off from Asterisk');
  t.ok(msgs.indexOf('AMI logged off') < msgs.indexOf('stopped'));
  t.notOk(proxy.records.some((x) => (x.level as number) >= 50), 'no error logged');
  await t.rejects(fetch(`${proxy.base}/healthz`), 'nothing listens any more');
});

t.test('SIGHUP re-reads the users file', async (t) => {
  const users = (extra: string): string =>
    `[admin]\nsecret = a\nread = all\nwrite = all\n\n[bob]\nsecret = b\nread = call\nwrite = reporting\n\n${extra}`;
  const proxy = await startProxy('hup', users('[carol]\nsecret = c\nread = call\nwrite = reporting\n'));
  t.teardown(() => {
    proxy.p.kill('SIGTERM');
    return proxy.exited;
  });
  const usersFile = join(dir, 'hup.users.conf');
  const admin = new AjamClient(proxy.base);
  const bob = new AjamClient(proxy.base);
  const carol = new AjamClient(proxy.base);
  t.match((await admin.login('admin', 'a')).body, /Authentication accepted/);
  t.match((await bob.login('bob', 'b')).body, /Authentication accepted/);
  t.match((await carol.login('carol', 'c')).body, /Authentication accepted/);
  t.match((await new AjamClient(proxy.base).login('dave', 'd')).body, /Authentication failed/, 'dave unknown yet');

  // carol removed, bob's secret changed, dave added, admin unchanged.
  writeFileSync(usersFile, '[admin]\nsecret = a\nread = all\nwrite = all\n\n[bob]\nsecret = b2\nread = call\nwrite = reporting\n\n[dave]\nsecret = d\nread = call\nwrite = reporting\n');
  proxy.p.kill('SIGHUP');
  const reloaded = await proxy.logged((r) => r.msg === 'users reloaded');
  t.equal(reloaded.users, 3);
  t.equal(reloaded.sessionsEnded, 2, "bob's and carol's sessions");

  t.match((await admin.get('/rawman?action=Ping')).body, /Pong/, "admin's session lives on");
  t.match((await bob.get('/rawman?action=Ping')).body, /Permission denied/, "bob's session ended (secret changed)");
  t.match((await carol.get('/rawman?action=Ping')).body, /Permission denied/, "carol's session ended (removed)");
  t.match((await new AjamClient(proxy.base).login('carol', 'c')).body, /Authentication failed/, 'carol is gone');
  t.match((await new AjamClient(proxy.base).login('bob', 'b')).body, /Authentication failed/, "bob's old secret is refused");
  t.match((await new AjamClient(proxy.base).login('bob', 'b2')).body, /Authentication accepted/, 'his new one works');
  t.match((await new AjamClient(proxy.base).login('dave', 'd')).body, /Authentication accepted/, 'dave is new');

  // A broken file: reported with file:line, the old users stay.
  writeFileSync(usersFile, '[admin]\nsecret = a\nread = all\nwrite = teleport\n');
  proxy.p.kill('SIGHUP');
  const failed = await proxy.logged((r) => r.msg === 'users reload failed; keeping the old users');
  const err = failed.err as { message: string; code: string };
  t.match(err.message, `${usersFile}:4: write: unknown class 'teleport'`);
  t.equal(err.code, 'CONF_ERR_UNKNOWN_CLASS');
  t.match((await new AjamClient(proxy.base).login('dave', 'd')).body, /Authentication accepted/, 'old users kept');
  t.match((await admin.get('/rawman?action=Ping')).body, /Pong/);
  const m = await (await fetch(`${proxy.base}/metrics`)).text();
  t.match(m, /^ajam_users_reloads_total\{result="ok"\} 1$/m);
  t.match(m, /^ajam_users_reloads_total\{result="error"\} 1$/m);
  t.match(m, /^ajam_sessions_ended_total\{reason="reload"\} 2$/m);
  t.notMatch(JSON.stringify(proxy.records), /"b2"|secret = /, 'no secret in the logs');
});

t.test('on a terminal the log is readable text, not JSON', async (t) => {
  // `script` gives the child a pseudo-terminal (util-linux, Debian's bsdutils).
  const script = systemPackageOrFail(t, 'script', 'bsdutils');
  if (script === undefined) return;
  const conf = join(dir, 'tty.conf');
  writeFileSync(join(dir, 'tty.users.conf'), ADMIN);
  writeFileSync(conf, `[general]\nusers = tty.users.conf\n[asterisk]\nsimulate = yes\n`);
  const port = await freePort();
  const command = `${process.execPath} ${BIN} --config ${conf} --listen 127.0.0.1:${port} --log-level info`;
  const p = spawn(script, ['-qfec', command, '/dev/null'], { env: { ...process.env, AJAM_LOG: '' } });
  let out = '';
  const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('action table read from ListCommands') && out.includes('Stop with Ctrl-C.')) resolve();
    });
    void exited.then(() => reject(new Error(`exited early: ${out}`)));
  });
  t.match(out, /^\d\d:\d\d:\d\d\.\d{3} INFO http listening host=127\.0\.0\.1 port=\d+ /m, 'time, level, message, fields');
  t.notMatch(out, /"level":/, 'no JSON on a terminal');
  t.match(out, `is up, listening on 127.0.0.1:${port}`, 'the text banner on a terminal');
  t.notMatch(out, 'ajam-proxy is up', 'not as a log line');
  p.kill('SIGTERM');
  await exited;
});
