// HTTP framing shared by the http layer: Asterisk's response header order (ast_http_send, spec §3.1),
// the session cookie, the date, and the error page body (ast_http_create_response).
// Headers are [name, value] pairs in wire order so any server (uWS or node:http) can write them.
import { escapeXml } from './escape.ts';

export type Header = [name: string, value: string];

export type AjamFormat = 'rawman' | 'mxml' | 'manager';

/** `Content-type` per format (Asterisk writes "Content-type", lowercase t, no charset). */
export const CONTENT_TYPE: Readonly<Record<AjamFormat, string>> = {
  rawman: 'text/plain',
  mxml: 'text/xml',
  manager: 'text/html',
};

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  302: 'Moved Temporarily',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** [status, title, text] of the error pages Asterisk sends (spec §1.2, §1.3, §1.5, §2.5). */
export const ERROR_TEXT = {
  notFound: [404, 'Not Found', 'The requested URL was not found on this server.'],
  notImplemented: [501, 'Not Implemented', 'Attempt to use unimplemented / unsupported method'],
  bodyTooLarge: [413, 'Request Entity Too Large', 'Body too large'],
  tooManyHeaders: [413, 'Request Entity Too Large', 'Too many headers'],
  lineTooLong: [400, 'Bad Request', 'Request line too long'],
  badBody: [400, 'Bad Request', 'Error parsing request body'],
  badContentLength: [400, 'Bad Request', 'Invalid Content-Length in request!'],
  unauthorized: [401, 'Unauthorized', ''],
  aclDenied: [403, 'Forbidden', 'Access denied by ACL'],
} as const satisfies Record<string, readonly [number, string, string]>;

const CACHE_CONTROL: Header = ['Cache-Control', 'no-cache, no-store'];
const CONNECTION_CLOSE: Header = ['Connection', 'close'];
const PRAGMA: Header = ['Pragma', 'SuppressEvents'];

// ---- date ----------------------------------------------------------------------------------------

let dateSecond = -1;
let dateText = '';

/** IMF-fixdate (`Sat, 15 Aug 2026 10:00:00 GMT`, Asterisk's "%a, %d %b %Y %H:%M:%S GMT"); cached per second. */
export function httpDate(date: Date | number = Date.now()): string {
  const ms = typeof date === 'number' ? date : date.getTime();
  const sec = Math.floor(ms / 1000);
  if (sec !== dateSecond) {
    dateText = new Date(sec * 1000).toUTCString();
    dateSecond = sec;
  }
  return dateText;
}

// ---- cookie --------------------------------------------------------------------------------------

/**
 * The attributes after the cookie value: Asterisk's `; Version=1; Max-Age=<httptimeout>` plus ours,
 * `; Path=/<prefix>; HttpOnly; SameSite=Strict` (`Path=/` without a prefix). Compute once per config.
 * `prefix` may be written `asterisk`, `/asterisk` or `/asterisk/`.
 */
export function cookieAttributes(maxAge: number, prefix = ''): string {
  let s = 0;
  let e = prefix.length;
  while (s < e && prefix.charCodeAt(s) === 47) s++;
  while (e > s && prefix.charCodeAt(e - 1) === 47) e--;
  return `; Version=1; Max-Age=${maxAge}; Path=/${prefix.slice(s, e)}; HttpOnly; SameSite=Strict`;
}

/**
 * `mansession_id="<id>"<attributes>`. Quoted like Asterisk (browsers then send the quotes back;
 * the session layer accepts both forms). `id` is the session store's hex id and is trusted as is.
 */
export function setCookieValue(id: string, attributes: string): string {
  return 'mansession_id="' + id + '"' + attributes;
}

// ---- header lists --------------------------------------------------------------------------------

export interface ResponseHeaderOptions {
  /** `Server:` value; '' omits the header (Asterisk: servername set blank). */
  servername: string;
  /** Defaults to now. */
  date?: Date | number;
  /** Adds `Connection: close` in Asterisk's place (after Date). */
  close?: boolean;
  contentLength: number;
}

/**
 * ast_http_send's order: Server, Date, [Connection: close], Cache-Control, then the handler's own
 * headers (`middle`), then Content-Length.
 */
export function responseHeaders(o: ResponseHeaderOptions, middle: readonly Header[]): Header[] {
  const h: Header[] = [];
  if (o.servername !== '') h.push(['Server', o.servername]);
  h.push(['Date', httpDate(o.date)]);
  if (o.close === true) h.push(CONNECTION_CLOSE);
  h.push(CACHE_CONTROL);
  for (const m of middle) h.push(m);
  h.push(['Content-Length', String(o.contentLength)]);
  return h;
}

export interface AjamHeaderOptions extends ResponseHeaderOptions {
  format: AjamFormat;
  /**
   * Full Set-Cookie value (setCookieValue). Present on the cookie endpoints, which also send
   * `Pragma: SuppressEvents`; omit it for the digest endpoints, which send neither.
   */
  cookie?: string;
}

/** Headers of a /rawman, /mxml or /manager reply (or /a* digest reply without `cookie`). */
export function ajamHeaders(o: AjamHeaderOptions): Header[] {
  const middle: Header[] = [['Content-type', CONTENT_TYPE[o.format]]];
  if (o.cookie !== undefined) middle.push(['Set-Cookie', o.cookie], PRAGMA);
  return responseHeaders(o, middle);
}

/** Headers of an error page; `extra` (e.g. WWW-authenticate) goes before Content-type as in Asterisk. */
export function errorHeaders(o: ResponseHeaderOptions, extra: readonly Header[] = []): Header[] {
  return responseHeaders(o, [...extra, ['Content-type', 'text/html']]);
}

/** `HTTP/1.1 <status> <text>\r\n` + headers + blank line. Asterisk always answers HTTP/1.1. */
export function responseHead(status: number, headers: readonly Header[]): Buffer {
  let s = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n`;
  for (const [k, v] of headers) s += k + ': ' + v + '\r\n';
  return Buffer.from(s + '\r\n', 'latin1');
}

// ---- error page ----------------------------------------------------------------------------------

/**
 * The HTML body of an HTTP error (400/401/403/404/413/500/501), byte for byte as Asterisk's
 * ast_http_create_response. `text` and `servername` are XML-escaped as Asterisk does since 2026-04
 * (a reflected-XSS fix); `title` is escaped too (Asterisk passes fixed titles, so no visible
 * difference). A blank servername drops the `<address>` line.
 */
export function errorPage(status: number, title: string, text: string, servername: string): Buffer {
  const t = escapeXml(title);
  return Buffer.from(
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n' +
      '<html><head>\r\n' +
      `<title>${status} ${t}</title>\r\n` +
      '</head><body>\r\n' +
      `<h1>${t}</h1>\r\n` +
      `<p>${escapeXml(text)}</p>\r\n` +
      '<hr />\r\n' +
      (servername === '' ? '' : `<address>${escapeXml(servername)}</address>\r\n`) +
      '</body></html>\r\n',
  );
}
