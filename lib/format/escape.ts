// XML/HTML entity escaping shared by the formatters, byte and string flavours.
// The five entities are the ones Asterisk's xml_copy_escape() and ast_xml_escape() emit.

/** Per byte: its entity, or undefined when the byte is copied as it is. */
export const ENTITY: ReadonlyArray<Buffer | undefined> = (() => {
  const t: Array<Buffer | undefined> = new Array(256).fill(undefined);
  t[0x3c] = Buffer.from('&lt;');
  t[0x3e] = Buffer.from('&gt;');
  t[0x22] = Buffer.from('&quot;');
  t[0x27] = Buffer.from('&apos;');
  t[0x26] = Buffer.from('&amp;');
  return t;
})();

/** Longest entity, for output-size bounds. */
export const MAX_ENTITY = 6;

const SPECIAL = /[<>"'&]/;
const SPECIAL_ALL = /[<>"'&]/g;
const BY_CHAR: Record<string, string> = { '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '&': '&amp;' };

function entityOf(c: string): string {
  return BY_CHAR[c]!;
}

/** `< > " ' &` → entities (ast_xml_escape); everything else unchanged. */
export function escapeXml(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, entityOf) : s;
}
