// Writing one HTTP response through uWS: status, headers in Asterisk's order (spec §3.1), a body
// with Content-Length (never chunked), all inside one cork.
//
// Backpressure: the body goes out with tryEnd; what the socket does not take at once is written
// from onWritable. `onFlushed` runs only once the whole body has been handed to the socket, so a
// WaitEvent reply commits its event cursor only then (a client gone before that loses nothing).
import type { HttpResponse } from './uws.ts';

export const CACHE_CONTROL = 'no-cache, no-store';

/** `code title` status lines as Asterisk prints them (the title is the error page's title). */
export const STATUS = {
  OK: '200 OK',
  NOT_MODIFIED: '304 Not Modified',
  BAD_REQUEST: '400 Bad Request',
  ACCESS_DENIED: '403 Access Denied',
  NOT_FOUND: '404 Not Found',
  TOO_LARGE: '413 Request Entity Too Large',
  NOT_IMPLEMENTED: '501 Not Implemented',
  UNAVAILABLE: '503 Service Unavailable',
} as const;

/** Flat `[name, value, name, value, …]` header list; Date and Content-Length are uWS's. */
export type HeaderList = readonly string[];

export interface SendOptions {
  /** HEAD: no body, but Content-Length of the full body (spec §1.3). */
  head?: boolean;
  /** Close the connection after this response (uWS adds `Connection: close`). */
  close?: boolean;
  /** Called once the whole body has been handed to the socket (never if the client went away). */
  onFlushed?: () => void;
}

/** Writes the whole response, corked. The caller must know the response is not aborted. */
export function send(res: HttpResponse, status: string, headers: HeaderList, body: Buffer, opts?: SendOptions): void {
  res.cork(() => write(res, status, headers, body, opts));
}

function write(res: HttpResponse, status: string, headers: HeaderList, body: Buffer, opts: SendOptions | undefined): void {
  res.writeStatus(status);
  for (let i = 0; i < headers.length; i += 2) res.writeHeader(headers[i]!, headers[i + 1]!);
  const onFlushed = opts?.onFlushed;
  if (opts?.head === true) {
    // uWS 20.30's endWithoutBody(length) never marks the response done, which wedges a keep-alive
    // connection, and an explicit `undefined` length becomes 2^63: write Content-Length ourselves
    // and call it without arguments (so no close flag either: say it in a header, the client closes).
    res.writeHeader('Content-Length', String(body.length));
    if (opts.close === true) res.writeHeader('Connection', 'close');
    res.endWithoutBody();
    if (onFlushed !== undefined) onFlushed();
    return;
  }
  if (opts?.close === true || onFlushed === undefined) {
    // uWS keeps whatever the socket does not take and drains it itself.
    res.end(body, opts?.close === true);
    if (onFlushed !== undefined) onFlushed();
    return;
  }
  const total = body.length;
  const [ok, done] = res.tryEnd(body, total);
  if (done) {
    onFlushed();
  } else if (!ok) {
    res.onWritable((offset) => {
      const [ok2, done2] = res.tryEnd(body.subarray(offset), total);
      if (done2) onFlushed();
      return ok2;
    });
  }
}
