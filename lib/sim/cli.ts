// `npm run sim -- --port 5038 [--host 127.0.0.1] [--cps N] [--concurrency N] [--queue-cps N] [--follows]`
// Runs the AMI simulator standalone; prints the port; Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { AmiSimulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '5038' },
    host: { type: 'string', default: '127.0.0.1' },
    cps: { type: 'string' },
    'queue-cps': { type: 'string' },
    concurrency: { type: 'string', default: '50' },
    'call-ms': { type: 'string' },
    follows: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(
    'usage: npm run sim -- [--port 5038] [--host 127.0.0.1] [--cps N] [--concurrency 50] [--call-ms 2000] [--queue-cps N] [--follows]\n' +
      'users: admin/admin (all), wallboard/wallpw (read call,agent,reporting; write reporting)\n',
  );
  process.exit(0);
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`sim: --${name} must be a number, got ${JSON.stringify(v)}\n`);
    process.exit(2);
  }
  return n;
}

const sim = new AmiSimulator({
  host: values.host,
  port: num('port', values.port),
  followsCommand: values.follows,
  callDurationMs: num('call-ms', values['call-ms']),
  // Nobody can read `received` from outside the process: recording would only grow the heap by
  // every action of a load run (and slow every GC with it).
  record: false,
});
const port = await sim.listen();
process.stdout.write(`AMI simulator listening on ${values.host}:${port}\n`);
const cps = num('cps', values.cps);
if (cps !== undefined && cps > 0) {
  sim.startCalls({ cps, concurrency: num('concurrency', values.concurrency) ?? 50 });
  process.stdout.write(`generating ${cps} call(s)/s\n`);
}
// Queue callers for a wallboard (agents log in to `support` and `sales` first).
const queueCps = num('queue-cps', values['queue-cps']);
if (queueCps !== undefined && queueCps > 0) {
  sim.startQueueCalls({ cps: queueCps });
  process.stdout.write(`generating ${queueCps} queue caller(s)/s\n`);
}

let stopping = false;
function stop(): void {
  if (stopping) process.exit(1);
  stopping = true;
  void sim.close().then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// The simulator's sockets and timers are unref'd where they can be; keep the process alive.
setInterval(() => {}, 1 << 30);
