// Replies the proxy writes itself, byte for byte as Asterisk's astman_send_* helpers do:
// `Response: X\r\n`, then `ActionID: id\r\n` when the request carried a non-empty one, then the rest.
// The common no-ActionID forms are built once.

export type Pairs = ReadonlyArray<readonly [string, string]>;

export function reply(response: string, actionId: string | undefined, lines: Pairs = []): Buffer {
  let s = `Response: ${response}\r\n`;
  if (actionId) s += `ActionID: ${actionId}\r\n`;
  for (const [k, v] of lines) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n');
}

const cache = new Map<string, Buffer>();

/**
 * `Response: <response>` / [ActionID] / `Message: <message>`. The no-ActionID form of the fixed
 * texts below is cached (only those: a text may hold client input, the cache must stay bounded).
 */
export function message(response: string, actionId: string | undefined, text: string): Buffer {
  if (actionId || !FIXED.has(text)) return reply(response, actionId, [['Message', text]]);
  const key = `${response}\n${text}`;
  let b = cache.get(key);
  if (b === undefined) {
    b = reply(response, undefined, [['Message', text]]);
    cache.set(key, b);
  }
  return b;
}

export function error(actionId: string | undefined, text: string): Buffer {
  return message('Error', actionId, text);
}

export function success(actionId: string | undefined, text: string): Buffer {
  return message('Success', actionId, text);
}

export const MSG = {
  MISSING_ACTION: 'Missing action in request',
  PERMISSION_DENIED: 'Permission denied',
  AUTH_ACCEPTED: 'Authentication accepted',
  AUTH_FAILED: 'Authentication failed',
  ALREADY_AUTHENTICATED: 'Already authenticated',
  LOGIN_IN_USE: 'Login Already In Use',
  MUST_SPECIFY_AUTHTYPE: 'Must specify AuthType',
  GOODBYE: 'Thanks for all the fish.',
  INVALID_EVENT_MASK: 'Invalid event mask',
  WAITEVENT_COMPLETED: 'Waiting for Event completed.',
  UNKNOWN_OPERATION: 'Unknown operation',
  FILTER_COMPILE: 'Filter did not compile.  Check the syntax of the filter given.',
  FILTER_FORMAT: 'Filter was formatted incorrectly.  Check the syntax of the filter given.',
} as const;

const FIXED: ReadonlySet<string> = new Set(Object.values(MSG));
