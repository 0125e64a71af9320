// One action request as Asterisk will read it: the one normalized view that permission checks,
// guard rails, session-local routing and the bytes written upstream all come from (DESIGN "What is
// checked is what is sent").
//
// Asterisk's __astman_get_header (main/manager.c): a header matches when its name equals the one
// asked for, ignoring case, and is followed directly by ':'; the FIRST match wins; the value has
// its leading bytes below 33 skipped (ast_skip_blanks), trailing ones are kept. `Action` is read
// with GET_HEADER_SKIP_EMPTY: the first one that is non-empty after that skip.
import type { Pairs } from './replies.ts';

export class ActionRequest {
  /** The parameters as given, in order, duplicates kept. */
  readonly pairs: Pairs;
  /** The action name as Asterisk reads it ('' when none). */
  readonly action: string;
  /** Index in `pairs` of the Action parameter that gave `action` (-1 when none). */
  readonly actionIndex: number;
  /** The first `ActionID`, as Asterisk reads it ('' when none; an empty one is not echoed). */
  readonly actionId: string;

  constructor(pairs: Pairs) {
    this.pairs = pairs;
    let action = '';
    let actionIndex = -1;
    let actionId: string | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const [k, v] = pairs[i]!;
      if (k.length === 6) {
        if (actionIndex === -1 && k.toLowerCase() === 'action') {
          const value = skipBlanks(v);
          if (value !== '') {
            action = value;
            actionIndex = i;
          }
        }
      } else if (actionId === undefined && k.length === 8 && k.toLowerCase() === 'actionid') {
        actionId = skipBlanks(v);
      }
    }
    this.action = action;
    this.actionIndex = actionIndex;
    this.actionId = actionId ?? '';
  }

  /** The first parameter named `name` (any case), leading blanks skipped; '' when absent. */
  get(name: string): string {
    const i = this.indexOf(name);
    return i === -1 ? '' : skipBlanks(this.pairs[i]![1]);
  }

  has(name: string): boolean {
    return this.indexOf(name) !== -1;
  }

  /** Index of the first parameter named `name` (any case), or -1. */
  indexOf(name: string): number {
    const lower = name.toLowerCase();
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i++) {
      const k = pairs[i]![0];
      if (k.length === lower.length && k.toLowerCase() === lower) return i;
    }
    return -1;
  }
}

/** ast_skip_blanks: drops leading bytes below 33 (space, tab, control characters). */
export function skipBlanks(v: string): string {
  if (v.length === 0 || v.charCodeAt(0) > 32) return v;
  let i = 1;
  while (i < v.length && v.charCodeAt(i) <= 32) i++;
  return v.slice(i);
}

/**
 * The first parameter that cannot be written upstream as it would be read: CR, LF or NUL anywhere
 * (header injection), or a name holding ':' (Asterisk splits the line at the first colon, so
 * `Application:x` would read as Application) or a byte below 33 (a name Asterisk never matches,
 * which other AMI readers may trim into one it does). Returns its index, or -1.
 */
export function badParameter(pairs: Pairs): number {
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    if (BAD_NAME.test(k) || BAD_VALUE.test(v)) return i;
  }
  return -1;
}

const BAD_VALUE = /[\r\n\0]/;
// eslint-disable-next-line no-control-regex
const BAD_NAME = /[\x00-\x20:]/;

// Parameters the guard rails read, per action (lower case): only their first value may travel,
// so whatever reads the upstream message sees exactly what was checked.
const GUARDED: Readonly<Record<string, readonly string[]>> = {
  originate: ['application', 'data'],
  getvar: ['variable'],
  status: ['variables'],
};

/**
 * The headers written upstream for a forwarded action, from the normalized view: exactly one
 * `Action` (the normalized name) first, the first `ActionID` only, every other parameter in order
 * with leading blanks skipped (Asterisk skips them anyway), and for the guarded parameters of this
 * action only the first occurrence (Asterisk reads them by first match; later copies could only
 * mislead a reader that takes the last).
 */
export function upstreamHeaders(req: ActionRequest): Array<[string, string]> {
  const out: Array<[string, string]> = [['Action', req.action]];
  const guarded = GUARDED[req.action.toLowerCase()];
  const seen: string[] = [];
  let idDone = false;
  const pairs = req.pairs;
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    const lower = k.toLowerCase();
    if (lower === 'action') continue;
    // The proxy's own routing parameter (several Asterisk servers): never sent upstream.
    if (lower === 'server') continue;
    if (lower === 'actionid') {
      if (!idDone) out.push(['ActionID', skipBlanks(v)]);
      idDone = true;
      continue;
    }
    if (guarded !== undefined && guarded.includes(lower)) {
      if (seen.includes(lower)) continue;
      seen.push(lower);
    }
    out.push([k, skipBlanks(v)]);
  }
  return out;
}
