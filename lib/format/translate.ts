// Asterisk's xml_translate() (main/manager.c), the engine behind both /mxml and /manager, on bytes.
// Spec §3.3/§3.4; every quirk below is Asterisk's and kept on purpose, because clients were written
// against it:
//  - A line ends at the first CR or LF, and one LF right after that terminator is swallowed: CRLF, LF
//    and a lone CR each end one line, but LF LF is ONE break (not a blank line); CRLF CRLF, CR LF LF
//    and LF CR do give a blank line.
//  - Trailing bytes below 0x21 are trimmed; a line left empty closes the current block.
//  - `Name: value` splits at the first colon; the name keeps leading blanks, loses trailing ones;
//    the value loses every leading byte below 0x21.
//  - A line without a colon starts "opaque" mode: name `Opaque-data`, and every later line of the
//    block (colon or not) is appended to that value after `\n` (xml) / `<br>\n` (html). The quote is
//    closed by the next blank line, or at once when that first opaque line is the last of the input;
//    input ending inside continuation lines leaves it open (Asterisk does the same).
//  - Duplicate names within a block get `-2`, `-3`, … counted on the RAW name, case-sensitively, so
//    `Variable` and `variable` both print `variable` (invalid XML, as in Asterisk).
//  - xml names: a leading digit gets a `_` prefix, any byte but [A-Za-z0-9] becomes `_`, letters are
//    lowercased. html names keep their bytes but are entity-escaped. Values are entity-escaped
//    (`< > " ' &`) and otherwise copied byte for byte (control bytes too).
// One deliberate difference: Asterisk works on a C string, so a NUL byte would end its output; here a
// NUL is an ordinary byte (Asterisk's own AMI output never holds one).
//
// Output goes to one module-level scratch buffer (translate() is synchronous, so sharing it is safe)
// and is copied out once at the end: no per-line allocation.
import * as wire from '../ami/wire.ts';
import * as esc from './escape.ts';

const { CR, LF, COLON } = wire;
const ENTITY = esc.ENTITY;
const MAX_ENTITY = esc.MAX_ENTITY;
/** 1 for the five bytes that become entities: a typed-array test is cheaper than the Buffer lookup. */
const SPECIAL = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if (ENTITY[c] !== undefined) t[c] = 1;
  return t;
})();

const UNDERSCORE = 0x5f;
const DASH = 0x2d;
const SPACE = 0x20;

/** xml name byte map: alnum → lowercase, everything else → `_`. */
const XML_NAME = (() => {
  const t = new Uint8Array(256).fill(UNDERSCORE);
  for (let c = 0x30; c <= 0x39; c++) t[c] = c;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = c;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = c + 32;
  return t;
})();

// Fixed pieces, precomputed once.
const OPAQUE_NAME = Buffer.from('Opaque-data');
const XML_ATTR_MID = Buffer.from("='");
const XML_QUOTE = Buffer.from("'");
const XML_DATA_NL = Buffer.from('\n');
const XML_BLOCK_END = Buffer.from(' /></response>\n');
const HTML_ROW_START = Buffer.from('<tr><td>');
const HTML_ROW_MID = Buffer.from('</td><td>');
const HTML_ROW_END = Buffer.from('</td></tr>\n');
const HTML_DATA_BR = Buffer.from('<br>\n');
const HTML_BLOCK_END = Buffer.from('<tr><td colspan="2"><hr></td></tr>\r\n');

// ---- output scratch ----------------------------------------------------------------------------
// The translator writes through a local (buffer, index) pair; capacity is checked once per line for
// the most that line can produce, so the byte loops below never check bounds themselves.

const SCRATCH_SIZE = 64 * 1024;
const SCRATCH_KEEP = 4 * 1024 * 1024;
let scratch: Buffer = Buffer.allocUnsafeSlow(SCRATCH_SIZE);

/** A scratch with room for `need` more bytes after `k` (contents up to k kept). */
function grow(o: Buffer, k: number, need: number): Buffer {
  let cap = o.length * 2;
  while (cap < k + need) cap *= 2;
  const next = Buffer.allocUnsafeSlow(cap);
  o.copy(next, 0, 0, k);
  scratch = next;
  return next;
}

/** Writes a short fixed piece; a byte loop beats Buffer#copy's call overhead at these sizes. */
function wr(o: Buffer, k: number, b: Buffer): number {
  const len = b.length;
  for (let i = 0; i < len; i++) o[k + i] = b[i]!;
  return k + len;
}

/** Entity-escaped copy of src[s, e) (xml_copy_escape mode 0). */
function wrEscaped(o: Buffer, k: number, src: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (SPECIAL[c] === 0) {
      o[k++] = c;
    } else {
      const ent = ENTITY[c]!;
      for (let j = 0; j < ent.length; j++) o[k++] = ent[j]!;
    }
  }
  return k;
}

/** xml_copy_escape mode 1|2: lowercase alnum, `_` for the rest, `_` before a leading digit. */
function wrXmlName(o: Buffer, k: number, src: Buffer, s: number, e: number): number {
  let i = s;
  // "The first character of an XML attribute cannot be a digit" (ASTERISK-29886, 16.25+).
  if (i < e && src[i]! >= 0x30 && src[i]! <= 0x39) {
    o[k++] = UNDERSCORE;
    o[k++] = src[i++]!;
  }
  for (; i < e; i++) o[k++] = XML_NAME[src[i]!]!;
  return k;
}

/** `-N` duplicate suffix. */
function wrSuffix(o: Buffer, k: number, count: number): number {
  o[k++] = DASH;
  return k + o.write(String(count), k, 'latin1');
}

// ---- duplicate-name counter (per block) ----------------------------------------------------------
// Open addressing over a power-of-two table keyed by a hash of the raw name bytes. A slot belongs to
// the current block only if its stamp equals `gen`, so starting a block is `gen++`, not a clear.
// Entries hold offsets into the input (start -1 stands for OPAQUE_NAME), never a reference to it.

let slots = 256;
let slotGen = new Int32Array(slots);
let slotHash = new Int32Array(slots);
let slotStart = new Int32Array(slots);
let slotEnd = new Int32Array(slots);
let slotCount = new Int32Array(slots);
let gen = 0;
let used = 0;

function newBlock(): void {
  used = 0;
  if (++gen === 0x7fffffff) {
    slotGen.fill(0);
    gen = 1;
  }
}

function hashName(name: Buffer, s: number, e: number): number {
  let h = 0x811c9dc5 | 0; // int32, as stored in slotHash
  for (let i = s; i < e; i++) h = Math.imul(h ^ name[i]!, 16777619);
  return h;
}

function sameName(src: Buffer, slot: number, name: Buffer, s: number, e: number): boolean {
  const st = slotStart[slot]!;
  const known = st === -1 ? OPAQUE_NAME : src;
  const ks = st === -1 ? 0 : st;
  const len = slotEnd[slot]! - ks;
  if (len !== e - s) return false;
  for (let i = 0; i < len; i++) if (known[ks + i] !== name[s + i]) return false;
  return true;
}

/** Occurrence number of this raw name in the current block (1 for the first). */
function countName(src: Buffer, name: Buffer, s: number, e: number): number {
  if (used * 2 >= slots) rehash();
  const h = hashName(name, s, e);
  const mask = slots - 1;
  let i = h & mask;
  while (slotGen[i] === gen) {
    if (slotHash[i] === h && sameName(src, i, name, s, e)) return ++slotCount[i]!;
    i = (i + 1) & mask;
  }
  slotGen[i] = gen;
  slotHash[i] = h;
  slotStart[i] = name === src ? s : -1;
  slotEnd[i] = e;
  slotCount[i] = 1;
  used++;
  return 1;
}

/** Doubles the table, keeping the current block's entries. */
function rehash(): void {
  const oGen = slotGen;
  const oHash = slotHash;
  const oStart = slotStart;
  const oEnd = slotEnd;
  const oCount = slotCount;
  const oSlots = slots;
  slots *= 2;
  slotGen = new Int32Array(slots);
  slotHash = new Int32Array(slots);
  slotStart = new Int32Array(slots);
  slotEnd = new Int32Array(slots);
  slotCount = new Int32Array(slots);
  const mask = slots - 1;
  for (let j = 0; j < oSlots; j++) {
    if (oGen[j] !== gen) continue;
    let i = oHash[j]! & mask;
    while (slotGen[i] === gen) i = (i + 1) & mask;
    slotGen[i] = gen;
    slotHash[i] = oHash[j]!;
    slotStart[i] = oStart[j]!;
    slotEnd[i] = oEnd[j]!;
    slotCount[i] = oCount[j]!;
  }
}

// ---- the translator ------------------------------------------------------------------------------

/**
 * Bound on what one line writes beyond 6× its own bytes (every byte an entity) and the opener: the
 * fixed pieces plus the 11-byte `Opaque-data` name (≤ 50), a `-N` suffix (≤ 11), the digit `_` (1).
 */
const LINE_SLACK = 64;

/**
 * `head` + translation of `src` (AMI output bytes) + `tail`, as a new Buffer. `open` is the xml block
 * opener (`<response type='object' id='DEST'><OBJTYPE`); null selects html rows.
 */
export function translate(src: Buffer, open: Buffer | null, head: Buffer | null, tail: Buffer | null): Buffer {
  const html = open === null;
  const openLen = open === null ? 0 : open.length;
  const end = src.length;
  let o: Buffer = scratch;
  let k = 0;
  if (head !== null) {
    if (head.length > o.length) o = grow(o, 0, head.length);
    k = wr(o, k, head);
  }
  let pos = 0;
  let inObj = false;
  let inData = false;
  newBlock();
  while (pos < end) {
    // One line: up to the first CR or LF, noting the first colon on the way.
    const ls = pos;
    let le = ls;
    let colon = -1;
    while (le < end) {
      const c = src[le]!;
      if (c === CR || c === LF) break;
      if (c === COLON && colon === -1) colon = le;
      le++;
    }
    if (le < end) {
      pos = le + 1;
      if (pos < end && src[pos] === LF) pos++; // strsep(&in, "\r\n") then "remove trailing \n if any"
    } else {
      pos = end;
    }
    let te = le;
    while (te > ls && src[te - 1]! < 0x21) te--;

    const need = (te - ls) * MAX_ENTITY + openLen + LINE_SLACK;
    if (k + need > o.length) o = grow(o, k, need);

    if (te === ls) {
      // Blank line: close the opaque value, then the block.
      if (inData) {
        k = wr(o, k, html ? HTML_ROW_END : XML_QUOTE);
        inData = false;
      }
      if (inObj) {
        k = wr(o, k, html ? HTML_BLOCK_END : XML_BLOCK_END);
        inObj = false;
        newBlock();
      }
      continue;
    }

    if (!inObj) {
      if (open !== null) k = wr(o, k, open);
      inObj = true;
    }

    if (inData) {
      // Opaque continuation: the whole trimmed line, colon or not.
      k = wr(o, k, html ? HTML_DATA_BR : XML_DATA_NL);
      k = wrEscaped(o, k, src, ls, te);
      continue;
    }

    let nameBuf: Buffer;
    let ns: number;
    let ne: number;
    let vs: number;
    if (colon !== -1 && colon < te) {
      nameBuf = src;
      ns = ls;
      ne = colon;
      while (ne > ns && src[ne - 1]! < 0x21) ne--;
      vs = colon + 1;
      while (vs < te && src[vs]! < 0x21) vs++;
    } else {
      nameBuf = OPAQUE_NAME;
      ns = 0;
      ne = OPAQUE_NAME.length;
      vs = ls;
      inData = true;
    }

    const count = countName(src, nameBuf, ns, ne);
    if (html) {
      k = wr(o, k, HTML_ROW_START);
      k = wrEscaped(o, k, nameBuf, ns, ne);
    } else {
      o[k++] = SPACE;
      k = wrXmlName(o, k, nameBuf, ns, ne);
    }
    if (count > 1) k = wrSuffix(o, k, count);
    k = wr(o, k, html ? HTML_ROW_MID : XML_ATTR_MID);
    k = wrEscaped(o, k, src, vs, te);
    if (!inData || pos >= end) k = wr(o, k, html ? HTML_ROW_END : XML_QUOTE);
  }
  if (inObj) {
    if (k + LINE_SLACK > o.length) o = grow(o, k, LINE_SLACK);
    k = wr(o, k, html ? HTML_BLOCK_END : XML_BLOCK_END);
  }
  if (tail !== null) {
    if (k + tail.length > o.length) o = grow(o, k, tail.length);
    k = wr(o, k, tail);
  }
  const result = Buffer.allocUnsafe(k);
  o.copy(result, 0, 0, k);
  if (o.length > SCRATCH_KEEP) scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  return result;
}
