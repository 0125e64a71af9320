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
// Output goes to one module-level scratch buffer (these functions are synchronous, so sharing it is
// safe) and is copied out once at the end: no per-line allocation.
import * as wire from '../ami/wire.ts';
import * as esc from './escape.ts';

const { CR, LF, COLON } = wire;
const ENTITY = esc.ENTITY;
const MAX_ENTITY = esc.MAX_ENTITY;

const UNDERSCORE = 0x5f;
const DASH = 0x2d;

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
const XML_ATTR_START = Buffer.from(' ');
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

const SCRATCH_SIZE = 64 * 1024;
const SCRATCH_KEEP = 4 * 1024 * 1024;
let out = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
let n = 0;

function reserve(extra: number): void {
  if (n + extra <= out.length) return;
  let cap = out.length * 2;
  while (cap < n + extra) cap *= 2;
  const next = Buffer.allocUnsafeSlow(cap);
  out.copy(next, 0, 0, n);
  out = next;
}

function put(b: Buffer): void {
  const len = b.length;
  reserve(len);
  if (len > 16) {
    n += b.copy(out, n);
    return;
  }
  // Short fixed pieces: a byte loop beats Buffer#copy's call overhead.
  const o = out;
  for (let i = 0; i < len; i++) o[n + i] = b[i]!;
  n += len;
}

function putEscaped(src: Buffer, s: number, e: number): void {
  reserve((e - s) * MAX_ENTITY);
  const o = out;
  let k = n;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    const ent = ENTITY[c];
    if (ent === undefined) {
      o[k++] = c;
    } else {
      for (let j = 0; j < ent.length; j++) o[k++] = ent[j]!;
    }
  }
  n = k;
}

function putXmlName(src: Buffer, s: number, e: number): void {
  reserve(e - s + 1);
  const o = out;
  let k = n;
  let i = s;
  // "The first character of an XML attribute cannot be a digit" (ASTERISK-29886, 16.25+).
  if (i < e && src[i]! >= 0x30 && src[i]! <= 0x39) {
    o[k++] = UNDERSCORE;
    o[k++] = src[i++]!;
  }
  for (; i < e; i++) o[k++] = XML_NAME[src[i]!]!;
  n = k;
}

function putSuffix(count: number): void {
  reserve(12);
  out[n++] = DASH;
  n += out.write(String(count), n, 'latin1');
}

/** Copies the output so far into its own buffer and rewinds the scratch. */
function take(): Buffer {
  const result = Buffer.allocUnsafe(n);
  out.copy(result, 0, 0, n);
  n = 0;
  if (out.length > SCRATCH_KEEP) out = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  return result;
}

// ---- duplicate-name counter (per block) ----------------------------------------------------------
// A hash of the raw name bytes → entry index, with a chain for collisions; entries are parallel
// arrays reused across blocks, so counting allocates nothing once warm. Entries hold offsets into the
// input being translated (start -1 stands for OPAQUE_NAME), never a reference to it.

const dupIndex = new Map<number, number>();
let dupLen = 0;
let dupStart = new Int32Array(64);
let dupEnd = new Int32Array(64);
let dupCount = new Int32Array(64);
let dupNext = new Int32Array(64);

function dupReset(): void {
  if (dupLen === 0) return;
  dupIndex.clear();
  dupLen = 0;
}

function dupGrow(): void {
  const cap = dupStart.length * 2;
  const grow = (a: Int32Array) => {
    const b = new Int32Array(cap);
    b.set(a);
    return b;
  };
  dupStart = grow(dupStart);
  dupEnd = grow(dupEnd);
  dupCount = grow(dupCount);
  dupNext = grow(dupNext);
}

/** Occurrence number of this raw name in the current block (1 for the first). */
function dupCountName(src: Buffer, name: Buffer, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ name[i]!, 16777619);
  h &= 0x3fffffff; // stays a small integer for the Map
  let idx = dupIndex.get(h);
  let last = -1;
  while (idx !== undefined && idx !== -1) {
    const st = dupStart[idx]!;
    const known = st === -1 ? OPAQUE_NAME : src;
    if (sameBytes(known, st === -1 ? 0 : st, dupEnd[idx]!, name, s, e)) return ++dupCount[idx]!;
    last = idx;
    idx = dupNext[idx];
  }
  if (dupLen === dupStart.length) dupGrow();
  const k = dupLen++;
  dupStart[k] = name === src ? s : -1;
  dupEnd[k] = e;
  dupCount[k] = 1;
  dupNext[k] = -1;
  if (last === -1) dupIndex.set(h, k);
  else dupNext[last] = k;
  return 1;
}

function sameBytes(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let i = 0; i < ae - as; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

// ---- the translator ------------------------------------------------------------------------------

/**
 * Appends the translation of `src` (AMI output bytes) to the scratch. `open` is the xml block opener
 * (`<response type='object' id='DEST'><OBJTYPE`); null selects html rows.
 */
function translateInto(src: Buffer, open: Buffer | null): void {
  const html = open === null;
  const end = src.length;
  let pos = 0;
  let inObj = false;
  let inData = false;
  dupReset();
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

    if (te === ls) {
      // Blank line: close the opaque value, then the block.
      if (inData) {
        put(html ? HTML_ROW_END : XML_QUOTE);
        inData = false;
      }
      if (inObj) {
        put(html ? HTML_BLOCK_END : XML_BLOCK_END);
        inObj = false;
        dupReset();
      }
      continue;
    }

    if (!inObj) {
      if (!html) put(open);
      inObj = true;
    }

    if (inData) {
      // Opaque continuation: the whole trimmed line, colon or not.
      put(html ? HTML_DATA_BR : XML_DATA_NL);
      putEscaped(src, ls, te);
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

    put(html ? HTML_ROW_START : XML_ATTR_START);
    const count = dupCountName(src, nameBuf, ns, ne);
    if (html) putEscaped(nameBuf, ns, ne);
    else putXmlName(nameBuf, ns, ne);
    if (count > 1) putSuffix(count);
    put(html ? HTML_ROW_MID : XML_ATTR_MID);
    putEscaped(src, vs, te);
    if (!inData || pos >= end) put(html ? HTML_ROW_END : XML_QUOTE);
  }
  if (inObj) put(html ? HTML_BLOCK_END : XML_BLOCK_END);
  dupReset();
}

/**
 * `head` + translation of `src` + `tail`, as a new Buffer. `open` null means html rows, otherwise it
 * is the xml block opener.
 */
export function translate(src: Buffer, open: Buffer | null, head: Buffer | null, tail: Buffer | null): Buffer {
  n = 0;
  if (head !== null) put(head);
  translateInto(src, open);
  if (tail !== null) put(tail);
  return take();
}
