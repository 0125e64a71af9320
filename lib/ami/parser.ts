// Incremental AMI parser: Buffer chunks of any size in, AmiMessage out.
//
// Cost is linear in the bytes received: each byte is looked at by one `indexOf(LF)` scan, line
// boundaries are recorded as offsets as they are found, and a message that spans chunks keeps its
// chunks in a list that is concatenated once, when the message completes. A partial message is
// never re-scanned from its start.
//
// Line endings: CRLF or bare LF. The first line of a message decides: in a CRLF message a bare LF
// inside a line is content (Asterisk passes raw dialplan data through, e.g. `AppData: a\nb\r\n`),
// and an empty line — `\r\n` or a lone `\n` right after a line end, as in `\r\n\n` — ends it.
import { AmiMessage, LINE_SLOTS as SLOTS } from './message.ts';
import * as wire from './wire.ts';
import { ErrorCodes, type ErrorCode } from '../errors.ts';

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
const { COLON, CR, LF, DEFAULT_MAX_MESSAGE_SIZE, END_MARKERS } = wire;
const LINE_SLOTS = SLOTS;

const MODE_UNKNOWN = 0;
const MODE_LF = 1;
const MODE_CRLF = 2;

// Follows states
const FOLLOWS_NO = 0;
const FOLLOWS_BODY = 1; // inside the body: blank lines do not end the message
const FOLLOWS_DONE = 2; // end marker seen: the next blank line ends the message

const FOLLOWS_FIRST_LINE = Buffer.from('response: follows');

function noop(): void {}

export class AmiParser {
  // options (validated once)
  private readonly maxSize: number;
  private readonly onMessage: (msg: AmiMessage) => void;
  private readonly onError: (code: ErrorCode, message: string) => void;
  private readonly onBanner: (version: string, line: string) => void;
  private bannerPending: boolean;

  // the message in progress
  private parts: Buffer[];
  /** Bytes of the current message held in `parts` (earlier chunks). */
  private held: number;
  /** Line records in message coordinates: start, -1 (colon, filled at completion), end. */
  private lines: Int32Array;
  private count: number;
  private lineStart: number;
  private mode: number;
  private follows: number;
  /** Last byte of the previous chunk was CR (for a CRLF split between chunks). */
  private prevCR: boolean;
  /** Skipping an oversized or malformed message until the next blank line. */
  private skipping: boolean;

  /** Server's AMI version from the banner, if one was seen. */
  version: string | undefined;

  constructor(opts: ParserOptions) {
    this.maxSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (!(this.maxSize > 0)) throw new TypeError('maxMessageSize must be positive');
    this.onMessage = opts.onMessage;
    this.onError = opts.onError ?? noop;
    this.onBanner = opts.onBanner ?? noop;
    this.bannerPending = opts.expectBanner === true;
    this.parts = [];
    this.held = 0;
    this.lines = new Int32Array(64 * LINE_SLOTS);
    this.count = 0;
    this.lineStart = 0;
    this.mode = MODE_UNKNOWN;
    this.follows = FOLLOWS_NO;
    this.prevCR = false;
    this.skipping = false;
    this.version = undefined;
  }

  /** Drops any partial message (after a reconnect). */
  reset(expectBanner: boolean): void {
    this.bannerPending = expectBanner;
    this.version = undefined;
    this.startMessage();
    this.prevCR = false;
    this.skipping = false;
  }

  /** Bytes of an unfinished message currently buffered. */
  get pending(): number {
    return this.held;
  }

  push(chunk: Buffer): void {
    const len = chunk.length;
    if (len === 0) return;
    // Message coordinate of chunk[0]; the current message starts at chunk[msgStart] (or in `parts`).
    let msgStart = 0;
    let base = this.held;
    let pos = 0;
    let nl = chunk.indexOf(LF, 0);
    while (nl !== -1) {
      const abs = base + nl;
      const lineStart = this.lineStart;
      let hasCR = false;
      if (abs > lineStart) hasCR = nl > 0 ? chunk[nl - 1] === CR : this.prevCR;
      const end = hasCR ? abs - 1 : abs;

      if (end === lineStart) {
        // A blank line.
        if (this.skipping) {
          this.skipping = false;
          this.startMessage();
          msgStart = nl + 1;
          base = -msgStart;
        } else if (this.count === 0) {
          // Stray blank line between messages: not part of any message.
          this.startMessage();
          msgStart = nl + 1;
          base = -msgStart;
        } else if (this.follows !== FOLLOWS_BODY) {
          this.complete(chunk, msgStart, nl + 1);
          msgStart = nl + 1;
          base = -msgStart;
        } else {
          this.lineStart = abs + 1;
        }
      } else if (this.mode === MODE_CRLF && !hasCR && this.follows !== FOLLOWS_BODY) {
        // Bare LF inside a CRLF message's line: content, the line goes on.
      } else if (!this.skipping) {
        if (this.count === 0) this.mode = hasCR ? MODE_CRLF : MODE_LF;
        this.addLine(lineStart, end);
        this.lineStart = abs + 1;
        if (this.count === 1) {
          if (this.bannerPending) {
            this.bannerPending = false;
            if (this.checkBanner(chunk, msgStart, lineStart, end)) {
              msgStart = nl + 1;
              base = -msgStart;
              this.startMessage();
            }
          } else if (this.lineIs(chunk, msgStart, lineStart, end, FOLLOWS_FIRST_LINE)) {
            this.follows = FOLLOWS_BODY;
          }
        } else if (this.follows === FOLLOWS_BODY && this.lineEndsWithMarker(chunk, msgStart, lineStart, end)) {
          this.follows = FOLLOWS_DONE;
        }
      } else {
        this.lineStart = abs + 1;
      }
      pos = nl + 1;
      nl = pos < len ? chunk.indexOf(LF, pos) : -1;
    }
    this.prevCR = chunk[len - 1] === CR;

    // Keep the unfinished tail.
    if (msgStart < len) {
      const tail = msgStart === 0 ? chunk : chunk.subarray(msgStart);
      if (this.skipping) {
        // Keep only what is needed to see the next blank line: nothing but offsets.
        this.held += tail.length;
        return;
      }
      this.parts.push(tail);
      this.held += tail.length;
      if (this.held > this.maxSize) {
        this.onError(
          ErrorCodes.AMI_ERR_MESSAGE_TOO_LARGE,
          `AMI message larger than ${this.maxSize} bytes; skipped to the next blank line`,
        );
        const held = this.held;
        const lineStart = this.lineStart;
        this.startMessage();
        this.skipping = true;
        // Offsets stay in message coordinates so the blank-line check keeps working.
        this.held = held;
        this.lineStart = lineStart;
      }
    }
  }

  private startMessage(): void {
    this.parts = [];
    this.held = 0;
    this.count = 0;
    this.lineStart = 0;
    this.mode = MODE_UNKNOWN;
    this.follows = FOLLOWS_NO;
  }

  private addLine(start: number, end: number): void {
    let lines = this.lines;
    const b = this.count * LINE_SLOTS;
    if (b + LINE_SLOTS > lines.length) {
      const bigger = new Int32Array(lines.length * 2);
      bigger.set(lines);
      this.lines = lines = bigger;
    }
    lines[b] = start;
    lines[b + 1] = -1;
    lines[b + 2] = end;
    this.count++;
  }

  /** The message ends at chunk[endInChunk] (exclusive). */
  private complete(chunk: Buffer, msgStart: number, endInChunk: number): void {
    const last = chunk.subarray(msgStart, endInChunk);
    let raw: Buffer;
    if (this.parts.length === 0) raw = last;
    else {
      this.parts.push(last);
      raw = Buffer.concat(this.parts, this.held + last.length);
    }
    const count = this.count;
    const src = this.lines;
    let headerCount = count;
    let bodyStart = -1;
    let bodyEnd = -1;
    if (this.follows !== FOLLOWS_NO) {
      // Headers are the leading Response/Privilege/ActionID lines; the rest is the body.
      headerCount = 1;
      while (headerCount < count && isFollowsHeader(raw, src[headerCount * LINE_SLOTS]!, src[headerCount * LINE_SLOTS + 2]!)) {
        headerCount++;
      }
      if (headerCount < count) {
        bodyStart = src[headerCount * LINE_SLOTS]!;
        bodyEnd = this.follows === FOLLOWS_DONE ? markerStart(raw, src[(count - 1) * LINE_SLOTS + 2]!) : src[(count - 1) * LINE_SLOTS + 2]!;
      }
    }
    const lines = src.slice(0, headerCount * LINE_SLOTS);
    // Colons are found here, once the bytes are contiguous. A native indexOf beats a JS byte loop
    // even though a colon-less line makes it look past its end.
    for (let b = 0; b < lines.length; b += LINE_SLOTS) {
      const c = raw.indexOf(COLON, lines[b]!);
      if (c !== -1 && c < lines[b + 2]!) lines[b + 1] = c;
    }
    this.startMessage();
    if (lines.length === 0 || lines[1] === -1) {
      // A message must start with `Key: value`; anything else is garbage (resynchronised here).
      this.onError(ErrorCodes.AMI_ERR_MALFORMED, `malformed AMI message: ${JSON.stringify(raw.toString('latin1', 0, Math.min(raw.length, 60)))}`);
      return;
    }
    this.onMessage(new AmiMessage(raw, lines, headerCount, bodyStart, bodyEnd));
  }

  /** Bytes [start, end) of the current message, which may span `parts` and `chunk`. */
  private bytes(chunk: Buffer, msgStart: number, start: number, end: number): Buffer {
    if (start >= this.held) return chunk.subarray(msgStart + start - this.held, msgStart + end - this.held);
    const all = Buffer.concat([...this.parts, chunk.subarray(msgStart, msgStart + end - this.held)]);
    return all.subarray(start, end);
  }

  private checkBanner(chunk: Buffer, msgStart: number, start: number, end: number): boolean {
    const line = this.bytes(chunk, msgStart, start, end);
    if (line.indexOf(COLON) !== -1) return false;
    const text = line.toString('latin1');
    const slash = text.lastIndexOf('/');
    this.version = slash === -1 ? text : text.slice(slash + 1);
    this.onBanner(this.version, text);
    return true;
  }

  private lineIs(chunk: Buffer, msgStart: number, start: number, end: number, lowered: Buffer): boolean {
    if (end - start !== lowered.length) return false;
    const line = this.bytes(chunk, msgStart, start, end);
    for (let i = 0; i < lowered.length; i++) if ((line[i]! | 0x20) !== lowered[i]) return false;
    return true;
  }

  private lineEndsWithMarker(chunk: Buffer, msgStart: number, start: number, end: number): boolean {
    for (const m of END_MARKERS) {
      if (end - start < m.length) continue;
      const tail = this.bytes(chunk, msgStart, end - m.length, end);
      if (tail.equals(m)) return true;
    }
    return false;
  }
}

const FOLLOWS_HEADERS = ['response', 'privilege', 'actionid'];

function isFollowsHeader(raw: Buffer, start: number, end: number): boolean {
  const colon = raw.indexOf(COLON, start);
  if (colon === -1 || colon >= end) return false;
  const key = raw.toString('latin1', start, colon).trim().toLowerCase();
  return FOLLOWS_HEADERS.includes(key);
}

function markerStart(raw: Buffer, end: number): number {
  for (const m of END_MARKERS) {
    const s = end - m.length;
    if (s >= 0 && raw.subarray(s, end).equals(m)) return s;
  }
  return end;
}
