// Writes one benchmark's section of a RESULTS.md (other sections are kept) and its JSON file.
// By default into bench/out/ (git-ignored), so running a benchmark never dirties the tree; with
// --save into the tracked bench/RESULTS.md and bench/results/ (the numbers the README quotes).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where results go: bench/ with --save, else bench/out/ (untracked). */
export function resultsDir(save: boolean): string {
  return save ? benchDir : join(benchDir, 'out');
}

export interface BenchArgs {
  /** Seconds per measured cell (`--seconds N`, decimals allowed). */
  seconds: number;
  /** `--save`: write into the tracked bench/RESULTS.md and bench/results/. */
  save: boolean;
  /** Where this run's RESULTS.md and results/*.json go. */
  dir: string;
}

/**
 * The options every benchmark takes: `--seconds N`, `--save`, `--help`. Prints `usage` and exits
 * for --help; a bad option or value is one line and exit 2.
 */
export function benchArgs(argv: string[], defaultSeconds: number, usage: string): BenchArgs {
  let values: { seconds?: string; save?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { seconds: { type: 'string' }, save: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help === true) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const seconds = values.seconds === undefined ? defaultSeconds : Number(values.seconds);
  if (!(seconds > 0 && seconds <= 3600)) {
    process.stderr.write(`--seconds: expected a number of seconds above 0, got ${JSON.stringify(values.seconds)}\n`);
    process.exit(2);
  }
  const save = values.save === true;
  return { seconds, save, dir: resultsDir(save) };
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `Node ${process.version}, ${os.cpus().length} × ${cpu}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces (or appends) the `## <title>` section of `<dir>/RESULTS.md` (dir: bench/ by default). */
export function writeSection(title: string, body: string, dir = benchDir): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'RESULTS.md');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmark results\n\nWritten by the benchmarks themselves (`npm run bench:parser`, `npm run bench:ajam`).\n';
  }
  const header = `## ${title}`;
  const section = `${header}\n\n${body.trim()}\n`;
  const start = text.indexOf(`${header}\n`);
  if (start === -1) text = `${text.trimEnd()}\n\n${section}`;
  else {
    const next = text.indexOf('\n## ', start + header.length);
    // Keep one blank line before the following section.
    text = text.slice(0, start) + section + (next === -1 ? '' : '\n' + text.slice(next + 1));
  }
  writeFileSync(file, text);
}

/** Writes `<dir>/results/<name>.json` (dir: bench/ by default); returns the file. */
export function writeJson(name: string, data: unknown, dir = benchDir): string {
  const results = join(dir, 'results');
  mkdirSync(results, { recursive: true });
  const file = join(results, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}
