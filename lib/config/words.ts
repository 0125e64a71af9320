// Asterisk's yes/no words (ast_true / ast_false), shared by every .conf reader and by the
// Events action's EventMask.

const TRUE_WORDS = new Set(['yes', 'true', 'y', 't', '1', 'on']);
const FALSE_WORDS = new Set(['no', 'false', 'n', 'f', '0', 'off']);

/** Asterisk's ast_true: yes/true/y/t/1/on, any case. */
export function isTrueWord(s: string): boolean {
  return TRUE_WORDS.has(s.trim().toLowerCase());
}

/** Asterisk's ast_false: no/false/n/f/0/off, any case. */
export function isFalseWord(s: string): boolean {
  return FALSE_WORDS.has(s.trim().toLowerCase());
}
