// The session cookie (spec §2.1): `mansession_id`, read from one Cookie header value. (Set-Cookie
// is written by lib/format/http.ts.)

export const SESSION_COOKIE = 'mansession_id';

const ID_RE = /^[0-9a-f]{32}$/;

/**
 * The session id carried by a Cookie header value, lowercased, or undefined. As Asterisk: names
 * match case-insensitively, surrounding double quotes are stripped (browsers following RFC 6265
 * send them back), and the last `mansession_id` wins even when it is garbage. Only our own id
 * shape (32 hex digits) is returned; anything else can never name a session.
 */
export function sessionIdFromCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const fast = onlyOurCookie(header);
  if (fast !== null) return fast;
  let found: string | undefined;
  let start = 0;
  const n = header.length;
  while (start < n) {
    let end = header.indexOf(';', start);
    if (end === -1) end = n;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim().toLowerCase() === SESSION_COOKIE) {
      let v = header.slice(eq + 1, end).trim();
      if (v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34) v = v.slice(1, -1).trim();
      found = v;
    }
    start = end + 1;
  }
  if (found === undefined) return undefined;
  const id = found.toLowerCase();
  return ID_RE.test(id) ? id : undefined;
}

const PREFIX = SESSION_COOKIE + '=';
const ID_LENGTH = 32;

/**
 * The common header, our cookie alone as we set it (`mansession_id="<id>"` or unquoted, lowercase
 * hex): its id without slicing, trimming and a regex per request. null: take the general path.
 */
function onlyOurCookie(h: string): string | null {
  const n = h.length;
  let start = PREFIX.length;
  let end = n;
  if (n === start + ID_LENGTH + 2 && h.charCodeAt(start) === 34 && h.charCodeAt(n - 1) === 34) {
    start++;
    end--;
  } else if (n !== start + ID_LENGTH) {
    return null;
  }
  if (!h.startsWith(PREFIX)) return null;
  for (let i = start; i < end; i++) {
    const c = h.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return null;
  }
  return h.slice(start, end);
}
