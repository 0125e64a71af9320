// AMI permission classes (spec §5.1): the bits, strict parsing of manager.conf class lists, and the
// lenient readers for what Asterisk itself prints (`Privilege:` headers, ListCommands `Priv:`).
import { AjamError, ErrorCodes } from '../errors.ts';
import type { ClassMask } from './types.ts';
import { isFalseWord, isTrueWord } from '../config/words.ts';

/** Named classes in Asterisk's `perms[]` order (the order authority_to_str prints them in). */
export const CLASS_BITS: Readonly<Record<string, number>> = Object.freeze({
  system: 1 << 0,
  call: 1 << 1,
  log: 1 << 2,
  verbose: 1 << 3,
  command: 1 << 4,
  agent: 1 << 5,
  user: 1 << 6,
  config: 1 << 7,
  dtmf: 1 << 8,
  reporting: 1 << 9,
  cdr: 1 << 10,
  dialplan: 1 << 11,
  originate: 1 << 12,
  agi: 1 << 13,
  cc: 1 << 15,
  aoc: 1 << 16,
  test: 1 << 17,
  security: 1 << 18,
  message: 1 << 30,
});

/** INT_MAX: every class, named or not. */
export const ALL: ClassMask = 0x7fffffff;
export const NONE: ClassMask = 0;

const NAMES = Object.keys(CLASS_BITS);
const BITS = NAMES.map((n) => CLASS_BITS[n]!);
const NAMED: number = BITS.reduce((a, b) => a | b, 0);

/**
 * Bits no class name stands for (hookresponse and the spare ones). A category Asterisk prints as
 * plain `all`, or that names a class this build does not know, is mapped here: only a user whose
 * list says `all` holds these bits, so such events and actions stay with full-access users.
 */
export const UNNAMED: ClassMask = ALL & ~NAMED;

/** Where a value came from, for error messages: `users.conf:12` or { file, line, key }. */
export type Where = string | { file: string; line: number; key?: string };

function whereText(where: Where | undefined): string {
  if (where === undefined) return '';
  if (typeof where === 'string') return `${where}: `;
  return `${where.file}:${where.line}: ${where.key === undefined ? '' : `${where.key}: `}`;
}

/**
 * Strict class list (manager.conf `read=` / `write=`): comma separated, case-insensitive, blanks
 * allowed around names, `all` and `none` accepted, an empty value is 0, a trailing comma is
 * ignored. Unlike Asterisk's get_perm there is no prefix matching (`c,log` would grant call,
 * command, config, cdr and cc there) and no grant-everything empty token (`call,,log`): both
 * are errors naming where and the word.
 */
export function parseClassList(text: string, where?: Where): ClassMask {
  const trimmed = text.trim();
  if (trimmed === '') return 0;
  const parts = trimmed.split(',');
  // A trailing comma is harmless in Asterisk too; an empty token elsewhere grants everything there.
  if (parts.length > 1 && parts[parts.length - 1]!.trim() === '') parts.pop();
  let mask = 0;
  for (const part of parts) {
    const word = part.trim().toLowerCase();
    if (word === '') {
      throw new AjamError(
        ErrorCodes.CONF_ERR_UNKNOWN_CLASS,
        `${whereText(where)}empty class name in '${trimmed}' (Asterisk would read it as 'all'; write 'all' if that is meant)`,
      );
    }
    if (word === 'all') mask |= ALL;
    else if (word === 'none') continue;
    else {
      if (!Object.hasOwn(CLASS_BITS, word)) {
        throw new AjamError(
          ErrorCodes.CONF_ERR_UNKNOWN_CLASS,
          `${whereText(where)}unknown class '${part.trim()}' (known: ${NAMES.join(', ')}, all, none)`,
        );
      }
      mask |= CLASS_BITS[word]!;
    }
  }
  return mask;
}

/**
 * The category of an event from its `Privilege:` value (`call,all`, `Call` in Status items,
 * `<none>`). Case-insensitive; `all` next to named classes is the suffix authority_to_str always
 * adds and means nothing. `all` alone, and any class name this build does not know, add
 * UNNAMED, so only `read = all` users receive such an event (the read check is all-of). A
 * missing or empty header, and `<none>`, are 0: no class needed.
 */
export function maskFromPrivilege(header: string | undefined): ClassMask {
  if (header === undefined) return 0;
  // Few distinct values ever appear (`call,all`, `dialplan,all`, …): remember them.
  const cached = privilegeCache.get(header);
  if (cached !== undefined) return cached;
  const mask = privilegeMask(header);
  if (privilegeCache.size >= PRIVILEGE_CACHE_MAX) privilegeCache.clear();
  privilegeCache.set(header, mask);
  return mask;
}

const PRIVILEGE_CACHE_MAX = 256;
const privilegeCache = new Map<string, ClassMask>();

function privilegeMask(header: string): ClassMask {
  let mask = 0;
  let other = false;
  let sawAll = false;
  for (const part of header.split(',')) {
    const word = part.trim().toLowerCase();
    if (word === '' || word === '<none>' || word === 'none') continue;
    if (word === 'all') {
      sawAll = true;
      continue;
    }
    const bit = Object.hasOwn(CLASS_BITS, word) ? CLASS_BITS[word]! : 0;
    if (bit === 0) other = true;
    else mask |= bit;
  }
  if (other || (mask === 0 && sawAll)) mask |= UNNAMED;
  return mask;
}

/** Asterisk's authority_to_str: every class with a bit in the mask, then `all`; 0 is `<none>`. */
export function maskToString(mask: ClassMask): string {
  if (mask === 0) return '<none>';
  let s = '';
  for (let i = 0; i < NAMES.length; i++) if (mask & BITS[i]!) s += `${NAMES[i]},`;
  return s + 'all';
}

/** A mask as a users file would write it: `all`, `none`, or the class words (`call,agent`). */
export function classWords(mask: ClassMask): string {
  if (mask === ALL) return 'all';
  if (mask === 0) return 'none';
  return maskToString(mask).replace(/,all$/, '');
}

/**
 * The `EventMask` of the Events action (strings_to_mask): all digits → that number (capped at
 * ALL), an ast_false word → 0, an ast_true word → ALL, otherwise a class list. Returns -1 for an
 * empty value (Asterisk's `Invalid event mask`) and — stricter than Asterisk, whose prefix
 * matching turns garbage into 0 (`Events: Off`) — for a list naming an unknown class.
 */
export function parseEventMask(value: string | undefined): number {
  if (value === undefined) return -1;
  const v = value.trim();
  if (v === '') return -1;
  if (/^[0-9]+$/.test(v)) {
    const n = Number(v);
    return n > ALL ? ALL : n;
  }
  if (isFalseWord(v)) return 0;
  if (isTrueWord(v)) return ALL;
  try {
    return parseClassList(v);
  } catch {
    return -1;
  }
}
