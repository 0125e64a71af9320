// The simulator's own copy of Asterisk's manager permission classes (manager.c `perms[]`), so it can
// behave like Asterisk without depending on the proxy's lib/auth.

export const ALL = 0x7fffffff;

/** manager.c `perms[]` in its order; `authority_to_str` prints names in this order. */
export const PERMS: ReadonlyArray<readonly [string, number]> = [
  ['system', 1 << 0],
  ['call', 1 << 1],
  ['log', 1 << 2],
  ['verbose', 1 << 3],
  ['command', 1 << 4],
  ['agent', 1 << 5],
  ['user', 1 << 6],
  ['config', 1 << 7],
  ['dtmf', 1 << 8],
  ['reporting', 1 << 9],
  ['cdr', 1 << 10],
  ['dialplan', 1 << 11],
  ['originate', 1 << 12],
  ['agi', 1 << 13],
  ['cc', 1 << 15],
  ['aoc', 1 << 16],
  ['test', 1 << 17],
  ['security', 1 << 18],
  ['message', 1 << 30],
  ['all', ALL],
];

export const SYSTEM = 1;
export const CALL = 2;
export const COMMAND = 16;
export const AGENT = 32;
export const USER = 64;
export const CONFIG = 128;
export const REPORTING = 512;
export const CDR = 1024;
export const DIALPLAN = 2048;
export const ORIGINATE = 4096;
export const SECURITY = 1 << 18;

/** `ast_instring`: a non-final token matches any label it is a prefix of; the last must be equal. */
function inString(big: string, small: string): boolean {
  let val = 0;
  for (;;) {
    const next = big.indexOf(',', val);
    if (next === -1) return big.slice(val) === small;
    const tok = big.slice(val, next);
    if (small.startsWith(tok)) return true;
    val = next + 1;
    if (val >= big.length) return false;
  }
}

/** `get_perm`: manager.conf `read=`/`write=` (case-sensitive, no blanks, Asterisk's quirks kept). */
export function getPerm(text: string): number {
  let mask = 0;
  for (const [label, num] of PERMS) if (inString(text, label)) mask |= num;
  return mask;
}

const TRUE_WORDS = ['yes', 'true', 'y', 't', '1', 'on'];
const FALSE_WORDS = ['no', 'false', 'n', 'f', '0', 'off'];

/** `strings_to_mask` (Events / EventMask / Login Events): -1 when empty. */
export function stringsToMask(text: string): number {
  if (text === '') return -1;
  if (/^[0-9]+$/.test(text)) return parseInt(text, 10) | 0;
  const low = text.toLowerCase();
  if (FALSE_WORDS.includes(low)) return 0;
  if (TRUE_WORDS.includes(low)) return ALL;
  return getPerm(text);
}

/** `authority_to_str`: `call,all`, `system,reporting,all`, `<none>`. */
export function authorityToStr(mask: number): string {
  const out: string[] = [];
  for (const [label, num] of PERMS) if (mask & num) out.push(label);
  return out.length === 0 ? '<none>' : out.join(',');
}

/** Category bits of an event from its Privilege value (`call,all` -> call); `all` alone -> ALL. */
export function categoryFromPrivilege(priv: string): number {
  let mask = 0;
  for (const word of priv.split(',')) {
    const w = word.trim().toLowerCase();
    if (w === 'all' || w === '') continue;
    for (const [label, num] of PERMS) if (label === w) mask |= num;
  }
  return mask === 0 && /(^|,)\s*all\s*(,|$)/i.test(priv) ? ALL : mask;
}
