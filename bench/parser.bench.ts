// AMI stream parser benchmark (`npm run bench:parser [-- --seconds N] [--save]`): this parser
// against the parsers of the popular npm clients, in one run, on the same bytes and chunks. Writes
// the "Parser" section of RESULTS.md and results/parser.json in bench/out/ (bench/ with --save).
//
// Rows: ajam-proxy (framing + every header indexed, repeated headers kept), ajam-proxy-decoded
// (the same, then every key and value decoded into an object, as the peers produce),
// framing-only (message boundaries with indexOf and nothing else: the ceiling), and each peer.
import Benchmark from 'benchmark';
import os from 'node:os';
import { AmiParser } from '../lib/ami/parser.ts';
import type { AmiMessage } from '../lib/ami/message.ts';
import { outputResponse } from '../test/helpers/ami.ts';
import { readCorpus } from '../test/helpers/fixtures.ts';
import { PEERS, type ParseAll } from './parser.peers.ts';
import { benchArgs, machineLine, writeJson, writeSection } from './lib/results.ts';

const USAGE = `usage: npm run bench:parser -- [--seconds N] [--save]
  --seconds N   most seconds benchmark.js spends on one row (default 2; at least 3 samples each)
  --save        write bench/RESULTS.md and bench/results/parser.json (tracked) instead of bench/out/
`;
const ARGS = benchArgs(process.argv.slice(2), 2, USAGE);

// Call the functions as they are: benchmark.js would otherwise decompile them into its own loop,
// which breaks closures.
Benchmark.support.decompilation = false;


// --- inputs -------------------------------------------------------------------------------------

interface Input {
  name: string;
  what: string;
  bytes: number;
  chunks: Buffer[];
  messages: number;
}

function chunked(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

const corpus = readCorpus('asterisk22-calls.ami');
const output = outputResponse(20000);
const inputs: Input[] = [
  { name: 'corpus-64k', what: 'asterisk22-calls.ami in 64 KiB chunks', bytes: corpus.length, chunks: chunked(corpus, 65536), messages: 0 },
  { name: 'corpus-1460', what: 'asterisk22-calls.ami in 1,460-byte chunks', bytes: corpus.length, chunks: chunked(corpus, 1460), messages: 0 },
  { name: 'output-20000', what: 'one Command response, 20,000 Output lines, 1,460-byte chunks', bytes: output.length, chunks: chunked(output, 1460), messages: 0 },
];

// --- our rows -----------------------------------------------------------------------------------

// Big enough for the 1.4 MB Command response (the default limit is 1 MiB).
const MAX = 16 << 20;
let seen = 0;
function count(): void {
  seen++;
}
function decode(m: AmiMessage): void {
  if (m.toObject() !== undefined) seen++;
}

function ajamProxy(chunks: readonly Buffer[]): number {
  seen = 0;
  const p = new AmiParser({ onMessage: count, maxMessageSize: MAX });
  for (const c of chunks) p.push(c);
  return seen;
}

function ajamProxyDecoded(chunks: readonly Buffer[]): number {
  seen = 0;
  const p = new AmiParser({ onMessage: decode, maxMessageSize: MAX });
  for (const c of chunks) p.push(c);
  return seen;
}

const SEP = Buffer.from('\r\n\r\n');

/** Counts `\r\n\r\n` message ends, including one split across chunks. CRLF streams only. */
function framingOnly(chunks: readonly Buffer[]): number {
  let n = 0;
  let carry = 0; // bytes of SEP that ended the previous chunk
  for (const c of chunks) {
    let pos = 0;
    if (carry > 0) {
      let k = carry;
      while (k < 4 && pos < c.length && c[pos] === SEP[k]) {
        k++;
        pos++;
      }
      if (k === 4) n++;
      else if (pos === c.length) {
        carry = k;
        continue;
      } else pos = 0;
    }
    let at: number;
    while ((at = c.indexOf(SEP, pos)) !== -1) {
      n++;
      pos = at + 4;
    }
    // How much of "\r\n\r\n" the chunk ends with, past the last message end.
    const e = c.length;
    if (e - pos >= 3 && c[e - 3] === 13 && c[e - 2] === 10 && c[e - 1] === 13) carry = 3;
    else if (e - pos >= 2 && c[e - 2] === 13 && c[e - 1] === 10) carry = 2;
    else carry = e - pos >= 1 && c[e - 1] === 13 ? 1 : 0;
  }
  return n;
}

const rows: [string, ParseAll][] = [
  ['ajam-proxy', ajamProxy],
  ['ajam-proxy-decoded', ajamProxyDecoded],
  ['framing-only', framingOnly],
  ...Object.entries(PEERS),
];
const OURS = ['ajam-proxy', 'ajam-proxy-decoded'];

// --- run ----------------------------------------------------------------------------------------

for (const input of inputs) input.messages = ajamProxy(input.chunks);

const emitted = new Map<string, number>(); // "<input> <row>" -> messages that parser emitted per run
const jobs = new Map<string, () => void>();
for (const input of inputs) {
  for (const [row, fn] of rows) {
    const id = `${input.name} ${row}`;
    jobs.set(id, () => emitted.set(id, fn(input.chunks)));
  }
}

/** One benchmark.js suite over `ids`; returns each row's benchmark. */
function pass(ids: string[]): Map<string, Benchmark> {
  const suite = new Benchmark.Suite('parser');
  // Slow peers (seconds per run on output-20000) stay bounded: few samples, short max time.
  for (const id of ids) suite.add(id, jobs.get(id)!, { maxTime: ARGS.seconds, minSamples: 3 });
  suite.on('cycle', (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    console.log(`  ${String(b.name).padEnd(42)} ${fmt(b.hz, 2).padStart(9)} runs/s ±${b.stats.rme.toFixed(1)}% (${b.stats.sample.length} samples)`);
  });
  suite.run({ async: false });
  const out = new Map<string, Benchmark>();
  suite.forEach((b: Benchmark) => out.set(String(b.name), b));
  return out;
}

const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`${machineLine()}; load average ${load}`);
const best = pass([...jobs.keys()]);
// A shared machine makes single runs noisy: every row under a second per run gets a second pass,
// and each row keeps its better pass. (The slower peers are far behind either way.)
console.log('second pass (rows under 1 s per run):');
for (const [id, b] of pass([...best.keys()].filter((id) => best.get(id)!.hz > 1))) {
  if (b.hz > best.get(id)!.hz) best.set(id, b);
}

// --- report -------------------------------------------------------------------------------------

interface Result {
  msgsPerSec: number;
  mbPerSec: number;
  /** From the fastest sample: the stretch with the least interference from other processes. */
  bestMbPerSec: number;
  msPerRun: number;
  rme: number;
  samples: number;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

const results: Record<string, Record<string, Result>> = {};
best.forEach((b) => {
  const [inputName, row] = String(b.name).split(' ') as [string, string];
  const input = inputs.find((i) => i.name === inputName)!;
  (results[inputName] ??= {})[row] = {
    msgsPerSec: b.hz * input.messages,
    mbPerSec: (b.hz * input.bytes) / 1e6,
    bestMbPerSec: input.bytes / 1e6 / Math.min(...b.stats.sample),
    msPerRun: 1000 / b.hz,
    rme: b.stats.rme,
    samples: b.stats.sample.length,
  };
});

const lines: string[] = [];
for (const input of inputs) {
  const res = results[input.name]!;
  lines.push(
    `### ${input.name}: ${input.what} (${fmt(input.bytes)} B, ${fmt(input.messages)} message${input.messages === 1 ? '' : 's'})`,
    '',
    `| parser | msgs/s | MB/s | best MB/s | ms/run | ±% | ${OURS.map((o) => `${o} ×`).join(' | ')} | messages emitted |`,
    `|---|---:|---:|---:|---:|---:|${OURS.map(() => '---:').join('|')}|---:|`,
  );
  for (const [row] of rows) {
    const r = res[row]!;
    const ratios = OURS.map((o) => (OURS.includes(row) || row === 'framing-only' ? '' : `${fmt(res[o]!.mbPerSec / r.mbPerSec, 1)}×`));
    const n = emitted.get(`${input.name} ${row}`)!;
    lines.push(
      `| ${row} | ${fmt(r.msgsPerSec)} | ${fmt(r.mbPerSec, 1)} | ${fmt(r.bestMbPerSec, 1)} | ${fmt(r.msPerRun, 2)} | ${r.rme.toFixed(1)} | ${ratios.join(' | ')} | ${fmt(n)}${n === input.messages ? '' : ' ≠'} |`,
    );
  }
  lines.push('');
}

const main = results['corpus-64k']!;
const big = results['output-20000']!['ajam-proxy']!;
const targets = [
  `- corpus-64k, every header indexed: **${fmt(main['ajam-proxy']!.mbPerSec)} MB/s** mean, ${fmt(main['ajam-proxy']!.bestMbPerSec)} MB/s best sample (target ≥ 500); ` +
    `${fmt(main['ajam-proxy']!.mbPerSec / main['asterisk-manager']!.mbPerSec, 1)}× asterisk-manager (target ≥ 10×), ` +
    `${fmt(main['ajam-proxy']!.mbPerSec / main['asterisk.io']!.mbPerSec, 1)}× asterisk.io (target ≥ 2×); ` +
    `framing alone ${fmt(main['framing-only']!.mbPerSec)} MB/s.`,
  `- output-20000: **${fmt(big.msPerRun, 2)} ms** for the 1.4 MB response in 1,460-byte chunks (target < 10 ms).`,
];

const table = lines.join('\n');
console.log(`\n${table}\n${targets.join('\n')}`);

writeSection(
  'Parser',
  `
\`npm run bench:parser -- --seconds ${ARGS.seconds}\` — ${machineLine()}; load average ${load} at start, ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end (a shared machine: compare rows of one run, not runs).

${targets.join('\n')}

${table}
How it is measured: benchmark.js (max ${ARGS.seconds} s, at least 3 samples per row), one run = a fresh parser fed every chunk of the
input; rows faster than one run per second are measured in a second pass too and keep the better mean (the machine is
shared). Inputs are the same Buffers for every row. MB = 10^6 bytes; msgs/s and MB/s are benchmark.js means (also in parser.json); "best MB/s" comes from the fastest sample,
the least disturbed by other processes. msgs/s counts the input's messages. "ajam-proxy ×" is how
many times faster ajam-proxy is than that row. "messages emitted" is what each parser handed out per run (≠: it differs from
the input's count, e.g. a peer that drops or merges messages).

- **ajam-proxy**: \`AmiParser\` (maxMessageSize 16 MiB so the 1.4 MB response fits; the default is 1 MiB): every message framed,
  every line's start, colon and end recorded, repeated headers kept, \`raw\` bytes as a view; nothing decoded.
- **ajam-proxy-decoded**: the same, plus \`toObject()\` on every message (every key and value decoded to strings, repeated keys
  as arrays) — the kind of object the peers build.
- **framing-only**: \`indexOf('\\r\\n\\r\\n')\` per message end, across chunk boundaries, nothing else: the ceiling.
- Peers (package@version as installed): their own parser code, unchanged, without sockets (bench/parser.peers.ts);
  asterisk-manager is measured up to its synchronous 'rawevent' (its nextTick fan-out is not counted); asterisk.io keeps
  only the last of a repeated key and drops messages with neither Event nor Response+ActionID (here a \`Ping\` response
  without ActionID); asterisk-ami-events-stream keeps the last of a repeated key; yana and asterisk-manager keep them all.
`,
  ARGS.dir,
);

const json: Record<string, Record<string, { msgsPerSec: number; mbPerSec: number }>> = {};
for (const [input, byRow] of Object.entries(results)) {
  json[input] = {};
  for (const [row, r] of Object.entries(byRow)) json[input][row] = { msgsPerSec: Math.round(r.msgsPerSec), mbPerSec: Math.round(r.mbPerSec * 10) / 10 };
}
writeJson('parser', json, ARGS.dir);
console.log(ARGS.save ? '\nwrote bench/RESULTS.md (## Parser) and bench/results/parser.json' : `\nresults in ${ARGS.dir} (use --save to keep them in bench/)`);
