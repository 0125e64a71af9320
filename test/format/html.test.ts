// /manager rows (spec §3.4): same parsing as mxml, names escaped but not sanitised, opaque rows,
// the CRLF block rule, the two templates, and a fuzz against the reference transliteration.
import t from 'tap';
import {
  HTML_DIGEST_HEAD,
  HTML_DIGEST_TAIL,
  HTML_HEAD,
  HTML_TAIL,
  html,
  htmlBlock,
  htmlDigest,
  htmlJoin,
} from '../../lib/format/html.ts';
import { refTranslate } from '../helpers/format-reference.ts';

const HR = '<tr><td colspan="2"><hr></td></tr>\r\n';

function rows(input: string): string {
  const body = html(Buffer.from(input, 'latin1'));
  if (!body.subarray(0, HTML_HEAD.length).equals(HTML_HEAD)) throw new Error('preamble');
  if (!body.subarray(body.length - HTML_TAIL.length).equals(HTML_TAIL)) throw new Error('footer');
  return body.subarray(HTML_HEAD.length, body.length - HTML_TAIL.length).toString('latin1');
}

function row(name: string, value: string): string {
  return `<tr><td>${name}</td><td>${value}</td></tr>\n`;
}

t.test('templates', async (t) => {
  t.equal(HTML_HEAD.length, 727, 'the 727-byte preamble of spec §3.4');
  t.equal(HTML_TAIL.toString(), '</table></body>\r\n');
  t.equal(html(Buffer.alloc(0)).toString(), HTML_HEAD.toString() + HTML_TAIL.toString(), 'empty output: preamble + footer');
  t.equal(
    htmlDigest(Buffer.from('A: 1\r\n\r\n')).toString(),
    HTML_DIGEST_HEAD.toString() + row('A', '1') + HR + HTML_DIGEST_TAIL.toString(),
  );
  t.ok(htmlJoin([], true).equals(Buffer.concat([HTML_DIGEST_HEAD, HTML_DIGEST_TAIL])));
});

t.test('rows', async (t) => {
  t.equal(rows('Response: Success\r\nActionID: 1\r\n\r\n'), row('Response', 'Success') + row('ActionID', '1') + HR);
  t.equal(rows('A: 1\r\n\r\nB: 2\r\n'), row('A', '1') + HR + row('B', '2') + HR, 'hr after each block, CRLF-terminated');
  t.equal(rows('Cause-txt: x\r\n'), row('Cause-txt', 'x') + HR, 'names keep case and are not sanitised');
  t.equal(rows('1abc: x\r\n'), row('1abc', 'x') + HR, 'no digit prefix in html');
  t.equal(rows('a<b>&"\'c: <v>\r\n'), row('a&lt;b&gt;&amp;&quot;&apos;c', '&lt;v&gt;') + HR, 'names and values escaped');
  t.equal(
    rows('Output: a\r\nOutput: b\r\noutput: c\r\n'),
    row('Output', 'a') + row('Output-2', 'b') + row('output', 'c') + HR,
    'duplicate suffix on the raw, case-sensitive name',
  );
  t.equal(rows('A: 1\nB: 2\n\n'), row('A', '1') + row('B', '2') + HR, 'LF LF is one break');
});

t.test('opaque rows', async (t) => {
  t.equal(
    rows('Response: Follows\r\nline1\r\nline: 2\r\n\r\n'),
    row('Response', 'Follows') + row('Opaque-data', 'line1<br>\nline: 2') + HR,
  );
  t.equal(rows('only'), row('Opaque-data', 'only') + HR, 'first opaque line is the last line: row closed at once');
  t.equal(rows('a\r\nb\r\n'), '<tr><td>Opaque-data</td><td>a<br>\nb' + HR, 'ending inside continuation leaves the row open');
});

t.test('per-message rows joined = whole', async (t) => {
  const msgs = ['Response: Success\r\nMessage: m\r\n\r\n', 'Event: E\r\nA: <1>\r\nA: 2\r\n\r\n'].map((s) => Buffer.from(s));
  t.ok(htmlJoin(msgs.map((m) => htmlBlock(m))).equals(html(Buffer.concat(msgs))));
});

t.test('fuzz: byte implementation = reference transliteration', async (t) => {
  let a = 12345;
  const r = (): number => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
  const alphabet = ['A', 'b', '1', ':', ' ', '\t', '\r', '\n', '\r\n', '<', '&', "'", '"', '-', '\x01', '\xff', 'Output: ', 'output: '];
  let bad = 0;
  for (let i = 0; i < 3000 && bad < 5; i++) {
    let s = '';
    const n = Math.floor(r() * 50);
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(r() * alphabet.length)];
    const input = Buffer.from(s, 'latin1');
    const expected = Buffer.concat([HTML_HEAD, refTranslate(input, null), HTML_TAIL]);
    const actual = html(input);
    if (!actual.equals(expected)) {
      bad++;
      t.equal(actual.toString('latin1'), expected.toString('latin1'), JSON.stringify(s));
    }
  }
  t.equal(bad, 0);
});
