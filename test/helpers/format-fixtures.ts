// Helpers for the golden tests: read the spec examples and captures in test/fixtures, split HTTP responses, build our
// own full responses, and rebuild AMI input from mxml/html output where no rawman twin exists.
import { readFileSync, readdirSync } from 'node:fs';
import { ajamHeaders, cookieAttributes, responseHead, setCookieValue, type AjamFormat } from '../../lib/format/http.ts';

import { CAPTURES, EXAMPLES } from './fixtures.ts';

export { CAPTURES, EXAMPLES };

/** Our cookie attributes beyond Asterisk's, as produced with no prefix: the only normalisation. */
export const OUR_COOKIE_EXTRA = '; Path=/; HttpOnly; SameSite=Strict';

export function listCaptures(): string[] {
  return readdirSync(CAPTURES)
    .filter((f) => f.startsWith('http_') && f.endsWith('.txt'))
    .sort();
}

/** An example `.txt` rendering back to bytes (`\r`, `\n`, `\t` are written out; real LFs are layout). */
export function readTxtExample(name: string): Buffer {
  const text = readFileSync(EXAMPLES + name, 'latin1').replace(/\n/g, '');
  return Buffer.from(text.replace(/\\r/g, '\r').replace(/\\n/g, '\n').replace(/\\t/g, '\t'), 'latin1');
}

export interface Response {
  status: number;
  /** Status line + headers + blank line. */
  head: Buffer;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Splits every HTTP response in `bytes` (curl -i of a digest exchange prints two). */
export function splitResponses(bytes: Buffer): Response[] {
  const out: Response[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at) + 4;
    const head = bytes.subarray(at, headEnd);
    const lines = head.toString('latin1').split('\r\n').filter((l) => l !== '');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers = lines.slice(1).map((l): [string, string] => {
      const i = l.indexOf(': ');
      return [l.slice(0, i), l.slice(i + 2)];
    });
    const len = Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? 0);
    // curl prints no body for an intermediate 401 of a digest exchange: the next response follows.
    const next = bytes.indexOf('HTTP/1.1 ', headEnd);
    const bodyEnd = next === headEnd ? headEnd : Math.min(headEnd + len, bytes.length);
    out.push({ status, head, headers, body: bytes.subarray(headEnd, bodyEnd) });
    at = bodyEnd;
  }
  return out;
}

export function header(r: Response, name: string): string | undefined {
  return r.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** The cookie id inside `mansession_id="…"`. */
export function cookieId(r: Response): string | undefined {
  const m = /mansession_id="([0-9a-f]+)"/.exec(header(r, 'Set-Cookie') ?? '');
  return m?.[1];
}

/**
 * Our full response for `body`, with Server, Date and cookie id taken from the reference response,
 * our extra cookie attributes removed again (the one normalisation).
 */
export function buildLike(ref: Response, format: AjamFormat, body: Buffer): Buffer {
  const id = cookieId(ref);
  const maxAge = Number(/Max-Age=(\d+)/.exec(header(ref, 'Set-Cookie') ?? '')?.[1] ?? 60);
  const headers = ajamHeaders({
    servername: header(ref, 'Server') ?? '',
    date: Date.parse(header(ref, 'Date')!),
    format,
    cookie: id === undefined ? undefined : setCookieValue(id, cookieAttributes(maxAge)),
    contentLength: body.length,
  });
  return Buffer.concat([normaliseCookie(responseHead(200, headers)), body]);
}

export function normaliseCookie(head: Buffer): Buffer {
  return Buffer.from(head.toString('latin1').replace(OUR_COOKIE_EXTRA + '\r\n', '\r\n'), 'latin1');
}

// ---- rebuilding AMI input from formatted output (only where no rawman twin exists) ----------------

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'", '&amp;': '&' };

export function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (e) => ENTITIES[e]!);
}

function sanitise(name: string): string {
  return name.replace(/^[0-9]/, (d) => '_' + d).replace(/[^A-Za-z0-9]/g, '_').toLowerCase();
}

let caseMap: Map<string, string> | undefined;

/**
 * mxml attribute name → the AMI header name Asterisk 22 actually prints (e.g. `cause_txt` →
 * `Cause-txt`), learned from every TCP capture and rawman body. mxml output does not depend on the
 * case, so this only makes the rebuilt input look like real AMI.
 */
export function amiNameFor(attr: string): string {
  if (caseMap === undefined) {
    caseMap = new Map();
    for (const f of readdirSync(CAPTURES)) {
      if (!f.endsWith('.recv') && !f.endsWith('.txt')) continue;
      for (const line of readFileSync(CAPTURES + f, 'latin1').split(/\r?\n/)) {
        const m = /^([A-Za-z][A-Za-z0-9_()-]*): /.exec(line);
        if (m !== null && !caseMap.has(sanitise(m[1]!))) caseMap.set(sanitise(m[1]!), m[1]!);
      }
    }
  }
  return caseMap.get(attr) ?? attr;
}

/** `name-N` duplicate suffix removed when `name` was already seen in the block. */
function baseName(name: string, seen: Set<string>): string {
  const m = /^(.*)-(\d+)$/.exec(name);
  return m !== null && seen.has(m[1]!) ? m[1]! : name;
}

/** AMI bytes that translate to the given mxml body (no opaque data): one message per <response>. */
export function amiFromMxml(body: Buffer): Buffer {
  let s = '';
  for (const line of body.toString('latin1').split('\n')) {
    const m = /^<response type='object' id='[^']*'><[^ />]+(.*) \/><\/response>$/.exec(line);
    if (m === null) continue;
    const seen = new Set<string>();
    for (const a of m[1]!.matchAll(/ ([^=]+)='([^']*)'/g)) {
      const name = baseName(a[1]!, seen);
      seen.add(name);
      s += `${amiNameFor(name)}: ${unescapeXml(a[2]!)}\r\n`;
    }
    s += '\r\n';
  }
  return Buffer.from(s, 'latin1');
}

/** AMI bytes that translate to the given html rows (the part after the preamble). */
export function amiFromHtml(rows: Buffer): Buffer {
  let s = '';
  let seen = new Set<string>();
  for (const line of rows.toString('latin1').split(/\r?\n/)) {
    if (line === '<tr><td colspan="2"><hr></td></tr>') {
      s += '\r\n';
      seen = new Set();
      continue;
    }
    const m = /^<tr><td>(.*?)<\/td><td>(.*)<\/td><\/tr>$/.exec(line);
    if (m === null) continue;
    const name = baseName(unescapeXml(m[1]!), seen);
    seen.add(name);
    s += `${name}: ${unescapeXml(m[2]!)}\r\n`;
  }
  return Buffer.from(s, 'latin1');
}

/** Splits AMI output into messages at blank lines (CRLF CRLF), each keeping its blank line. */
export function splitMessages(out: Buffer): Buffer[] {
  const msgs: Buffer[] = [];
  let at = 0;
  while (at < out.length) {
    const end = out.indexOf('\r\n\r\n', at);
    const stop = end === -1 ? out.length : end + 4;
    msgs.push(out.subarray(at, stop));
    at = stop;
  }
  return msgs;
}
