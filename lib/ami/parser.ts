// Incremental AMI parser: Buffer chunks of any size in, AmiMessage out.
//
// Cost is linear in the bytes received and nothing is re-scanned: one pass finds, per line, the
// first colon (a JS scan of the key, four bytes at a time: cheaper than a native call for ~10
// bytes) and the line end (`indexOf(LF)`, native memchr, over the value). Line records go straight into a pooled Int32Array
// shared by many messages, so a message costs one object and one Buffer view. A message that
// spans chunks keeps its chunks in a list that is concatenated once, when it completes.
//
// Line endings: CRLF or bare LF. The first line of a message decides: in a CRLF message a bare LF
// inside a line is content (Asterisk passes raw dialplan data through, e.g. `AppData: a\nb\r\n`),
// and an empty line — `\r\n`, or a lone `\n` right after a line end as in `\r\n\n` — ends it.
// Blank lines between messages belong to no message and are dropped.
//
// Chunks are kept by reference (messages are views into them): a caller must not reuse a pushed
// Buffer. `onMessage` must not throw; it may call `reset()`, which stops the current chunk.
import { AmiMessage, LINE_SLOTS as SLOTS } from './message.ts';
import * as wire from './wire.ts';
import { ErrorCodes, type ErrorCode, invalidArgument } from '../errors.ts';
import { DEFAULTS } from '../config/defaults.ts';

export interface ParserOptions {
  /** Largest message accepted, in bytes; a bigger one is reported and skipped. */
  maxMessageSize?: number;
  /** True on a client connection: the first line is Asterisk's banner, `Asterisk Call Manager/x.y.z`. */
  expectBanner?: boolean;
  onMessage: (msg: AmiMessage) => void;
  onError?: (code: ErrorCode, message: string) => void;
  onBanner?: (version: string, line: string) => void;
}

// Local copies: module imports compile to live-binding getters, too slow on the per-byte path.
const { COLON, CR, LF, END_MARKERS } = wire;
const LINE_SLOTS = SLOTS;
const COLONS = COLON * 0x01010101;
const DASH = 45;

/** Int32 slots per line-record pool: 8,192 lines, shared by the messages parsed into it. */
const POOL_SIZE = 8192 * LINE_SLOTS;
/** Bytes of a skipped message kept to recognise an end marker split across chunks. */
const SKIP_TAIL = 32;

const MODE_UNKNOWN = 0;
const MODE_LF = 1;
const MODE_CRLF = 2;

// Follows states
const FOLLOWS_NO = 0;
const FOLLOWS_BODY = 1; // inside the body: blank lines do not end the message, bare LF ends a line
const FOLLOWS_DONE = 2; // end marker seen: the next blank line ends the message

const FOLLOWS_FIRST_LINE = Buffer.from('response: follows');

function noop(): void {}

export class AmiParser {
  // options (validated once)
  private readonly maxSize: number;
  private readonly onMessage: (msg: AmiMessage) => void;
  private readonly onError: (code: ErrorCode, message: string) => void;
  private readonly onBanner: (version: string, line: string) => void;

  // stream state
  private bannerPending: boolean;
  /** Last byte of the previous chunk was CR (for a CRLF split between chunks). */
  private prevCR: boolean;
  /** Bumped by reset(): a push() in progress stops when it changes. */
  private epoch: number;

  // line-record pool: the current message's records start at pool[poolBase]
  private pool: Int32Array;
  private poolBase: number;

  // the message in progress, in message coordinates (offset 0 = its first byte)
  /** Earlier chunks' bytes of the current message, ending at `held` (while skipping: the last few). */
  private parts: Buffer[];
  /** Bytes of the current message seen in earlier chunks. */
  private held: number;
  private count: number;
  private lineStart: number;
  /** First colon of the current line, or -1 while not seen yet. */
  private colon: number;
  private mode: number;
  private follows: number;
  /** Skipping an oversized message until the blank line that ends it. */
  private skipping: boolean;

  /** Server's AMI version from the banner, if one was seen. */
  version: string | undefined;

  constructor(opts: ParserOptions) {
    this.maxSize = opts.maxMessageSize ?? DEFAULTS.amiMaxMessageBytes;
    if (!(this.maxSize > 0)) throw invalidArgument('maxMessageSize must be positive');
    this.onMessage = opts.onMessage;
    this.onError = opts.onError ?? noop;
    this.onBanner = opts.onBanner ?? noop;
    this.bannerPending = opts.expectBanner === true;
    this.prevCR = false;
    this.epoch = 0;
    this.pool = new Int32Array(POOL_SIZE);
    this.poolBase = 0;
    this.parts = [];
    this.held = 0;
    this.count = 0;
    this.lineStart = 0;
    this.colon = -1;
    this.mode = MODE_UNKNOWN;
    this.follows = FOLLOWS_NO;
    this.skipping = false;
    this.version = undefined;
  }

  /** Drops any partial message (after a reconnect). */
  reset(expectBanner: boolean): void {
    this.bannerPending = expectBanner;
    this.version = undefined;
    this.prevCR = false;
    this.epoch++;
    this.startMessage();
  }

  /** Bytes of an unfinished message currently buffered. */
  get pending(): number {
    return this.skipping ? 0 : this.held;
  }

  push(chunk: Buffer): void {
    const len = chunk.length;
    if (len === 0) return;
    const epoch = this.epoch;
    const prevCR = this.prevCR;
    const view = new DataView(chunk.buffer, chunk.byteOffset, len);
    // Line records of the current message: pool[mb] up to pool[pb] (exclusive).
    let pool = this.pool;
    let mb = this.poolBase;
    let pb = mb + this.count * LINE_SLOTS;
    // No Follows body and not skipping: every CRLF line is simply recorded.
    let plain = this.follows === FOLLOWS_NO && !this.skipping;
    // The current message starts at chunk[msgStart] or, when held > 0, in an earlier chunk;
    // chunk[i] is at message coordinate base + i.
    let msgStart = 0;
    let base = this.held;
    let lineStart = this.lineStart;
    let colon = this.colon;
    let pos = 0;

    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (colon === -1) {
        const i = findColon(chunk, view, pos, nl === -1 ? len : nl);
        if (i !== -1) colon = base + i;
      }
      if (nl === -1) break;
      pos = nl + 1;
      const abs = base + nl;

      // Fast path: a non-empty CRLF line of a message already started.
      if (plain && abs > lineStart + 1 && pb !== mb && (nl > 0 ? chunk[nl - 1] === CR : prevCR)) {
        if (pb + LINE_SLOTS > pool.length) {
          pb = this.growPool(pb - mb);
          pool = this.pool;
          mb = 0;
        }
        pool[pb] = lineStart;
        pool[pb + 1] = colon;
        pool[pb + 2] = abs - 1;
        pb += LINE_SLOTS;
        lineStart = abs + 1;
        colon = -1;
        continue;
      }

      let end = abs;
      if (abs > lineStart && (nl > 0 ? chunk[nl - 1] === CR : prevCR)) end = abs - 1;
      else if (abs > lineStart && this.mode === MODE_CRLF && this.follows !== FOLLOWS_BODY) {
        continue; // a bare LF inside a CRLF message's line is content: the line goes on
      }

      if (end === lineStart) {
        // A blank line: ends the message, except inside a Follows body.
        if (this.follows === FOLLOWS_BODY) {
          lineStart = abs + 1;
          continue;
        }
        if (this.skipping) this.startMessage();
        else if (plain && this.held === 0 && pb !== mb && pool[mb + 1] !== -1 && pos - msgStart <= this.maxSize) {
          // Fast path, the same as complete(): a well-formed message that arrived in this chunk.
          const msg = new AmiMessage(chunk.subarray(msgStart, pos), pool, mb, (pb - mb) / LINE_SLOTS);
          if (pool.length > POOL_SIZE || pb + LINE_SLOTS > pool.length) {
            pool = this.pool = new Int32Array(POOL_SIZE);
            pb = 0;
          }
          this.poolBase = pb;
          this.mode = MODE_UNKNOWN;
          this.onMessage(msg);
          if (this.epoch !== epoch) return;
        } else if (pb !== mb) {
          this.count = (pb - mb) / LINE_SLOTS;
          this.complete(chunk, msgStart, pos);
          if (this.epoch !== epoch) return;
          pool = this.pool;
        }
        // else: a stray blank line between messages, part of no message (its CR may be held).
        else if (this.held !== 0) this.startMessage();
        mb = pb = this.poolBase;
        plain = true;
        msgStart = pos;
        base = -pos;
        lineStart = 0;
        colon = -1;
        continue;
      }

      // A line [lineStart, end) with its first colon (or -1).
      if (this.mode === MODE_UNKNOWN) {
        // The first line of a message (also of one being skipped: it decides where it ends).
        this.mode = end < abs ? MODE_CRLF : MODE_LF;
        if (this.bannerPending) {
          this.bannerPending = false;
          if (colon === -1 && !this.skipping && abs <= this.maxSize) {
            const text = this.bytes(chunk, msgStart, 0, end).toString('latin1');
            this.startMessage();
            this.takeBanner(text);
            if (this.epoch !== epoch) return;
            msgStart = pos;
            base = -pos;
            lineStart = 0;
            continue;
          }
        }
        if (end === FOLLOWS_FIRST_LINE.length && this.lineIs(chunk, msgStart, end, FOLLOWS_FIRST_LINE)) {
          this.follows = FOLLOWS_BODY;
          plain = false;
        }
      } else if (this.follows === FOLLOWS_BODY && this.endsWithMarker(chunk, msgStart, lineStart, end)) {
        this.follows = FOLLOWS_DONE;
      }
      if (!this.skipping) {
        if (pb + LINE_SLOTS > pool.length) {
          pb = this.growPool(pb - mb);
          pool = this.pool;
          mb = 0;
        }
        pool[pb] = lineStart;
        pool[pb + 1] = colon;
        pool[pb + 2] = end;
        pb += LINE_SLOTS;
      }
      lineStart = abs + 1;
      colon = -1;
    }

    this.prevCR = chunk[len - 1] === CR;
    this.count = (pb - mb) / LINE_SLOTS;
    this.lineStart = lineStart;
    this.colon = colon;
    if (msgStart < len) this.keepTail(msgStart === 0 ? chunk : chunk.subarray(msgStart));
  }

  /** Holds the unfinished end of a chunk until the message completes. */
  private keepTail(tail: Buffer): void {
    const total = this.held + tail.length;
    if (this.skipping) {
      // Nothing but offsets, and a few bytes in case an end marker is split across chunks.
      const keep = tail.length >= SKIP_TAIL ? tail : Buffer.concat([...this.parts, tail]);
      const from = Math.max(0, keep.length - SKIP_TAIL);
      this.parts = [Buffer.from(keep.subarray(from))]; // a copy: the chunk itself is let go
      this.held = total;
      return;
    }
    this.parts.push(tail);
    this.held = total;
    if (total > this.maxSize) {
      const epoch = this.epoch;
      this.tooLarge();
      if (this.epoch !== epoch) return;
      // Keep counting in message coordinates so line ends and the blank line are still seen.
      this.skipping = true;
      this.count = 0;
      this.keepTail(Buffer.alloc(0));
    }
  }

  private tooLarge(): void {
    this.onError(
      ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE,
      `AMI message larger than ${this.maxSize} bytes; skipped to the blank line that ends it`,
    );
  }

  private startMessage(): void {
    if (this.parts.length !== 0) this.parts = []; // not one array per message
    this.held = 0;
    this.count = 0;
    this.lineStart = 0;
    this.colon = -1;
    this.mode = MODE_UNKNOWN;
    this.follows = FOLLOWS_NO;
    this.skipping = false;
  }

  /** Moves the current message's line records (`used` slots) to a fresh pool; returns the next slot. */
  private growPool(used: number): number {
    const pool = new Int32Array(Math.max(POOL_SIZE, used * 2));
    pool.set(this.pool.subarray(this.poolBase, this.poolBase + used));
    this.pool = pool;
    this.poolBase = 0;
    return used;
  }

  /** The message ends at chunk[endInChunk] (exclusive). */
  private complete(chunk: Buffer, msgStart: number, endInChunk: number): void {
    let raw: Buffer;
    if (this.held === 0) raw = chunk.subarray(msgStart, endInChunk);
    else {
      this.parts.push(chunk.subarray(msgStart, endInChunk));
      raw = Buffer.concat(this.parts, this.held + endInChunk - msgStart);
    }
    const pool = this.pool;
    const base = this.poolBase;
    const count = this.count;
    const follows = this.follows;
    this.startMessage();
    if (raw.length > this.maxSize) return this.tooLarge();
    if (pool[base + 1] === -1) {
      // A message must start with `Key: value`; anything else is garbage (resynchronised here).
      const head = JSON.stringify(raw.toString('latin1', 0, Math.min(raw.length, 60)));
      return this.onError(ErrorCodes.AMI_ERR_MALFORMED, `malformed AMI message: ${head}`);
    }
    let headerCount = count;
    let bodyStart = -1;
    let bodyEnd = -1;
    if (follows !== FOLLOWS_NO) {
      // Headers are the leading Response/Privilege/ActionID lines; the rest is the body.
      headerCount = 1;
      while (headerCount < count && isFollowsHeader(raw, pool, base + headerCount * LINE_SLOTS)) headerCount++;
      if (headerCount < count) {
        bodyStart = pool[base + headerCount * LINE_SLOTS]!;
        bodyEnd = pool[base + (count - 1) * LINE_SLOTS + 2]!;
        if (follows === FOLLOWS_DONE) bodyEnd = markerStart(raw, bodyEnd);
      }
    }
    // The records stay where they are; the next message's go after them, or in a new pool.
    const next = base + count * LINE_SLOTS;
    if (pool.length > POOL_SIZE || next + LINE_SLOTS > pool.length) {
      this.pool = new Int32Array(POOL_SIZE);
      this.poolBase = 0;
    } else this.poolBase = next;
    this.onMessage(new AmiMessage(raw, pool, base, headerCount, bodyStart, bodyEnd));
  }

  /**
   * Bytes [start, end) of the current message, a short window (a first line, an end marker). Only
   * the newest held parts that overlap it are copied, so looking near a line end stays O(window).
   */
  private bytes(chunk: Buffer, msgStart: number, start: number, end: number): Buffer {
    const held = this.held;
    if (start >= held) return chunk.subarray(msgStart + start - held, msgStart + end - held);
    const parts = this.parts;
    let i = parts.length;
    let at = held; // message coordinate of parts[i][0]
    while (i > 0 && at > start) at -= parts[--i]!.length;
    const all = Buffer.concat([...parts.slice(i), chunk.subarray(msgStart, msgStart + Math.max(0, end - held))]);
    return all.subarray(start - at, end - at);
  }

  /** The first line had no colon: it is the banner, `Asterisk Call Manager/11.0.0`. */
  private takeBanner(text: string): void {
    const slash = text.lastIndexOf('/');
    this.version = slash === -1 ? text : text.slice(slash + 1);
    this.onBanner(this.version, text);
  }

  /** The current message's first line, [0, end), equals `lowered` ignoring ASCII case. */
  private lineIs(chunk: Buffer, msgStart: number, end: number, lowered: Buffer): boolean {
    const line = this.bytes(chunk, msgStart, 0, end);
    for (let i = 0; i < lowered.length; i++) if ((line[i]! | 0x20) !== lowered[i]) return false;
    return true;
  }

  /** The line [start, end) ends with `--END COMMAND--` or `--END SMS EVENT--`. */
  private endsWithMarker(chunk: Buffer, msgStart: number, start: number, end: number): boolean {
    // Most body lines are rejected on their last byte (both markers end in '-').
    if (end - 1 >= this.held && chunk[msgStart + end - 1 - this.held] !== DASH) return false;
    for (const m of END_MARKERS) {
      if (end - start >= m.length && this.bytes(chunk, msgStart, end - m.length, end).equals(m)) return true;
    }
    return false;
  }
}

/**
 * Index of the first colon in chunk[from, to), or -1. In JS rather than a native indexOf: keys
 * are short (10 bytes on average), so the call would cost more than the scan. Four bytes at a
 * time: the classic "has a zero byte" test on word ^ '::::' flags bytes that are colons; the
 * lowest flag is exact (only flags above a real match can be false), so its position is the answer.
 */
function findColon(chunk: Buffer, view: DataView, from: number, to: number): number {
  let i = from;
  while (i + 4 <= to) {
    const x = view.getUint32(i, true) ^ COLONS;
    const flags = (x - 0x01010101) & ~x & 0x80808080;
    if (flags !== 0) return i + ((31 - Math.clz32(flags & -flags)) >> 3);
    i += 4;
  }
  while (i < to) {
    if (chunk[i] === COLON) return i;
    i++;
  }
  return -1;
}

const FOLLOWS_HEADERS = ['response', 'privilege', 'actionid'];

function isFollowsHeader(raw: Buffer, pool: Int32Array, b: number): boolean {
  const colon = pool[b + 1]!;
  if (colon === -1) return false;
  const key = raw.toString('latin1', pool[b]!, colon).trim().toLowerCase();
  return FOLLOWS_HEADERS.includes(key);
}

function markerStart(raw: Buffer, end: number): number {
  for (const m of END_MARKERS) {
    const s = end - m.length;
    if (s >= 0 && raw.subarray(s, end).equals(m)) return s;
  }
  return end;
}
