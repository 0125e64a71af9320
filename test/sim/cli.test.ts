// `npm run sim` (lib/sim/cli.ts): starts, prints its port, answers AMI, stops on SIGINT.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../helpers/sim-client.ts';

const CLI = fileURLToPath(new URL('../../lib/sim/cli.ts', import.meta.url));

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
