// Writes one benchmark's section of bench/RESULTS.md (other sections are kept) and its JSON file.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `Node ${process.version}, ${os.cpus().length} × ${cpu}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces (or appends) the `## <title>` section of bench/RESULTS.md. */
export function writeSection(title: string, body: string): void {
  const file = join(benchDir, 'RESULTS.md');
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

export function writeJson(name: string, data: unknown): void {
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(data, null, 2) + '\n');
}
