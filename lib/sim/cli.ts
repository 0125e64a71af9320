// `npm run sim -- [--port N] [--host 127.0.0.1] [--config FILE] [--cps N] [--concurrency N] [--queue-cps N] [--follows]`
// Runs the AMI simulator standalone (a fake Asterisk to point the proxy or any AMI client at);
// prints where it listens and who may log in; Ctrl-C stops it.
//
// Logins are the proxy's own, so the two always agree: the `[asterisk]` account of the proxy's
// config (what the proxy logs in as with `simulate = no`) and every user of its users file
// (conf/users.conf as shipped), with their read/write classes.
//
// Port: 5038 (Asterisk's) by default, or a free one, said so, when 5038 is taken (usually by a
// real Asterisk); an explicit --port that is taken is an error naming the fix.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { AmiSimulator, type SimUser } from './index.ts';
import { loadConfig } from '../config/config.ts';
import { loadUsers } from '../auth/users.ts';
import { classWords } from '../auth/classes.ts';
import { hostPort } from '../http/listen-error.ts';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../conf/ajam-proxy.conf', import.meta.url));
const ASTERISK_PORT = 5038;

function fail(message: string, code: number): never {
  process.stderr.write(`sim: ${message}\n`);
  process.exit(code);
}

let values: ReturnType<typeof parse>;
try {
  values = parse();
} catch (err) {
  fail(`${(err as Error).message} (try --help)`, 2);
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string', default: DEFAULT_CONFIG },
      cps: { type: 'string' },
      'queue-cps': { type: 'string' },
      concurrency: { type: 'string', default: '50' },
      'call-ms': { type: 'string' },
      follows: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a number, got ${JSON.stringify(v)}`, 2);
  return n;
}

/** The proxy's AMI account first, then the users file's users that have a plain secret. */
function simUsers(configFile: string): { users: SimUser[]; source: string; skipped: string[] } {
  try {
    const config = loadConfig(configFile, { simulate: true });
    const a = config.asterisk;
    const users: SimUser[] = [{ username: a.username, secret: a.secret, read: 'all', write: 'all' }];
    const skipped: string[] = [];
    for (const u of loadUsers(config.general.users).values()) {
      if (u.name.toLowerCase() === a.username.toLowerCase()) continue;
      // A hashed secret cannot be checked by an AMI Login (nor by MD5): such a user is left out.
      if (u.secret === undefined) skipped.push(u.name);
      else users.push({ username: u.name, secret: u.secret, read: classWords(u.read), write: classWords(u.write) });
    }
    return { users, source: relative(process.cwd(), config.general.users) || config.general.users, skipped };
  } catch (err) {
    fail((err as Error).message.replace(/\s*\n\s*/g, ' '), 1);
  }
}

const { users, source, skipped } = simUsers(values.config);

function loginLines(): string {
  const lines = users.map(
    (u, i) => `  ${u.username} / ${u.secret}   (read ${u.read}; write ${u.write})${i === 0 ? `   the proxy's [asterisk] account` : ''}`,
  );
  if (skipped.length > 0) lines.push(`  (left out, hashed secret: ${skipped.join(', ')})`);
  return `logins (${relative(process.cwd(), values.config) || values.config} [asterisk] and ${source}):\n${lines.join('\n')}\n`;
}

if (values.help) {
  process.stdout.write(
    'usage: npm run sim -- [--port N] [--host 127.0.0.1] [--config FILE] [--cps N] [--concurrency 50] [--call-ms 2000] [--queue-cps N] [--follows]\n' +
      `  --port N      AMI port (default ${ASTERISK_PORT}, or a free port when ${ASTERISK_PORT} is taken; 0 = any free port)\n` +
      '  --config FILE the proxy config whose [asterisk] account and users file give the logins\n' +
      '                (default: the shipped conf/ajam-proxy.conf)\n' +
      '  --cps N       generate N calls per second (--concurrency at once, --call-ms long)\n' +
      '  --queue-cps N generate N queue callers per second (agents log in to two queues)\n' +
      '  --follows     answer Command in the pre-Asterisk-14 Response: Follows form\n' +
      loginLines(),
  );
  process.exit(0);
}

const host = values.host;
const explicitPort = num('port', values.port);
let port = explicitPort ?? ASTERISK_PORT;

function makeSim(listenPort: number): AmiSimulator {
  return new AmiSimulator({
    host,
    port: listenPort,
    users,
    followsCommand: values.follows,
    callDurationMs: num('call-ms', values['call-ms']),
    // Nobody can read `received` from outside the process: recording would only grow the heap by
    // every action of a load run (and slow every GC with it).
    record: false,
  });
}

let sim = makeSim(port);
let bound: number;
try {
  try {
    bound = await sim.listen();
  } catch (err) {
    // 5038 is a real Asterisk's port: when it is taken, run anyway on a free one and say so. The
    // bind itself is the test (no probe first): a probe leaves a gap in which 5038 can be taken.
    if (explicitPort !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    process.stdout.write(`port ${ASTERISK_PORT} is taken (a real Asterisk?): using a free port instead\n`);
    port = 0;
    sim = makeSim(port);
    bound = await sim.listen();
  }
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'EADDRINUSE') {
    fail(`cannot listen on ${hostPort(host, port)}: address in use; choose another with --port N, or --port 0 for any free port`, 1);
  }
  fail(`cannot listen on ${hostPort(host, port)}: ${code || (err as Error).message}`, 1);
}
// One write: a reader that stops at the "listening" line must find the rest with it.
process.stdout.write(
  `AMI simulator listening on ${hostPort(host, bound)}\n` + loginLines() + `point the proxy at it: [asterisk] simulate = no, host = ${host}, port = ${bound}\n`,
);
const cps = num('cps', values.cps);
if (cps !== undefined && cps > 0) {
  sim.startCalls({ cps, concurrency: num('concurrency', values.concurrency) ?? 50 });
  process.stdout.write(`generating ${cps} call(s)/s\n`);
}
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
