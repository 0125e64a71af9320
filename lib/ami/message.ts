// One AMI message: its exact bytes plus the offsets of each line. Keys and values are decoded to
// strings only when asked for (DESIGN.md "Bytes stay bytes").
import { isAscii } from 'node:buffer';
import * as wire from './wire.ts';

// Local copies: module imports compile to live-binding getters, too slow on hot paths.
const { COLON, CR, LF, SPACE, TAB } = wire;

/**
 * Per line, three int32 slots: line start, colon position (-1 when none), line end (terminator
 * excluded), all offsets into `raw`. Messages made by one parser share one Int32Array pool (see
 * parser.ts), so a message's records start at `lines[base]`.
 */
export const LINE_SLOTS = 3;

const ACTIONID = 'actionid';

export class AmiMessage {
  /** Exact bytes as received, terminating blank line included. */
  readonly raw: Buffer;
  /** LINE_SLOTS int32 per line from index `base`; see LINE_SLOTS. May be shared with other messages. */
  readonly lines: Int32Array;
  /** Index in `lines` of this message's first record (read line i at `lines[base + i * LINE_SLOTS]`). */
  readonly base: number;
  /** Number of header lines (a Follows body is not counted as lines). */
  readonly count: number;
  /** Byte range of a pre-14 `Response: Follows` body inside `raw`, or -1/-1. */
  readonly bodyStart: number;
  readonly bodyEnd: number;

  constructor(raw: Buffer, lines: Int32Array, base: number, count: number, bodyStart = -1, bodyEnd = -1) {
    this.raw = raw;
    this.lines = lines;
    this.base = base;
    this.count = count;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
  }

  /** Builds a message from header pairs (tests, simulator, proxy-made replies). */
  static from(headers: ReadonlyArray<readonly [string, string]>): AmiMessage {
    return parseOne(serializeHeaders(headers));
  }

  /** Key of line i (raw text before the first colon, trailing blanks trimmed; the whole line if no colon). */
  key(i: number): string {
    const b = this.base + i * LINE_SLOTS;
    const start = this.lines[b]!;
    const colon = this.lines[b + 1]!;
    let end = colon === -1 ? this.lines[b + 2]! : colon;
    while (end > start && isBlank(this.raw[end - 1]!)) end--;
    return decode(this.raw, start, end);
  }

  /** Value of line i (after the colon, leading blanks skipped, as Asterisk's lookups do); '' if no colon. */
  value(i: number): string {
    const b = this.base + i * LINE_SLOTS;
    const colon = this.lines[b + 1]!;
    if (colon === -1) return '';
    return decode(this.raw, this.valueStart(b), this.lines[b + 2]!);
  }

  /** Offset in `raw` where line i starts. */
  lineStart(i: number): number {
    return this.lines[this.base + i * LINE_SLOTS]!;
  }

  /** Offset in `raw` where line i ends (its CRLF or LF excluded). */
  lineEnd(i: number): number {
    return this.lines[this.base + i * LINE_SLOTS + 2]!;
  }

  /** Offset in `raw` of line i's value (after the colon and leading blanks), or -1 without a colon. */
  valueOffset(i: number): number {
    const b = this.base + i * LINE_SLOTS;
    return this.lines[b + 1] === -1 ? -1 : this.valueStart(b);
  }

  /** True when line i has no colon (free text, e.g. pre-14 Command output). */
  isOpaque(i: number): boolean {
    return this.lines[this.base + i * LINE_SLOTS + 1] === -1;
  }

  /** Case-insensitive first match. */
  get(name: string): string | undefined {
    const i = this.indexOf(name);
    return i === -1 ? undefined : this.value(i);
  }

  has(name: string): boolean {
    return this.indexOf(name) !== -1;
  }

  /** Every value of a repeated key, in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) if (this.keyEquals(i, name)) out.push(this.value(i));
    return out;
  }

  /** Index of the first line whose key equals `name` case-insensitively, or -1. */
  indexOf(name: string, from = 0): number {
    for (let i = from; i < this.count; i++) if (this.keyEquals(i, name)) return i;
    return -1;
  }

  /** Compares the key of line i with an ASCII name, ignoring case, without decoding. */
  keyEquals(i: number, name: string): boolean {
    const b = this.base + i * LINE_SLOTS;
    const colon = this.lines[b + 1]!;
    if (colon === -1) return false;
    const start = this.lines[b]!;
    let end = colon;
    while (end > start && isBlank(this.raw[end - 1]!)) end--;
    const n = name.length;
    if (end - start !== n) return false;
    const raw = this.raw;
    for (let j = 0; j < n; j++) {
      const a = raw[start + j]!;
      const c = name.charCodeAt(j);
      if (a !== c && (a | 0x20) !== (c | 0x20)) return false;
      // Only letters may differ by the case bit.
      if (a !== c && ((a | 0x20) < 97 || (a | 0x20) > 122)) return false;
    }
    return true;
  }

  /** Pairs in order; repeated keys kept. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.count; i++) yield [this.key(i), this.value(i)];
  }

  /** Plain object view; repeated keys become arrays (for JSON). */
  toObject(): Record<string, string | string[]> {
    const o: Record<string, string | string[]> = {};
    // Most messages are ASCII: one decode of the whole message, then values are JS slices of it,
    // cheaper than a native decode per value.
    const raw = this.raw;
    const text = isAscii(raw) ? raw.toString('latin1') : undefined;
    const lines = this.lines;
    for (let i = 0; i < this.count; i++) {
      const b = this.base + i * LINE_SLOTS;
      const k = this.key(i);
      let v = '';
      if (lines[b + 1] !== -1) v = text === undefined ? this.value(i) : text.slice(this.valueStart(b), lines[b + 2]!);
      const prev = o[k];
      if (prev === undefined) o[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else o[k] = [prev, v];
    }
    return o;
  }

  /** The `Response: Follows` body text (pre-Asterisk-14 Command), or undefined. */
  get body(): string | undefined {
    return this.bodyStart === -1 ? undefined : this.raw.toString('utf8', this.bodyStart, this.bodyEnd);
  }

  get actionId(): string | undefined {
    return this.get(ACTIONID);
  }

  /** `Event` header value, or undefined for responses. */
  get event(): string | undefined {
    return this.count > 0 && this.keyEquals(0, 'Event') ? this.value(0) : this.get('Event');
  }

  /** `Response` header value, or undefined for events. */
  get response(): string | undefined {
    return this.count > 0 && this.keyEquals(0, 'Response') ? this.value(0) : undefined;
  }

  /**
   * The bytes with every ActionID line's value replaced by `id`; with `id` undefined those lines are
   * removed; if there was none and `id` is given, a line is inserted after the first line.
   * Everything else is copied as it is: no re-encoding.
   */
  withActionId(id: string | undefined): Buffer {
    const raw = this.raw;
    const parts: Buffer[] = [];
    let copied = 0;
    let found = false;
    for (let i = 0; i < this.count; i++) {
      if (!this.keyEquals(i, ACTIONID)) continue;
      found = true;
      const b = this.base + i * LINE_SLOTS;
      if (id === undefined) {
        parts.push(raw.subarray(copied, this.lines[b]!));
        copied = this.lineNext(i);
      } else {
        parts.push(raw.subarray(copied, this.valueStart(b)), Buffer.from(id));
        copied = this.lines[b + 2]!;
      }
    }
    if (!found) {
      if (id === undefined || this.count === 0) return raw;
      const at = this.lineNext(0);
      const eol = raw[at - 2] === CR ? '\r\n' : '\n';
      return Buffer.concat([raw.subarray(0, at), Buffer.from(`ActionID: ${id}${eol}`), raw.subarray(at)]);
    }
    parts.push(raw.subarray(copied));
    return Buffer.concat(parts);
  }

  /** Offset just after line i's terminator. */
  private lineNext(i: number): number {
    let p = this.lines[this.base + i * LINE_SLOTS + 2]!;
    if (this.raw[p] === CR && this.raw[p + 1] === LF) p += 2;
    else if (p < this.raw.length) p += 1;
    return p;
  }

  private valueStart(b: number): number {
    let p = this.lines[b + 1]! + 1;
    const end = this.lines[b + 2]!;
    while (p < end && isBlank(this.raw[p]!)) p++;
    return p;
  }
}

// Decoded short ASCII strings, direct-mapped by a hash of their bytes. Keys and many values repeat
// (Privilege, Context, ChannelState...): hashing and comparing a few bytes in JS costs less than a
// native decode, and a key decoded to the same string every time keeps object property stores fast.
const CACHE_BITS = 12;
const CACHE_MAX_LEN = 32;
const cache: string[] = new Array<string>(1 << CACHE_BITS).fill('');

/** raw[start, end) as UTF-8 text. */
function decode(raw: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > CACHE_MAX_LEN) return raw.toString('utf8', start, end);
  let h = n;
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    if (c >= 0x80) return raw.toString('utf8', start, end);
    h = Math.imul(h ^ c, 0x01000193); // FNV-1a step
  }
  const slot = h >>> (32 - CACHE_BITS);
  const hit = cache[slot]!;
  if (hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === raw[start + i]) i++;
    if (i === n) return hit;
  }
  return (cache[slot] = raw.toString('latin1', start, end));
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** `Key: value\r\n` lines plus the blank line. Callers must have rejected CR/LF in keys and values. */
export function serializeHeaders(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  let s = '';
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n');
}

/**
 * Parses one complete message from bytes (no banner), with the parser's line rules: the first line's
 * ending decides, and in a CRLF message a bare LF inside a line is content. Stops at the first blank
 * line. For streams, and pre-14 `Response: Follows` bodies, use AmiParser.
 */
export function parseOne(raw: Buffer): AmiMessage {
  const lines: number[] = [];
  let crlf = false;
  let start = 0;
  let from = 0;
  while (start < raw.length) {
    let nl = raw.indexOf(LF, from);
    if (nl === -1) nl = raw.length;
    const cr = nl > start && raw[nl - 1] === CR;
    if (crlf && !cr && nl > start && nl < raw.length) {
      from = nl + 1; // content
      continue;
    }
    const end = cr ? nl - 1 : nl;
    if (end === start) break;
    if (lines.length === 0) crlf = cr;
    let colon = -1;
    for (let j = start; j < end; j++) {
      if (raw[j] === COLON) {
        colon = j;
        break;
      }
    }
    lines.push(start, colon, end);
    start = from = nl + 1;
  }
  return new AmiMessage(raw, Int32Array.from(lines), 0, lines.length / LINE_SLOTS);
}
