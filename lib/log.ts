// The process logger: pino, one JSON object per line on standard output (pino's default, what log
// shippers and `journalctl -o cat | jq` expect), readable text instead when standard output is a
// terminal (a tiny formatter below, so pino-pretty is never a runtime dependency). Nothing else is
// written to stdout while the proxy runs unless it is a terminal (the start banner, lib/cli.ts),
// so a JSON-lines consumer never sees a line that is not JSON. Callers keep the short
// `log.info(msg, fields)` form; an `err` field goes through pino's standard error serializer
// (type, message, stack, code, cause). The proxy logs lifecycle lines only, never per request at
// info, and never a secret: keys named secret/key/cookie/password/authorization are censored.
//
// Level: --log-level, else AJAM_LOG, else `[general] loglevel`, else info (see configureLog).
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(v: string | undefined): v is LogLevel {
  return v !== undefined && (LOG_LEVELS as readonly string[]).includes(v);
}

export type LogFields = Record<string, unknown>;

/** Field names never written as they are, at any depth pino's redaction reaches. */
const SECRET_KEYS = ['secret', 'key', 'cookie', 'password', 'authorization'];
const REDACT = SECRET_KEYS.flatMap((k) => [k, `*.${k}`]);

export interface LogOptions {
  level?: LogLevel;
  /** true: readable lines; false: JSON; undefined: readable only when the stream is a terminal. */
  pretty?: boolean;
  /** Where lines go (default: standard output, written synchronously so nothing is lost at exit). */
  stream?: { write(line: string): unknown };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns pino's JSON lines into `HH:MM:SS.mmm LEVEL msg key=value …` (+ the error's stack). */
export class PrettyStream {
  private readonly out: { write(line: string): unknown };

  constructor(out: { write(line: string): unknown }) {
    this.out = out;
  }

  write(line: string): void {
    this.out.write(prettyLine(line));
  }
}

export function prettyLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, pid: _pid, hostname: _h, err, ...rest } = rec;
  const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  let text = `${when} ${LEVEL_NAMES[level as number] ?? String(level)} ${String(msg ?? '')}`;
  for (const k in rest) text += ` ${k}=${fmtValue(rest[k])}`;
  if (err !== undefined && err !== null && typeof err === 'object') {
    const e = err as { message?: unknown; code?: unknown; stack?: unknown };
    text += ` err=${fmtValue(e.message)}`;
    if (e.code !== undefined) text += ` code=${fmtValue(e.code)}`;
    if (typeof e.stack === 'string') text += '\n    ' + e.stack.split('\n').slice(1).join('\n    ').trim();
  }
  return text + '\n';
}

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function create(opts: LogOptions): Logger {
  const target = opts.stream ?? pino.destination({ fd: 1, sync: true });
  const pretty = opts.pretty ?? (opts.stream === undefined && process.stdout.isTTY === true);
  return pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      serializers: { err: pino.stdSerializers.errWithCause },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    pretty ? new PrettyStream(target) : target,
  );
}

const envLevel = process.env.AJAM_LOG;
let root: Logger = create({ level: isLogLevel(envLevel) ? envLevel : 'info' });

/**
 * Replaces the logger. The level is the first of: `cliLevel` (--log-level), AJAM_LOG, `confLevel`
 * (`[general] loglevel`), info.
 */
export function configureLog(opts: LogOptions & { cliLevel?: LogLevel | undefined; confLevel?: LogLevel | undefined } = {}): void {
  const env = process.env.AJAM_LOG;
  const level = opts.cliLevel ?? (isLogLevel(env) ? env : undefined) ?? opts.confLevel ?? opts.level ?? 'info';
  root = create({ ...opts, level });
}

export function setLogLevel(level: LogLevel): void {
  root.level = level;
}

export function logLevel(): string {
  return root.level;
}

export const log = {
  error: (msg: string, fields?: LogFields): void => root.error(fields ?? {}, msg),
  warn: (msg: string, fields?: LogFields): void => root.warn(fields ?? {}, msg),
  info: (msg: string, fields?: LogFields): void => root.info(fields ?? {}, msg),
  debug: (msg: string, fields?: LogFields): void => root.debug(fields ?? {}, msg),
};
