// `npm run sim` (lib/sim/cli.ts): starts, prints its port and logins (the shipped ones), answers
// AMI, stops on SIGINT; 5038 taken means a free port, said so.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { TestClient } from '../helpers/sim-client.ts';
import { loadConfig } from '../../lib/config/config.ts';
import { loadUsers } from '../../lib/auth/users.ts';

const CLI = fileURLToPath(new URL('../../lib/sim/cli.ts', import.meta.url));
const SHIPPED = fileURLToPath(new URL('../../conf/ajam-proxy.conf', import.meta.url));

t.test('standalone simulator', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--cps', '20', '--call-ms', '200'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s]+:(\d+)\n/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  t.ok(port > 0, `port ${port} printed`);
  const c = await TestClient.login(port, 'admin', 'admin');
  const [p] = await c.action([['Action', 'Ping']]);
  t.equal(p?.get('Ping'), 'Pong');
  await c.next((m) => m.event === 'Newchannel', 'generated calls');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C stops it cleanly');
  await c.whenClosed();
});

/** Runs the simulator CLI with `args`; resolves at `until` in stdout, or when it exits. */
function runSim(args: string[], until?: RegExp): Promise<{ child: ReturnType<typeof spawn>; out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (until !== undefined && until.test(out)) resolve({ child, out, err, code: null });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ child, out, err, code }));
  });
}

t.test('--help lists the logins of the shipped users file and the proxy account', async (t) => {
  const r = await runSim(['--help']);
  t.equal(r.code, 0);
  const shipped = loadConfig(SHIPPED);
  t.match(r.out, `${shipped.asterisk.username} / ${shipped.asterisk.secret}`, "the proxy's [asterisk] account");
  for (const u of loadUsers(shipped.general.users).values()) t.match(r.out, `${u.name} / ${u.secret}`, `user ${u.name} of conf/users.conf`);
  t.notMatch(r.out, 'wallpw', 'no login that the shipped files do not have');
});

t.test('the shipped users log in to the simulator', async (t) => {
  const r = await runSim(['--port', '0'], /listening on [^\s]+:\d+\n/);
  t.teardown(() => {
    if (r.child.exitCode === null) r.child.kill('SIGKILL');
  });
  const port = Number(/listening on [^\s]+:(\d+)\n/.exec(r.out)![1]);
  const c = await TestClient.login(port, 'wallboard', 'wallboard');
  const [p] = await c.action([['Action', 'Ping']]);
  t.equal(p?.get('Ping'), 'Pong');
  await c.close();
  r.child.kill('SIGINT');
});

/** Listens on 127.0.0.1:`port` (0: any free one) with nothing else allowed on it; undefined if taken. */
async function hold(port: number): Promise<ReturnType<typeof createServer> | undefined> {
  const s = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(true));
  });
  return ok ? s : undefined;
}

/** SIGINT, then the exit: whatever port the child held is free again when this resolves. */
async function stop(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
}

t.test('default port: 5038, or a free one (said so) when 5038 is taken', async (t) => {
  // Hold 5038 ourselves unless something (a real Asterisk, another copy of this test) already does.
  const holder = await hold(5038);
  t.teardown(() => holder?.close());
  // Resolves at the listening line or at the exit (it always does one of them: nothing to hang on).
  const r = await runSim([], /listening on [^\s]+:\d+\n/);
  t.teardown(() => stop(r.child));
  const m = /listening on [^\s]+:(\d+)\n/.exec(r.out);
  t.ok(m, `it listens (${r.out}${r.err})`);
  const port = Number(m?.[1]);
  const saidTaken = r.out.includes('port 5038 is taken (a real Asterisk?): using a free port instead');
  if (holder !== undefined) t.ok(saidTaken, 'we hold 5038: it says so');
  // Whoever held 5038 when we could not may have let it go since: then 5038 is the right answer.
  if (saidTaken) t.not(port, 5038, 'a free port instead');
  else t.equal(port, 5038, '5038 when it is free');
  t.match(r.out, `port = ${port}`, 'says how to point the proxy at it');
  await stop(r.child);
});

t.test('an explicit --port that is taken: one line, no stack trace, exit 1', async (t) => {
  const holder = await hold(0);
  t.ok(holder, 'a port of our own');
  if (holder === undefined) return;
  t.teardown(() => holder.close());
  const taken = (holder.address() as { port: number }).port;
  // The listening line too: if it wrongly listens, the case ends instead of waiting forever.
  const busy = await runSim(['--port', String(taken)], /listening on [^\s]+:\d+\n/);
  t.teardown(() => stop(busy.child));
  t.equal(busy.code, 1);
  t.equal(busy.out, '');
  t.equal(busy.err, `sim: cannot listen on 127.0.0.1:${taken}: address in use; choose another with --port N, or --port 0 for any free port\n`);
});
