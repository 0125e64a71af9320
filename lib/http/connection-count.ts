// How many TCP connections the HTTP listeners hold, read from Linux's /proc (uWS 20.30 has no
// per-connection hook for HTTP and no counter). Two reads:
// - tcpInUse(): the network namespace's TCP sockets in use (/proc/net/sockstat{,6}), a few hundred
//   bytes whatever the load: an upper bound of ours, enough to know we are far from a cap;
// - countConnections(): the exact count, from /proc/net/tcp{,6}: sockets whose local port is one of
//   ours, not listening, that a process still holds (inode ≠ 0: accepted and not yet closed; the
//   ones only in the kernel's backlog, closing or in TIME_WAIT hold no descriptor). It costs about
//   3 µs of kernel time per socket in the namespace, so it is read only near a cap, asynchronously.
// Both return undefined where /proc is not readable (not Linux, or a sandbox).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** TCP sockets in use in this network namespace, IPv4 and IPv6 (an upper bound of ours). */
export function tcpInUse(): number | undefined {
  let n = 0;
  try {
    n += inUse(readFileSync('/proc/net/sockstat', 'latin1'), 'TCP: inuse ');
  } catch {
    return undefined;
  }
  try {
    n += inUse(readFileSync('/proc/net/sockstat6', 'latin1'), 'TCP6: inuse ');
  } catch {
    // no IPv6 in this kernel: nothing to add
  }
  return n;
}

function inUse(text: string, label: string): number {
  const at = text.indexOf(label);
  return at === -1 ? 0 : parseInt(text.slice(at + label.length), 10) || 0;
}

/** The process's soft limit on open files (`ulimit -n`), from /proc/self/limits; undefined if unknown. */
export function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    if (m === null) return undefined;
    return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Open connections whose local port is one of `ports` (accepted, not yet closed). */
export async function countConnections(ports: readonly number[]): Promise<number | undefined> {
  let v4: Buffer;
  try {
    v4 = await readFile('/proc/net/tcp');
  } catch {
    return undefined;
  }
  let n = countInTable(v4, ports);
  try {
    n += countInTable(await readFile('/proc/net/tcp6'), ports);
  } catch {
    // no IPv6 in this kernel
  }
  return n;
}

const SPACE = 32;
const NEWLINE = 10;
const COLON = 58;

/**
 * Counts the rows of a /proc/net/tcp{,6} table (`sl local rem st tx:rx tr:when retrnsmt uid
 * timeout inode …`, blank-separated) with a local port in `ports`, a state other than LISTEN (0A)
 * and a non-zero inode. Scans the bytes: the table holds a row per socket of the namespace.
 */
export function countInTable(table: Buffer, ports: readonly number[]): number {
  let count = 0;
  let pos = table.indexOf(NEWLINE) + 1; // the header line
  const len = table.length;
  while (pos > 0 && pos < len) {
    const end = table.indexOf(NEWLINE, pos);
    const stop = end === -1 ? len : end;
    // Token starts: 0 sl, 1 local address:port, 3 state, 9 inode.
    let token = -1;
    let local = -1;
    let state = -1;
    let inode = -1;
    for (let i = pos; i < stop; i++) {
      if (table[i] === SPACE) continue;
      token++;
      if (token === 1) local = i;
      else if (token === 3) state = i;
      else if (token === 9) {
        inode = i;
        break;
      }
      while (i < stop && table[i] !== SPACE) i++;
    }
    if (inode !== -1 && !(table[state] === 0x30 && table[state + 1] === 0x41) && !(table[inode] === 0x30 && table[inode + 1] === SPACE)) {
      const colon = table.indexOf(COLON, local);
      const port = parseInt(table.toString('latin1', colon + 1, colon + 5), 16);
      if (ports.includes(port)) count++;
    }
    pos = end === -1 ? len : end + 1;
  }
  return count;
}
