// Turns a caller's action headers into the bytes sent to Asterisk, with the proxy ActionID in place
// of the caller's own. Validation happens here, before anything can reach a socket: a CR, LF or NUL
// in a key or value would let a caller inject headers or whole actions into the shared connection.
import { AjamError, ErrorCodes } from '../errors.ts';

export type Headers = ReadonlyArray<readonly [string, string]>;

// One precompiled test per string beats a charCodeAt loop in JS for typical short values.
const FORBIDDEN = /[\r\n\0]/;
// A key with a colon would be split differently by Asterisk (`ActionID:x: y` reads as ActionID).
const FORBIDDEN_KEY = /[\r\n\0:]/;

export interface EncodedAction {
  /** Wire text, blank line included. */
  text: string;
  /** The caller's first ActionID, or undefined. */
  callerId: string | undefined;
  /** Value of the Action header ('' if absent), as given. */
  action: string;
  /** Value of the Async header (Originate), or undefined. */
  async: string | undefined;
  /** Value of the Timeout header (Originate), or undefined. */
  timeout: string | undefined;
}

/** True if `key` is ActionID, ignoring case and surrounding blanks (how Asterisk and our parser read it). */
function isActionIdKey(key: string): boolean {
  return key.length >= 8 && key.trim().toLowerCase() === 'actionid';
}

/**
 * Validates and serialises. Throws AjamError(AMI_ERR_INVALID_HEADER) on a CR, LF or NUL anywhere, a
 * colon or nothing in a key. The proxy id goes right after the first Action line (first if none);
 * every caller ActionID line is left out.
 */
export function encodeAction(headers: Headers, proxyId: string): EncodedAction {
  let callerId: string | undefined;
  let action = '';
  let async: string | undefined;
  let timeout: string | undefined;
  let text = '';
  let idWritten = false;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const k = h[0];
    const v = h[1];
    if (typeof k !== 'string' || typeof v !== 'string') {
      throw new AjamError(ErrorCodes.AMI_ERR_INVALID_HEADER, `header ${i} must be a [string, string] pair`);
    }
    if (k.length === 0 || k.trim().length === 0 || FORBIDDEN_KEY.test(k)) {
      throw new AjamError(ErrorCodes.AMI_ERR_INVALID_HEADER, `invalid header name ${JSON.stringify(k)}: empty, or holds CR, LF, NUL or ':'`);
    }
    if (FORBIDDEN.test(v)) {
      throw new AjamError(ErrorCodes.AMI_ERR_INVALID_HEADER, `invalid value for header ${JSON.stringify(k)}: holds CR, LF or NUL`);
    }
    if (isActionIdKey(k)) {
      if (callerId === undefined) callerId = v;
      continue;
    }
    text += k + ': ' + v + '\r\n';
    const lk = k.length <= 7 ? k.trim().toLowerCase() : '';
    if (lk === 'action' && !idWritten) {
      action = v.trim();
      text += 'ActionID: ' + proxyId + '\r\n';
      idWritten = true;
    } else if (lk === 'async' && async === undefined) async = v.trim();
    else if (lk === 'timeout' && timeout === undefined) timeout = v.trim();
  }
  if (!idWritten) text = 'ActionID: ' + proxyId + '\r\n' + text;
  return { text: text + '\r\n', callerId, action, async, timeout };
}

/** Asterisk's ast_true(): yes, true, y, t, 1, on (any case). */
export function astTrue(v: string | undefined): boolean {
  if (v === undefined) return false;
  switch (v.trim().toLowerCase()) {
    case 'yes':
    case 'true':
    case 'y':
    case 't':
    case '1':
    case 'on':
      return true;
    default:
      return false;
  }
}
