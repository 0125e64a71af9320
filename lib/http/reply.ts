// Writing one HTTP response through uWS: status, headers in Asterisk's order (spec §3.1), a body
// with Content-Length (never chunked), all inside one cork.
//
// Backpressure: the body goes out with tryEnd; what the socket does not take at once is written
// from onWritable. `onFlushed` runs only once the whole body has been handed to the socket, so a
// WaitEvent reply commits its event cursor only then (a client gone before that loses nothing).
import type { HttpResponse } from './uws.ts';
import { invalidArgument } from '../errors.ts';

export const CACHE_CONTROL = 'no-cache, no-store';

/** `code title` status lines as Asterisk prints them (the title is the error page's title). */
export const STATUS = {
  OK: '200 OK',
  FOUND: '302 Found',
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

/**
 * A `200 OK` reply's headers as ONE writeHeader call. uWS writes `key: value\r\n` verbatim, so a
 * value that carries further `\r\n`-joined `Name: value` lines writes the whole block at once.
 * Why: every writeHeader is a JS→native call that converts its strings, and the seven calls per
 * reply were the proxy's top self-time at c=50 (profile in the commit); Buffers are passed
 * without conversion. Only our own fixed text (config, session id) may go in a block, never
 * client input: uWS does no validation. The compat layer splits the lines back (uws-compat.ts).
 */
export class HeaderBlock {
  /** First header's name. */
  readonly key: Buffer;
  /** First header's value, then `\r\n<name>: <value>` for each following header. */
  readonly value: Buffer;
  constructor(key: Buffer, value: Buffer) {
    this.key = key;
    this.value = value;
  }
}

/** Joins a header list (at least one header) into the first name and the rest of the block. */
export function joinHeaders(headers: HeaderList): { key: string; value: string } {
  if (headers.length < 2) throw invalidArgument('a header block needs at least one header');
  let value = headers[1]!;
  for (let i = 2; i < headers.length; i += 2) value += '\r\n' + headers[i]! + ': ' + headers[i + 1]!;
  return { key: headers[0]!, value };
}

/** A fixed HeaderBlock, built once (e.g. per route). */
export function headerBlock(headers: HeaderList): HeaderBlock {
  const { key, value } = joinHeaders(headers);
  return new HeaderBlock(Buffer.from(key, 'latin1'), Buffer.from(value, 'utf8'));
}

export interface SendOptions {
  /** HEAD: no body, but Content-Length of the full body (spec §1.3). */
  head?: boolean;
  /** Close the connection after this response (uWS adds `Connection: close`). */
  close?: boolean;
  /** Called once the whole body has been handed to the socket (never if the client went away). */
  onFlushed?: () => void;
}

// The response being written: cork() runs its callback synchronously, so these slots (cleared at
// once) spare a closure per response on the hot path.
let wRes: HttpResponse | null = null;
let wStatus = '';
let wList: HeaderList | null = null;
let wBlock: HeaderBlock | null = null;
let wBody: Buffer | null = null;
let wHead = false;
let wClose = false;
let wFlushed: (() => void) | undefined;

function corked(): void {
  const res = wRes!;
  const status = wStatus;
  const list = wList;
  const block = wBlock;
  const body = wBody!;
  const head = wHead;
  const close = wClose;
  const onFlushed = wFlushed;
  wRes = wList = wBlock = wBody = null;
  wFlushed = undefined;
  write(res, status, list, block, body, head, close, onFlushed);
}

/** Writes the whole response, corked. The caller must know the response is not aborted. */
export function send(res: HttpResponse, status: string, headers: HeaderList, body: Buffer, opts?: SendOptions): void {
  wRes = res;
  wStatus = status;
  wList = headers;
  wBlock = null;
  wBody = body;
  wHead = opts?.head === true;
  wClose = opts?.close === true;
  wFlushed = opts?.onFlushed;
  res.cork(corked);
}

/** send() for a `200 OK` whose headers are a HeaderBlock (the AJAM hot path). */
export function sendBlock(res: HttpResponse, block: HeaderBlock, body: Buffer, head: boolean, onFlushed: (() => void) | undefined): void {
  wRes = res;
  wStatus = STATUS.OK;
  wList = null;
  wBlock = block;
  wBody = body;
  wHead = head;
  wClose = false;
  wFlushed = onFlushed;
  res.cork(corked);
}

function write(
  res: HttpResponse,
  status: string,
  headers: HeaderList | null,
  block: HeaderBlock | null,
  body: Buffer,
  head: boolean,
  close: boolean,
  onFlushed: (() => void) | undefined,
): void {
  if (block !== null) {
    // writeHeader implies `200 OK` when no status was written: one native call fewer.
    if (status !== STATUS.OK) res.writeStatus(status);
    res.writeHeader(block.key, block.value);
  } else {
    res.writeStatus(status);
    for (let i = 0; i < headers!.length; i += 2) res.writeHeader(headers![i]!, headers![i + 1]!);
  }
  if (head) {
    // uWS 20.30's endWithoutBody(length) never marks the response done, which wedges a keep-alive
    // connection, and an explicit `undefined` length becomes 2^63: write Content-Length ourselves
    // and call it without arguments (so no close flag either: say it in a header, the client closes).
    res.writeHeader('Content-Length', String(body.length));
    if (close) res.writeHeader('Connection', 'close');
    res.endWithoutBody();
    if (onFlushed !== undefined) onFlushed();
    return;
  }
  if (close || onFlushed === undefined) {
    // uWS keeps whatever the socket does not take and drains it itself.
    res.end(body, close);
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
