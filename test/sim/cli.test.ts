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

t.test('default port: 5038, or a free one (said so) when 5038 is taken', async (t) => {
  // Hold 5038 ourselves unless something (a real Asterisk, another test) already does.
  const holder = createServer();
  const held = await new Promise<boolean>((resolve) => {
    holder.once('error', () => resolve(false));
    holder.listen({ port: 5038, host: '127.0.0.1', exclusive: true }, () => resolve(true));
  });
  t.teardown(() => {
    if (held) holder.close();
  });
  const r = await runSim([], /listening on [^\s]+:\d+\n/);
  t.teardown(() => {
    if (r.child.exitCode === null) r.child.kill('SIGKILL');
  });
  t.match(r.out, 'port 5038 is taken (a real Asterisk?): using a free port instead');
  const port = Number(/listening on [^\s]+:(\d+)\n/.exec(r.out)![1]);
  t.not(port, 5038);
  t.match(r.out, `port = ${port}`, 'says how to point the proxy at it');
  r.child.kill('SIGINT');

  // An explicit port that is taken: one line, no stack trace, exit 1.
  const busy = await runSim(['--port', '5038']);
  t.equal(busy.code, 1);
  t.equal(busy.err, 'sim: cannot listen on 127.0.0.1:5038: address in use; choose another with --port N, or --port 0 for any free port\n');
});
