// ajam-proxy [--config FILE] [--listen HOST:PORT] [--simulate] [--log-level LEVEL]
// ajam-proxy token                 (prints a fresh bearer token and its users-file line)
//
// Once up it prints a banner on stdout when that is a terminal: the page to open, the endpoints,
// and the demo logins when simulating. Otherwise (systemd, a pipe) stdout carries only the JSON log
// lines (lib/log.ts), so the banner is one of them, `ajam-proxy is up`, with the same facts and no
// secret. A taken port is one line on stderr naming the reason and the exact command with a free
// port.
// A config or argument error prints one line (`ajam-proxy: file:line: what`) and exits 1 (2 for
// bad arguments). SIGINT / SIGTERM shut down gracefully (app.shutdown: stop accepting, answer
// parked long-polls, let running actions finish within shutdowntimeout, Logoff from Asterisk),
// then exit 0; a second signal, or a shutdown that hangs past its bound, exits 1 at once.
// SIGHUP re-reads the users file (app.reloadUsers).
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { AjamError } from './errors.ts';
import { loadConfig, defaultServerName } from './config/config.ts';
import { startApp } from './app.ts';
import type { RunningApp } from './app.ts';
import { DEFAULTS } from './config/defaults.ts';
import { newToken } from './auth/tokens.ts';
import { startBanner, startRecord } from './banner.ts';
import { ListenError, findFreePort, hostPort } from './http/listen-error.ts';

import { configureLog, isLogLevel, log, LOG_LEVELS } from './log.ts';

const USAGE = `Usage: ajam-proxy [--config FILE] [--listen HOST:PORT] [--simulate] [--log-level LEVEL]
       ajam-proxy token

  token                    print a fresh bearer token (line 1) and the line that accepts it,
                           \`token = sha256:<hex>\`, for a user's section of the users file (line 2)

  -c, --config FILE        configuration file (default: the shipped conf/ajam-proxy.conf)
  -l, --listen HOST:PORT   address to listen on (overrides bindaddr/bindport; PORT alone keeps bindaddr)
  -s, --simulate           run the built-in AMI simulator instead of connecting to Asterisk
      --log-level LEVEL    ${LOG_LEVELS.join(', ')} (overrides AJAM_LOG and [general] loglevel)
  -h, --help               this text
  -v, --version            print the version
`;

const DEFAULT_CONFIG = fileURLToPath(new URL('../conf/ajam-proxy.conf', import.meta.url));

/** One line for the operator: no stack, no newlines. */
function oneLine(err: unknown): string {
  const text = err instanceof AjamError || err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}

function fail(message: string, code: number): never {
  process.stderr.write(`ajam-proxy: ${message}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'token') {
    if (argv.length > 1) fail(`token takes no arguments, got '${argv[1]}' (try --help)`, 2);
    printToken();
    return;
  }
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    fail(`${oneLine(err)} (try --help)`, 2);
  }
  if (args.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version === true) {
    process.stdout.write(defaultServerName() + '\n');
    return;
  }

  const cliLevel = args['log-level'];
  if (cliLevel !== undefined && !isLogLevel(cliLevel)) fail(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${cliLevel}'`, 2);

  let app: RunningApp;
  try {
    const config = loadConfig(args.config ?? DEFAULT_CONFIG, { listen: args.listen, simulate: args.simulate });
    configureLog({ cliLevel, confLevel: config.general.loglevel });
    app = await startApp(config);
  } catch (err) {
    if (err instanceof ListenError && err.addressInUse) fail(`${err.message}; ${await otherPortHint(err, argv)}`, 1);
    fail(oneLine(err), 1);
  }
  const bannerArgs = [app.config, app.users, app.port || app.tlsPort, defaultServerName(), app.port === 0] as const;
  if (process.stdout.isTTY === true) process.stdout.write(startBanner(...bannerArgs));
  else log.info('ajam-proxy is up', startRecord(...bannerArgs));
  const closeTimeoutMs = app.config.general.shutdowntimeout * 1000 + DEFAULTS.shutdownTimeoutMs;

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => {
      log.error('shutdown timed out', { ms: closeTimeoutMs });
      process.exit(1);
    }, closeTimeoutMs);
    force.unref();
    app.shutdown().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => {
    if (!stopping) app.reloadUsers();
  });
}

/**
 * stdout: the token, then its users-file line (easy to script); stderr: what to do with them. The
 * token is shown only here: the users file keeps its SHA-256.
 */
function printToken(): void {
  const { token, line } = newToken();
  process.stdout.write(`${token}\n${line}\n`);
  process.stderr.write(
    'ajam-proxy: line 1 is the token (send it as "Authorization: Bearer <token>"; it is not stored anywhere, keep it secret);\n' +
      "ajam-proxy: add line 2 to the user's section of the users file, then restart the proxy.\n",
  );
}

/** `start on a free port with: npm start -- --listen 127.0.0.1:8089` (the exact command). */
async function otherPortHint(err: ListenError, argv: string[]): Promise<string> {
  const free = await findFreePort(err.host, err.port + 1);
  const listen = `--listen ${hostPort(err.host, free ?? err.port + 1)}`;
  let command: string;
  if (process.env.npm_lifecycle_event === 'start') command = `npm start -- ${listen}`;
  else {
    // The same command line with --listen replaced.
    const kept: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--listen' || a === '-l') i++;
      else if (!a.startsWith('--listen=') && !a.startsWith('-l=')) kept.push(a);
    }
    command = ['ajam-proxy', ...kept, listen].join(' ');
  }
  return `start on ${free === undefined ? 'another' : 'a free'} port with: ${command}`;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string', short: 'l' },
      simulate: { type: 'boolean', short: 's' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  return values;
}

await main(process.argv.slice(2));
