// Where the recorded fixtures live inside the repository (test/fixtures/), so tests and benchmarks
// run in a fresh clone. The corpus is stored gzip-compressed and unpacked in memory on first use.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** Real Asterisk 22.10.1 captures: TCP AMI transcripts and AJAM HTTP responses (INDEX.md). */
export const CAPTURES = FIXTURES + 'asterisk-22/';
/** Exact response bytes for the AJAM spec (`.bin`) with visible renderings (`.txt`). */
export const EXAMPLES = FIXTURES + 'spec-examples/';
/** Recorded AMI byte streams (`*.ami.gz`). */
export const CORPUS = FIXTURES + 'corpus/';

/** Names of the recorded streams, without `.gz`: `asterisk22-calls.ami`, `asterisk22-sample.ami`. */
export function corpusNames(): string[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.ami.gz'))
    .map((f) => f.slice(0, -3))
    .sort();
}

const unpacked = new Map<string, Buffer>();

/** The bytes of one recorded stream (`asterisk22-sample.ami`), unpacked once per process. */
export function readCorpus(name: string): Buffer {
  let buf = unpacked.get(name);
  if (buf === undefined) {
    buf = gunzipSync(readFileSync(CORPUS + name + '.gz'));
    unpacked.set(name, buf);
  }
  return buf;
}
