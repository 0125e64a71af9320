// A deliberately naive, string-based transliteration of Asterisk's xml_translate()/xml_copy_escape()
// (spec §3.3/§3.4), used only as an oracle for fuzzing the byte-level implementation.

const ENT: Record<string, string> = { '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '&': '&amp;' };

function esc(s: string): string {
  return s.replace(/[<>"'&]/g, (c) => ENT[c]!);
}

function xmlName(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (i === 0 && c >= '0' && c <= '9') out += '_' + c;
    else if (/[A-Za-z0-9]/.test(c)) out += c.toLowerCase();
    else out += '_';
  }
  return out;
}

/** Translation only (no envelope). `open` is the xml block opener, or null for html. */
export function refTranslate(input: Buffer, open: string | null): Buffer {
  const xml = open !== null;
  const s = input.toString('latin1');
  let out = '';
  let inObj = false;
  let inData = false;
  let counts = new Map<string, number>();
  let i = 0;
  while (i < s.length) {
    let j = i;
    while (j < s.length && s[j] !== '\r' && s[j] !== '\n') j++;
    let val = s.slice(i, j);
    if (j < s.length) {
      i = j + 1;
      if (s[i] === '\n') i++;
    } else {
      i = s.length;
    }
    val = val.replace(/[\x00-\x20]+$/, '');
    if (val === '') {
      if (inData) {
        out += xml ? "'" : '</td></tr>\n';
        inData = false;
      }
      if (inObj) {
        out += xml ? ' /></response>\n' : '<tr><td colspan="2"><hr></td></tr>\r\n';
        inObj = false;
      }
      continue;
    }
    if (!inObj) {
      if (xml) out += open;
      counts = new Map();
      inObj = true;
    }
    if (inData) {
      out += (xml ? '\n' : '<br>\n') + esc(val);
      continue;
    }
    const colon = val.indexOf(':');
    let name: string;
    let value: string;
    if (colon !== -1) {
      name = val.slice(0, colon).replace(/[\x00-\x20]+$/, '');
      value = val.slice(colon + 1).replace(/^[\x00-\x20]+/, '');
    } else {
      name = 'Opaque-data';
      value = val;
      inData = true;
    }
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    out += (xml ? ' ' : '<tr><td>') + (xml ? xmlName(name) : esc(name)) + (n > 1 ? '-' + n : '');
    out += (xml ? "='" : '</td><td>') + esc(value);
    if (!inData || i >= s.length) out += xml ? "'" : '</td></tr>\n';
  }
  if (inObj) out += xml ? ' /></response>\n' : '<tr><td colspan="2"><hr></td></tr>\r\n';
  return Buffer.from(out, 'latin1');
}
