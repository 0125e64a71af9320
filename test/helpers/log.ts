// Captures what the process logger writes while `fn` runs, as parsed JSON records (pino's lines).
import { configureLog, logLevel, type LogLevel } from '../../lib/log.ts';

export type LogRecord = Record<string, unknown> & { msg: string; level: number };

export async function captureLogs(level: LogLevel, fn: () => unknown): Promise<LogRecord[]> {
  const lines: string[] = [];
  const previous = logLevel() as LogLevel;
  configureLog({ cliLevel: level, pretty: false, stream: { write: (line: string) => lines.push(line) } });
  try {
    await fn();
  } finally {
    configureLog({ cliLevel: previous });
  }
  return lines.map((l) => JSON.parse(l) as LogRecord);
}
