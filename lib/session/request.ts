// One action request as the session layer sees it: the parameters in order (duplicates kept) with
// Asterisk's header lookups (astman_get_header: case-insensitive, first match).
import type { Pairs } from './replies.ts';

export class ActionRequest {
  readonly pairs: Pairs;
  /** First non-empty `Action` value ('' when none). */
  readonly action: string;
  /** First `ActionID` value ('' when none; an empty one is not echoed). */
  readonly actionId: string;

  constructor(pairs: Pairs) {
    this.pairs = pairs;
    let action = '';
    let actionId: string | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const [k, v] = pairs[i]!;
      if (action === '' && v !== '' && k.length === 6 && k.toLowerCase() === 'action') action = v;
      else if (actionId === undefined && k.length === 8 && k.toLowerCase() === 'actionid') actionId = v;
    }
    this.action = action;
    this.actionId = actionId ?? '';
  }

  /** Value of the first parameter named `name` (any case), '' when absent, as Asterisk reads headers. */
  get(name: string): string {
    const lower = name.toLowerCase();
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i++) {
      const [k, v] = pairs[i]!;
      if (k.length === lower.length && k.toLowerCase() === lower) return v;
    }
    return '';
  }

  has(name: string): boolean {
    const lower = name.toLowerCase();
    for (const [k] of this.pairs) if (k.toLowerCase() === lower) return true;
    return false;
  }
}

/** The first parameter name or value holding CR, LF or NUL (a header-injection attempt), or -1. */
export function badParameter(pairs: Pairs): number {
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    if (BAD.test(k) || BAD.test(v)) return i;
  }
  return -1;
}

const BAD = /[\r\n\0]/;
