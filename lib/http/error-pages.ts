// HTTP error pages (spec §3.1): Asterisk's status line, title and text, the HTML body from
// lib/format/http.ts, headers Server / Cache-Control / Content-type (no Set-Cookie, as Asterisk).
// Deviation: a HEAD request gets the headers only (Asterisk sends the page body even for HEAD,
// which breaks keep-alive framing).
import { ERROR_TEXT, errorPage } from '../format/http.ts';
import type { HttpResponse } from './uws.ts';
import { CACHE_CONTROL, send } from './reply.ts';

/** Pages Asterisk has no text for, in the same shape as ERROR_TEXT. */
const EXTRA_TEXT = {
  // Asterisk silently drops parameters past 128; issue 3 asks for a 400.
  tooManyParams: [400, 'Bad Request', 'Too many parameters'],
  // static_callback's out403.
  staticDenied: [403, 'Access Denied', 'Sorry, I cannot let you do that, Dave.'],
  unavailable: [503, 'Service Unavailable', 'The server is shutting down.'],
  internal: [500, 'Internal Server Error', 'Internal Server Error'],
  // auth_http_callback: the user's ACL refuses this address.
  digestAcl: [403, 'Permission denied', 'Permission denied'],
  // A trusted proxy sent an X-Forwarded-For hop that is not an IP address (lib/http/forwarded.ts).
  badForwarded: [400, 'Bad Request', 'Invalid X-Forwarded-For'],
  // Two Authorization headers: a front proxy may check one while we would use the other.
  duplicateAuthorization: [400, 'Bad Request', 'More than one Authorization header'],
  // Two Content-Length headers, or one beside Transfer-Encoding (request smuggling).
  ambiguousLength: [400, 'Bad Request', 'Conflicting Content-Length or Transfer-Encoding'],
  // A POST body that did not arrive within `requesttimeout` of its headers (slow or stalled client).
  bodyTimeout: [408, 'Request Timeout', 'The request body did not arrive in time'],
} as const satisfies Record<string, readonly [number, string, string]>;

const TEXT = { ...ERROR_TEXT, ...EXTRA_TEXT };
export type ErrorKind = keyof typeof TEXT;

interface Page {
  /** Numeric status, for metrics. */
  code: number;
  status: string;
  headers: string[];
  body: Buffer;
}

// Pages depend only on the servername, which is fixed per server: build each once.
const cache = new Map<string, Page>();

function page(kind: ErrorKind, servername: string): Page {
  const key = kind + '\0' + servername;
  let p = cache.get(key);
  if (p === undefined) {
    const [code, title, text] = TEXT[kind];
    const headers: string[] = [];
    if (servername !== '') headers.push('Server', servername);
    headers.push('Cache-Control', CACHE_CONTROL, 'Content-type', 'text/html');
    p = { code, status: `${code} ${title}`, headers, body: errorPage(code, title, text, servername) };
    cache.set(key, p);
  }
  return p;
}

export function errorBody(kind: ErrorKind, servername: string): Buffer {
  return page(kind, servername).body;
}

/** 401 for the digest endpoints: WWW-authenticate goes before Content-type, as Asterisk. Returns 401. */
export function sendUnauthorized(res: HttpResponse, servername: string, wwwAuthenticate: string, head: boolean): number {
  const p = page('unauthorized', servername);
  const headers = p.headers.slice();
  headers.splice(headers.length - 2, 0, 'WWW-authenticate', wwwAuthenticate);
  send(res, p.status, headers, p.body, { head });
  return p.code;
}

/** Writes the error page of `kind`; returns its status code (for metrics). */
export function sendError(
  res: HttpResponse,
  kind: ErrorKind,
  servername: string,
  opts?: { head?: boolean; close?: boolean },
): number {
  const p = page(kind, servername);
  send(res, p.status, p.headers, p.body, opts);
  return p.code;
}
