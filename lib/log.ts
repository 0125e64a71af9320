// A tiny leveled logger: one line per record on stderr, `time level msg key=value…`.
// Why not pino: the proxy logs only lifecycle lines (listen, pool up/down, warnings), never per
// request, so a dependency tree buys nothing here. Level from AJAM_LOG (error|warn|info|debug|silent).

const LEVELS = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 } as const;
export type LogLevel = keyof typeof LEVELS;

let threshold: number = LEVELS[parseLevel(process.env.AJAM_LOG) ?? 'info'];

function parseLevel(v: string | undefined): LogLevel | undefined {
  return v !== undefined && v in LEVELS ? (v as LogLevel) : undefined;
}

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return String(v);
}

function write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] > threshold) return;
  let line = `${new Date().toISOString()} ${level.toUpperCase()} ${msg}`;
  if (fields !== undefined) for (const k in fields) line += ` ${k}=${fmtValue(fields[k])}`;
  process.stderr.write(line + '\n');
}

export const log = {
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
};
