// The few CLI commands the simulator answers (Action: Command), with Asterisk's wording.
import type { SimHost } from './host.ts';

export interface CliResult {
  /** False for an unknown command: Asterisk 14+ then answers `Response: Error`. */
  ok: boolean;
  lines: string[];
}

const ESS = (n: number): string => (n === 1 ? '' : 's');

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['year', 365 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** `print_uptimestr`. */
function uptimeStr(prefix: string, secs: number, printSec: boolean): string {
  if (printSec) return `${prefix}: ${secs}`;
  let rest = secs;
  let out = '';
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      const x = Math.floor(rest / size);
      rest -= x * size;
      out += `${x} ${unit}${ESS(x)}${rest ? ', ' : ''}`;
    }
  }
  if (rest > 0 || out === '') out += `${rest} second${ESS(rest)}`;
  return `${prefix}: ${out}`;
}

function pad(s: string, n: number): string {
  return s.slice(0, n).padEnd(n);
}

const BLACKLIST = [
  ['module', 'load'],
  ['module', 'unload'],
  ['restart', 'gracefully'],
];

/** manager.c `check_blacklist`. */
export function blacklisted(cmd: string): boolean {
  const words = cmd.trim().toLowerCase().split(/\s+/);
  return BLACKLIST.some((b) => b.every((w, i) => words[i] === w));
}

export function runCli(sim: SimHost, cmd: string): CliResult {
  const words = cmd.trim().split(/\s+/);
  const line = words.join(' ').toLowerCase();
  if (line === 'core show uptime' || line === 'core show uptime seconds') {
    const sec = words.length === 4;
    return { ok: true, lines: [uptimeStr('System uptime', sim.uptime, sec), uptimeStr('Last reload', sim.sinceReload, sec)] };
  }
  if (line === 'core show version') {
    return { ok: true, lines: [`Asterisk ${sim.asteriskVersion} built by root @ vm on a x86_64 running Linux on 2026-11-26 10:07:57 UTC`] };
  }
  if (line === 'core show channels' || line === 'core show channels count') {
    const list = sim.channels.list();
    const out: string[] = [];
    if (words.length === 3) {
      out.push(`${pad('Channel', 64)} ${pad('Location', 32)} ${pad('State', 7)} ${pad('Application(Data)', 30)}`);
      for (const ch of list) {
        const app = ch.app === '' ? '(None)' : `${ch.app}(${ch.appData})`;
        out.push(`${pad(ch.name, 64)} ${pad(`${ch.exten}@${ch.context}:${ch.priority}`, 32)} ${pad(ch.stateDesc, 7)} ${pad(app, 30)}`);
      }
    }
    const calls = sim.channels.calls();
    const done = sim.channels.processed;
    out.push(`${list.length} active channel${ESS(list.length)}`, `${calls} active call${ESS(calls)}`, `${done} call${ESS(done)} processed`);
    return { ok: true, lines: out };
  }
  if (line === 'core show calls') {
    const calls = sim.channels.calls();
    const done = sim.channels.processed;
    return { ok: true, lines: [`${calls} active call${ESS(calls)}`, `${done} call${ESS(done)} processed`] };
  }
  if (words.length >= 2 && words[0]!.toLowerCase() === 'database' && words[1]!.toLowerCase() === 'show') {
    const prefix = words.length > 2 ? `/${words.slice(2).join('/')}` : '';
    const out: string[] = [];
    for (const [key, value] of [...sim.db].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (prefix === '' || key === prefix || key.startsWith(prefix + '/')) out.push(`${key.padEnd(50)}: ${value.padEnd(25)}`);
    }
    out.push(`${out.length} results found.`);
    return { ok: true, lines: out };
  }
  // `find_best`: the words Asterisk could match, here all but the last.
  const best = words.length > 1 ? words.slice(0, -1).join(' ') : words.join(' ');
  return { ok: false, lines: [`No such command '${words.join(' ')}' (type 'core show help ${best}' for other possible commands)`] };
}
