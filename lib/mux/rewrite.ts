// Gives a message routed back to a caller the caller's own ActionID: every ActionID line's value is
// replaced (or the lines removed when the caller gave none; or one inserted after the first line when
// the message had none). Same bytes as `msg.withActionId(id)`, but the new AmiMessage is built by
// shifting the existing line offsets — no re-scan of the bytes — and a `Response: Follows` body keeps
// its range.
import { AmiMessage, LINE_SLOTS as SLOTS } from '../ami/message.ts';
import * as wire from '../ami/wire.ts';

const { CR, SPACE, TAB } = wire;
const LINE_SLOTS = SLOTS;

export function restoreActionId(msg: AmiMessage, id: string | undefined): AmiMessage {
  const raw = msg.raw;
  const src = msg.lines;
  const base = msg.base; // a parser's messages may share one offsets array
  const count = msg.count;
  // Find the ActionID lines first; nearly always exactly one.
  let first = -1;
  let found = 0;
  for (let i = 0; i < count; i++) {
    if (msg.keyEquals(i, 'actionid')) {
      if (first === -1) first = i;
      found++;
    }
  }
  if (first === -1) {
    if (id === undefined || count === 0) return msg;
    return insertHeader(msg, 'ActionID', id);
  }
  if (found === 1) return replaceOne(msg, first, id);

  const idLen = id === undefined ? 0 : Buffer.byteLength(id);
  // Pass 1: size of the result.
  let size = raw.length;
  for (let i = first; i < count; i++) {
    if (!msg.keyEquals(i, 'actionid')) continue;
    const b = base + i * LINE_SLOTS;
    if (id === undefined) size -= lineNext(raw, src[b + 2]!) - src[b]!;
    else size += idLen - (src[b + 2]! - valueStart(raw, src, b));
  }
  const out = Buffer.allocUnsafe(size);
  const lines = takeRecords((id === undefined ? count - found : count) * LINE_SLOTS);
  const o = recordsBase;
  // Lines before the first ActionID line keep their offsets.
  const head = first * LINE_SLOTS;
  for (let j = 0; j < head; j++) lines[o + j] = src[base + j]!;

  // Pass 2: copy segments (as few and as large as possible: Buffer#copy has a fixed cost), shifting
  // offsets by `delta`.
  let delta = 0;
  let w = o + head; // write index in lines
  let copied = 0; // bytes of raw copied so far
  for (let i = first; i < count; i++) {
    const b = base + i * LINE_SLOTS;
    const start = src[b]!;
    const colon = src[b + 1]!;
    const end = src[b + 2]!;
    if (!msg.keyEquals(i, 'actionid')) {
      lines[w] = start + delta;
      lines[w + 1] = colon === -1 ? -1 : colon + delta;
      lines[w + 2] = end + delta;
      w += LINE_SLOTS;
      continue;
    }
    if (id === undefined) {
      // Everything up to this line, then skip it.
      if (start > copied) raw.copy(out, copied + delta, copied, start);
      const next = lineNext(raw, end);
      delta -= next - start;
      copied = next;
    } else {
      // Everything up to the value, then the id.
      const vs = valueStart(raw, src, b);
      raw.copy(out, copied + delta, copied, vs);
      out.write(id, vs + delta, 'utf8');
      lines[w] = start + delta;
      lines[w + 1] = colon + delta;
      delta += idLen - (end - vs);
      lines[w + 2] = end + delta;
      w += LINE_SLOTS;
      copied = end;
    }
  }
  raw.copy(out, copied + delta, copied);
  const bs = msg.bodyStart;
  return new AmiMessage(out, lines, o, (w - o) / LINE_SLOTS, bs === -1 ? -1 : bs + delta, bs === -1 ? -1 : msg.bodyEnd + delta);
}

/**
 * The usual case, exactly one ActionID line (line `at`): two copies around it and one offset
 * shift, no second scan. Copies of a few dozen bytes go through copyBytes.
 */
function replaceOne(msg: AmiMessage, at: number, id: string | undefined): AmiMessage {
  const raw = msg.raw;
  const src = msg.lines;
  const base = msg.base;
  const count = msg.count;
  const b = base + at * LINE_SLOTS;
  const start = src[b]!;
  const end = src[b + 2]!;
  const len = raw.length;
  let out: Buffer;
  let lines: Int32Array;
  let cut: number; // first byte after the replaced part, in raw
  let delta: number; // shift of everything from `cut` on
  if (id === undefined) {
    cut = lineNext(raw, end);
    delta = start - cut;
    out = Buffer.allocUnsafe(len + delta);
    copyBytes(raw, 0, out, 0, start);
    lines = takeRecords((count - 1) * LINE_SLOTS);
  } else {
    const vs = valueStart(raw, src, b);
    const idLen = Buffer.byteLength(id);
    cut = end;
    delta = vs + idLen - end;
    out = Buffer.allocUnsafe(len + delta);
    copyBytes(raw, 0, out, 0, vs);
    if (idLen === id.length) for (let j = 0; j < idLen; j++) out[vs + j] = id.charCodeAt(j);
    else out.write(id, vs, 'utf8');
    lines = takeRecords(count * LINE_SLOTS);
  }
  const o = recordsBase;
  copyBytes(raw, cut, out, cut + delta, len - cut);
  const head = at * LINE_SLOTS;
  for (let j = 0; j < head; j++) lines[o + j] = src[base + j]!;
  let w = o + head;
  if (id !== undefined) {
    lines[w] = start;
    lines[w + 1] = src[b + 1]!;
    lines[w + 2] = end + delta;
    w += LINE_SLOTS;
  }
  for (let i = at + 1; i < count; i++) {
    const r = base + i * LINE_SLOTS;
    const colon = src[r + 1]!;
    lines[w] = src[r]! + delta;
    lines[w + 1] = colon === -1 ? -1 : colon + delta;
    lines[w + 2] = src[r + 2]! + delta;
    w += LINE_SLOTS;
  }
  const bs = msg.bodyStart;
  return new AmiMessage(out, lines, o, (w - o) / LINE_SLOTS, bs === -1 ? -1 : bs + delta, bs === -1 ? -1 : msg.bodyEnd + delta);
}

/** Buffer#copy has a fixed cost of several JS and native calls: short runs are copied inline. */
function copyBytes(from: Buffer, at: number, to: Buffer, toAt: number, n: number): void {
  if (n > 64) {
    from.copy(to, toAt, at, at + n);
    return;
  }
  for (let j = 0; j < n; j++) to[toAt + j] = from[at + j]!;
}

/** Rare path (a message without an ActionID line): one is inserted after the first line. */
/**
 * The message with `key: value` inserted as its second line (after `Response:` / `Event:`), in the
 * message's own line ending; offsets shifted, not re-scanned. Key and value must hold no CR or LF.
 */
export function insertHeader(msg: AmiMessage, key: string, value: string): AmiMessage {
  const raw = msg.raw;
  const src = msg.lines;
  const base = msg.base;
  const count = msg.count;
  if (count === 0) return msg;
  const at = lineNext(raw, src[base + 2]!);
  const eol = raw[at - 2] === CR ? '\r\n' : '\n';
  const line = key + ': ' + value;
  const lineLen = Buffer.byteLength(line);
  const ins = lineLen + eol.length;
  const out = Buffer.allocUnsafe(raw.length + ins);
  raw.copy(out, 0, 0, at);
  out.write(line + eol, at, 'utf8');
  raw.copy(out, at + ins, at);
  const lines = takeRecords((count + 1) * LINE_SLOTS);
  const o = recordsBase;
  lines[o] = src[base]!;
  lines[o + 1] = src[base + 1]!;
  lines[o + 2] = src[base + 2]!;
  lines[o + 3] = at;
  lines[o + 4] = at + Buffer.byteLength(key);
  lines[o + 5] = at + lineLen;
  for (let i = 1; i < count; i++) {
    const b = base + i * LINE_SLOTS;
    const w = o + (i + 1) * LINE_SLOTS;
    const colon = src[b + 1]!;
    lines[w] = src[b]! + ins;
    lines[w + 1] = colon === -1 ? -1 : colon + ins;
    lines[w + 2] = src[b + 2]! + ins;
  }
  const bs = msg.bodyStart;
  return new AmiMessage(out, lines, o, count + 1, bs === -1 ? -1 : bs + ins, bs === -1 ? -1 : msg.bodyEnd + ins);
}

// Line records of rewritten messages come from a shared pool, as the parser's do: a typed array per
// message cost more than the whole byte copy (~2 µs; measured over the corpus). A pool lives while
// any message made from it does.
const RECORDS_POOL = 16384;
let records = new Int32Array(RECORDS_POOL);
let recordsUsed = 0;
/** Where the records taken last start in the array takeRecords returned. */
let recordsBase = 0;

/** `n` int32 slots in the current pool (at recordsBase of the array returned). */
function takeRecords(n: number): Int32Array {
  if (recordsUsed + n > records.length) {
    records = new Int32Array(Math.max(RECORDS_POOL, n));
    recordsUsed = 0;
  }
  recordsBase = recordsUsed;
  recordsUsed += n;
  return records;
}

function valueStart(raw: Buffer, src: Int32Array, b: number): number {
  let p = src[b + 1]! + 1;
  const end = src[b + 2]!;
  while (p < end && (raw[p] === SPACE || raw[p] === TAB)) p++;
  return p;
}

/** Offset just after the terminator of a line ending at `end`. */
function lineNext(raw: Buffer, end: number): number {
  if (end >= raw.length) return end;
  return raw[end] === CR ? end + 2 : end + 1;
}
