// Pure request parsing for the AJAM endpoints: path matching (spec §1.2), methods (§1.3),
// parameters (§1.4) and limits (§1.5). No sockets here; lib/http/server.ts feeds it strings.

/** Route kinds returned by matchRoute. */
export const ROUTE_NONE = 0;
export const ROUTE_RAWMAN = 1;
export const ROUTE_MXML = 2;
export const ROUTE_MANAGER = 3;
export const ROUTE_STATIC = 4;
export const ROUTE_HEALTH = 5;
/** HTTP Digest variants of rawman / mxml / manager (spec §2.5). */
export const ROUTE_ARAWMAN = 6;
export const ROUTE_AMXML = 7;
export const ROUTE_AMANAGER = 8;
/** Operations: Prometheus metrics, liveness and readiness. */
export const ROUTE_METRICS = 9;
export const ROUTE_HEALTHZ = 10;
export const ROUTE_READYZ = 11;
/** JSON replies (cookie and digest), and the push endpoints (not in Asterisk). */
export const ROUTE_JSON = 12;
export const ROUTE_AJSON = 13;
export const ROUTE_WS = 14;
export const ROUTE_EVENTS = 15;
export type RouteKind = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15;

/** Limits from spec §1.5 (Asterisk's MAX_HTTP_LINE_LENGTH, AST_MAX_MANHEADERS, MAX_CONTENT_LENGTH). */
export const MAX_REQUEST_LINE = 4096;
export const MAX_PARAMS = 128;
export const MAX_BODY = 40960;

export type Param = [name: string, value: string];

// Exact (no-subtree) handlers: `/name` or `/name/` match, `/name/x` does not.
const EXACT: ReadonlyArray<readonly [string, RouteKind]> = [
  ['rawman', ROUTE_RAWMAN],
  ['mxml', ROUTE_MXML],
  ['manager', ROUTE_MANAGER],
  ['health', ROUTE_HEALTH],
  ['arawman', ROUTE_ARAWMAN],
  ['amxml', ROUTE_AMXML],
  ['amanager', ROUTE_AMANAGER],
  ['metrics', ROUTE_METRICS],
  ['healthz', ROUTE_HEALTHZ],
  ['readyz', ROUTE_READYZ],
  ['json', ROUTE_JSON],
  ['ajson', ROUTE_AJSON],
  ['ws', ROUTE_WS],
  ['events', ROUTE_EVENTS],
];
const STATIC = 'static';

/**
 * `prefix` as written in the config (`asterisk`, `/asterisk/` or empty) → the form matched against
 * paths: `/asterisk`, or '' for no prefix.
 */
export function normalizePrefix(prefix: string): string {
  let s = 0;
  let e = prefix.length;
  while (s < e && prefix.charCodeAt(s) === 47) s++;
  while (e > s && prefix.charCodeAt(e - 1) === 47) e--;
  return s === e ? '' : '/' + prefix.slice(s, e);
}

/** Offset just after `<prefix>/` in path, or -1 (the prefix compare is case-insensitive). */
function afterPrefix(path: string, prefix: string): number {
  const n = prefix.length;
  if (path.length <= n || path.charCodeAt(n) !== 47) return -1;
  if (n !== 0 && path.slice(0, n).toLowerCase() !== prefix.toLowerCase()) return -1;
  return n + 1;
}

function startsWithCI(s: string, at: number, word: string): boolean {
  return s.length - at >= word.length && s.slice(at, at + word.length).toLowerCase() === word;
}

/**
 * Matches a raw (not percent-decoded) path under `prefix` (normalized, see normalizePrefix) as
 * Asterisk's handle_uri does: case-insensitive names, an optional single trailing slash.
 */
export function matchRoute(path: string, prefix: string): RouteKind {
  const at = afterPrefix(path, prefix);
  if (at === -1) return ROUTE_NONE;
  for (const [name, kind] of EXACT) {
    if (!startsWithCI(path, at, name)) continue;
    const end = at + name.length;
    if (path.length === end || (path.length === end + 1 && path.charCodeAt(end) === 47)) return kind;
  }
  if (startsWithCI(path, at, STATIC)) {
    const end = at + STATIC.length;
    if (path.length === end || path.charCodeAt(end) === 47) return ROUTE_STATIC;
  }
  return ROUTE_NONE;
}

/** The part of a static route's path after `<prefix>/static/` ('' when there is none). */
export function staticSubpath(path: string, prefix: string): string {
  return path.slice(afterPrefix(path, prefix) + STATIC.length + 1);
}

/** GET, HEAD and POST run the action (spec §1.3); anything else is 501. */
export function isAllowedMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'POST';
}

/** `METHOD SP path[?query]` over MAX_REQUEST_LINE bytes (UTF-8 counted only when it could matter). */
export function requestLineTooLong(method: string, path: string, query: string): boolean {
  const chars = method.length + 1 + path.length + (query.length === 0 ? 0 : 1 + query.length);
  // A UTF-16 unit is at most 3 UTF-8 bytes: skip the byte count while it cannot matter.
  if (chars * 3 <= MAX_REQUEST_LINE) return false;
  const bytes =
    method.length + 1 + Buffer.byteLength(path) + (query.length === 0 ? 0 : 1 + Buffer.byteLength(query));
  return bytes > MAX_REQUEST_LINE;
}

/** `Content-Type: application/x-www-form-urlencoded[; params]`, case-insensitive (spec §1.4). */
export function isFormContentType(value: string): boolean {
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim();
  return type.length === 33 && type.toLowerCase() === 'application/x-www-form-urlencoded';
}

const AMP = 38;
const EQ = 61;
const PLUS = 43;
const PCT = 37;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** ast_uri_decode(..., ast_uri_http_legacy) on buf[start, end): `+` → space, `%XX` → byte, bad `%` kept. */
function decodeRange(buf: Buffer, start: number, end: number): string {
  let i = start;
  while (i < end && buf[i] !== PCT && buf[i] !== PLUS) i++;
  if (i === end) return buf.toString('utf8', start, end);
  const out = Buffer.allocUnsafe(end - start);
  let n = buf.copy(out, 0, start, i);
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === PLUS) {
      out[n++] = 32;
    } else if (c === PCT && i + 2 < end) {
      const h = hexVal(buf[i + 1]!);
      const l = hexVal(buf[i + 2]!);
      if (h === -1 || l === -1) {
        out[n++] = c;
      } else {
        out[n++] = (h << 4) | l;
        i += 2;
      }
    } else {
      out[n++] = c;
    }
  }
  // Decoded bytes are read as UTF-8 (invalid sequences become U+FFFD).
  return out.toString('utf8', 0, n);
}

/**
 * Splits a query string or form body into parameters, in order, duplicates kept (spec §1.4).
 * Each `&` item splits at its first `=`; an item without `=` gets ''. Items with an empty name are
 * dropped (Asterisk would turn them into a meaningless `: value` header). Returns null when there
 * are more than `max` parameters.
 * CR, LF and NUL are kept as decoded: the dispatcher rejects them with an AMI error.
 */
export function parseParams(src: string | Buffer, max = MAX_PARAMS): Param[] | null {
  if (typeof src === 'string') {
    if (src.indexOf('%') === -1 && src.indexOf('+') === -1) return splitPlain(src, max);
    src = Buffer.from(src, 'utf8');
  }
  const buf = src;
  const out: Param[] = [];
  const len = buf.length;
  let start = 0;
  while (start <= len) {
    let end = buf.indexOf(AMP, start);
    if (end === -1) end = len;
    if (end > start) {
      let eq = start;
      while (eq < end && buf[eq] !== EQ) eq++;
      if (eq > start) {
        if (out.length === max) return null;
        const name = decodeRange(buf, start, eq);
        const value = eq === end ? '' : decodeRange(buf, eq + 1, end);
        if (name.length !== 0) out.push([name, value]);
      }
    }
    start = end + 1;
  }
  return out;
}

/** parseParams for a string with nothing to decode (the common `action=Ping&ActionID=1`). */
function splitPlain(src: string, max: number): Param[] | null {
  const out: Param[] = [];
  const len = src.length;
  let start = 0;
  while (start <= len) {
    let end = src.indexOf('&', start);
    if (end === -1) end = len;
    if (end > start) {
      let eq = src.indexOf('=', start);
      if (eq === -1 || eq > end) eq = end;
      if (eq > start) {
        if (out.length === max) return null;
        out.push([src.slice(start, eq), eq === end ? '' : src.slice(eq + 1, end)]);
      }
    }
    start = end + 1;
  }
  return out;
}
