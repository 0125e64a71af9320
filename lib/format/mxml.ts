// /mxml: AMI output → `<ajax-response>` XML, byte for byte as Asterisk's xml_translate() (spec §3.3;
// the line and name rules live in translate.ts).
//
// Deliberate fix (spec §8.7): Asterisk pastes `ajaxdest` and `ajaxobjtype` into the markup unescaped,
// an XML injection vector. Here `ajaxdest` is entity-escaped inside its attribute and `ajaxobjtype`
// is reduced to a valid element name (see elementName). Ordinary values such as `pingdiv`/`pong`
// come out exactly as Asterisk prints them.
import { escapeXml } from './escape.ts';
import { translate } from './translate.ts';

export const MXML_HEAD = Buffer.from('<ajax-response>\n');
export const MXML_TAIL = Buffer.from('</ajax-response>\n');
export const DEFAULT_DEST = 'unknown';
export const DEFAULT_OBJTYPE = 'generic';

const DEFAULT_OPEN = Buffer.from(`<response type='object' id='${DEFAULT_DEST}'><${DEFAULT_OBJTYPE}`);

// Openers for non-default (dest, objtype) pairs: a client polling with the same ajaxdest reuses one.
const OPEN_CACHE_MAX = 256;
const openCache = new Map<string, Buffer>();

const NAME_START = /^[A-Za-z_]/;
const NOT_NAME_CHAR = /[^A-Za-z0-9_.-]/g;

/**
 * `ajaxobjtype` as an XML element name: any character outside `[A-Za-z0-9_.-]` becomes `_`, and a
 * name that does not start with a letter or `_` gets a `_` prefix. Empty → `generic`.
 */
export function elementName(objtype: string): string {
  if (objtype === '') return DEFAULT_OBJTYPE;
  const s = objtype.replace(NOT_NAME_CHAR, '_');
  return NAME_START.test(s) ? s : '_' + s;
}

/** The block opener `<response type='object' id='DEST'><OBJTYPE`; empty or missing → the defaults. */
export function mxmlOpen(dest?: string, objtype?: string): Buffer {
  const d = dest === undefined || dest === '' ? DEFAULT_DEST : dest;
  const o = objtype === undefined || objtype === '' ? DEFAULT_OBJTYPE : objtype;
  if (d === DEFAULT_DEST && o === DEFAULT_OBJTYPE) return DEFAULT_OPEN;
  const key = d + '\u0000' + o;
  let open = openCache.get(key);
  if (open === undefined) {
    open = Buffer.from(`<response type='object' id='${escapeXml(d)}'><${elementName(o)}`);
    if (openCache.size >= OPEN_CACHE_MAX) openCache.clear();
    openCache.set(key, open);
  }
  return open;
}

/**
 * The whole /mxml body for one request's AMI output (every message of the reply, concatenated as
 * Asterisk's temp file holds them). Empty output → `<ajax-response>\n</ajax-response>\n`.
 */
export function mxml(out: Buffer, ajaxdest?: string, ajaxobjtype?: string): Buffer {
  return translate(out, mxmlOpen(ajaxdest, ajaxobjtype), MXML_HEAD, MXML_TAIL);
}

/**
 * The `<response …/></response>\n` block(s) of one AMI message, without the envelope, so an event
 * can be formatted once and shared. Joining the blocks of consecutive messages with mxmlJoin gives
 * exactly mxml() of their concatenation whenever each message ends in a break the translator reads
 * as a blank line (CRLF CRLF, as Asterisk always sends, or CRLF LF). A message framed with bare LFs
 * (`…\n\n`) would, in Asterisk, run on into the next message's block; the per-message form closes it.
 */
export function mxmlBlock(message: Buffer, ajaxdest?: string, ajaxobjtype?: string): Buffer {
  return translate(message, mxmlOpen(ajaxdest, ajaxobjtype), null, null);
}

/** `<ajax-response>\n` + blocks + `</ajax-response>\n`. */
export function mxmlJoin(blocks: readonly Buffer[]): Buffer {
  return Buffer.concat([MXML_HEAD, ...blocks, MXML_TAIL]);
}

/**
 * `ajaxdest` / `ajaxobjtype` from request parameters as Asterisk picks them: the LAST parameter of
 * that name, compared case-insensitively; an empty value means the default.
 */
export function ajaxTarget(params: ReadonlyArray<readonly [string, string]>): { dest: string; objtype: string } {
  let dest = '';
  let objtype = '';
  for (const [k, v] of params) {
    if (k.length === 8 && k.toLowerCase() === 'ajaxdest') dest = v;
    else if (k.length === 11 && k.toLowerCase() === 'ajaxobjtype') objtype = v;
  }
  return { dest: dest === '' ? DEFAULT_DEST : dest, objtype: objtype === '' ? DEFAULT_OBJTYPE : objtype };
}
