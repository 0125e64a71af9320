// Event log read path with one ring per server (`npm run bench:rings [-- --rounds N]`): the CPU
// time of 200 WaitEvent-style cursors (pending, read, commit after every batch of 50 events) over
// one ring (one server, the common case) against two rings (two servers: entries alternating
// between them, the merge's worst case; and readers limited to one server, which skip the other's
// ring). CPU time of this process (process.cpuUsage), median of 5 runs per row, rows interleaved;
// printed as ratios to the one-ring row so a busy machine changes little.
import { parseArgs } from 'node:util';
import { AmiMessage } from '../lib/ami/message.ts';
import { EventLog, type LogEntry } from '../lib/events/event-log.ts';
import { Cursor } from '../lib/events/cursor.ts';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '2000' } }, strict: true });
const ROUNDS = Number(args.rounds);
const READERS = 200;
const BATCH = 50;

const msgs = Array.from({ length: 64 }, (_, i) =>
  AmiMessage.from([['Event', 'Newstate'], ['Privilege', i % 4 === 0 ? 'dialplan,all' : 'call,all'], ['Channel', `PJSIP/${i}`]]),
);
/** Call events only, as a wallboard's classes would take. */
const accept = (e: LogEntry): boolean => e.classes === 2;

interface Row {
  name: string;
  rings: number;
  /** The readers' servers (undefined: all). */
  mask: number | undefined;
}
const ROWS: Row[] = [
  { name: 'one server (one ring)', rings: 1, mask: undefined },
  { name: 'two servers, reader of both', rings: 2, mask: undefined },
  { name: 'two servers, reader of one', rings: 2, mask: 1 },
];

function run(row: Row): { ms: number; delivered: number } {
  const log = row.rings === 1 ? new EventLog({ capacity: 10_000 }) : new EventLog({ capacity: 10_000, rings: [{}, {}] });
  const cursors = Array.from({ length: READERS }, () => new Cursor(log, row.mask));
  let delivered = 0;
  const t0 = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < BATCH; k++) log.append(msgs[(r * BATCH + k) & 63]!, row.rings === 1 ? -1 : 1 << (k & 1));
    for (const c of cursors) {
      if (!c.pending(accept)) continue;
      const read = c.read(accept);
      delivered += read.entries.length;
      c.commit(read.end);
    }
  }
  const u = process.cpuUsage(t0);
  return { ms: (u.user + u.system) / 1000, delivered };
}

const times = new Map<string, number[]>(ROWS.map((r) => [r.name, []]));
const delivered = new Map<string, number>();
for (let rep = 0; rep < 5; rep++) {
  for (const row of rep % 2 === 0 ? ROWS : ROWS.slice().reverse()) {
    const r = run(row);
    times.get(row.name)!.push(r.ms);
    delivered.set(row.name, r.delivered);
  }
}
const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
const base = median(times.get(ROWS[0]!.name)!);
console.log(`| reader path (${READERS} cursors, ${ROUNDS} × ${BATCH} events) | CPU ms (median of 5) | ratio to one ring | events delivered |`);
console.log('|---|---:|---:|---:|');
for (const row of ROWS) {
  const ms = median(times.get(row.name)!);
  console.log(`| ${row.name} | ${ms.toFixed(0)} | ${(ms / base).toFixed(2)} | ${delivered.get(row.name)!.toLocaleString('en-US')} |`);
}
