// Building AMI blocks the way manager.c does (`astman_send_response_full`, `astman_start_ack`,
// `astman_send_listack`, `astman_send_list_complete_start`).
import type { Pairs } from './channels.ts';

/** `Key: value\r\n` lines, no terminating blank line. */
export function lines(pairs: Pairs): string {
  let s = '';
  for (const [k, v] of pairs) s += `${k}: ${v}\r\n`;
  return s;
}

/** `ActionID: x\r\n` or '' (Asterisk omits an empty ActionID). */
export function idLine(id: string): string {
  return id === '' ? '' : `ActionID: ${id}\r\n`;
}

/** `Response: <kind>`, the ActionID, then `rest`, then the blank line. */
export function response(kind: string, id: string, rest: Pairs): string {
  return `Response: ${kind}\r\n${idLine(id)}${lines(rest)}\r\n`;
}

export function ack(id: string, message: string): string {
  return response('Success', id, [['Message', message]]);
}

export function error(id: string, message: string): string {
  return response('Error', id, [['Message', message]]);
}

/** `astman_send_listack`. */
export function listAck(id: string, message: string): string {
  return `Response: Success\r\n${idLine(id)}EventList: start\r\nMessage: ${message}\r\n\r\n`;
}

/** `astman_send_list_complete_start` + `_end`, with optional extra lines (Status adds `Items`). */
export function listComplete(event: string, id: string, count: number, extra: Pairs = []): string {
  return `Event: ${event}\r\n${idLine(id)}EventList: Complete\r\nListItems: ${count}\r\n${lines(extra)}\r\n`;
}

/** A list item: `Event: <name>`, the pairs, the ActionID last (Status, QueueStatus, DBGet...). */
export function itemIdLast(event: string, pairs: Pairs, id: string): string {
  return `Event: ${event}\r\n${lines(pairs)}${idLine(id)}\r\n`;
}

/** A list item with the ActionID right after the Event line (CoreShowChannel). */
export function itemIdFirst(event: string, pairs: Pairs, id: string): string {
  return `Event: ${event}\r\n${idLine(id)}${lines(pairs)}\r\n`;
}

/** `2026-11-26T10:09:54.233+0000` (security events' EventTV / SessionTV). */
export function eventTV(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `%ld.%06lu` of now (Ping's Timestamp). */
export function timestamp(): string {
  // One clock read in float ms with µs resolution (a BigInt clock plus Date.now cost more than
  // the rest of a Ping here).
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  const us = Math.min(999999, Math.floor((ms - sec * 1000) * 1000));
  return sec + (us >= 100000 ? '.' : us >= 10000 ? '.0' : us >= 1000 ? '.00' : us >= 100 ? '.000' : us >= 10 ? '.0000' : '.00000') + us;
}
