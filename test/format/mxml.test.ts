// /mxml quirks from spec §3.3, one by one, plus the ajaxdest/ajaxobjtype escaping fix and a fuzz
// against a naive transliteration of Asterisk's xml_translate (reference.ts).
import t from 'tap';
import {
  DEFAULT_DEST,
  DEFAULT_OBJTYPE,
  MXML_HEAD,
  MXML_TAIL,
  ajaxTarget,
  elementName,
  mxml,
  mxmlBlock,
  mxmlJoin,
  mxmlOpen,
} from '../../lib/format/mxml.ts';
import { refTranslate } from '../helpers/format-reference.ts';
import { prng as rng } from '../../lib/sim/prng.ts';

const OPEN = "<response type='object' id='unknown'><generic";
const END = ' /></response>\n';

/** mxml body of `input` (a latin1 string so any byte can be written). */
function x(input: string, dest?: string, objtype?: string): string {
  return mxml(Buffer.from(input, 'latin1'), dest, objtype).toString('latin1');
}

/** The envelope around the given blocks' attribute strings. */
function env(...blocks: string[]): string {
  return '<ajax-response>\n' + blocks.map((b) => OPEN + b + END).join('') + '</ajax-response>\n';
}

t.test('envelope', async (t) => {
  t.equal(x(''), '<ajax-response>\n</ajax-response>\n', 'empty output');
  t.equal(x('\r\n\r\n\r\n'), '<ajax-response>\n</ajax-response>\n', 'only blank lines');
  t.equal(x('Response: Success\r\n\r\n'), env(" response='Success'"));
  t.equal(x('Response: Success\r\n'), env(" response='Success'"), 'block closed at end of output');
  t.equal(x('A: 1\r\n\r\nB: 2\r\n\r\n'), env(" a='1'", " b='2'"), 'each message is a sibling block');
});

t.test('line splitting (spec §3.3)', async (t) => {
  t.equal(x('A: 1\nB: 2\n\n'), env(" a='1' b='2'"), 'LF LF is one break, not a blank line');
  t.equal(x('A: 1\nB: 2\n\n\n'), env(" a='1' b='2'"), 'three LFs give a blank line');
  t.equal(x('A: 1\n\n\nB: 2\n'), env(" a='1'", " b='2'"), 'LF LF LF separates blocks');
  t.equal(x('A: 1\rB: 2\r'), env(" a='1' b='2'"), 'a lone CR ends a line');
  t.equal(x('A: 1\r\rB: 2'), env(" a='1'", " b='2'"), 'CR CR is a blank line');
  t.equal(x('A: 1\r\n\nB: 2'), env(" a='1'", " b='2'"), 'CR LF LF is a blank line');
  t.equal(x('A: 1\n\rB: 2'), env(" a='1'", " b='2'"), 'LF CR is a blank line');
  t.equal(x('A: 1\r\n\r\n\r\n\r\nB: 2\r\n\r\n'), env(" a='1'", " b='2'"), 'consecutive blank lines are harmless');
  t.equal(x('A: 1 \t\x01\r\n'), env(" a='1'"), 'trailing bytes below 0x21 trimmed');
  t.equal(x('A: 1\r\n \t\r\nB: 2\r\n'), env(" a='1'", " b='2'"), 'a line of blanks is a separator');
  t.equal(x('A: 1\xa0\r\n'), env(" a='1\xa0'"), 'bytes >= 0x80 are not trimmed');
  t.equal(x('AppData: a\nb: c\r\n\r\n'), env(" appdata='a' b='c'"), 'a bare LF inside a CRLF line still splits');
});

t.test('name / value split', async (t) => {
  t.equal(x('Output: 12:30:00 up\r\n'), env(" output='12:30:00 up'"), 'split at the first colon');
  t.equal(
    x('ChanVariable(SIP/1.2.3.4:5060-x): A=1\r\n'),
    env(" chanvariable_sip_1_2_3_4='5060-x): A=1'"),
    'ChanVariable with a colon in the name splits early',
  );
  t.equal(x('ChanVariable(PJSIP/a-1): x\r\n'), env(" chanvariable_pjsip_a_1_='x'"));
  t.equal(x('Key  \t: v\r\n'), env(" key='v'"), 'trailing blanks of the name trimmed');
  t.equal(x('  Key: v\r\n'), env(" __key='v'"), 'leading blanks of the name kept (then sanitised)');
  t.equal(x('Key:\t \x01\x02v w\r\n'), env(" key='v w'"), 'every leading byte below 0x21 of the value skipped');
  t.equal(x('Key:\r\n'), env(" key=''"), 'empty value');
  t.equal(x('Key:    \r\n'), env(" key=''"), 'blank value');
  t.equal(x(': v\r\n'), env(" ='v'"), 'empty name is printed as is (Asterisk does)');
  t.equal(x(': a\r\n: b\r\n \t: c\r\n'), env(" ='a' -2='b' -3='c'"), 'empty names are counted too (blanks trimmed first)');
});

t.test('name sanitising', async (t) => {
  t.equal(x('Cause-txt: Normal\r\n'), env(" cause_txt='Normal'"));
  t.equal(x('1abc: v\r\n'), env(" _1abc='v'"), 'leading digit gets _ prefix');
  t.equal(x('123: v\r\n'), env(" _123='v'"), 'only the first digit is prefixed');
  t.equal(x('a1b2: v\r\n'), env(" a1b2='v'"), 'digits elsewhere kept');
  t.equal(x(' 1a: v\r\n'), env(" _1a='v'"), 'a blank first byte is not a digit: becomes _');
  t.equal(x('MixedCASE: v\r\n'), env(" mixedcase='v'"));
  t.equal(x('n\xc3\xa9e: v\r\n'), env(" n__e='v'"), 'each non-ASCII byte becomes one _');
  t.equal(x("a<b>&\"'c: v\r\n"), env(" a_b____c='v'"), 'specials become _, never entities');
});

t.test('duplicate names: -N suffix, raw and case-sensitive, per block', async (t) => {
  t.equal(
    x('Output: a\r\nOutput: b\r\nOutput: c\r\n'),
    env(" output='a' output-2='b' output-3='c'"),
  );
  t.equal(
    x('Variable: a=1\r\nvariable: b=2\r\nVARIABLE: c=3\r\nVariable: d=4\r\n'),
    env(" variable='a=1' variable='b=2' variable='c=3' variable-2='d=4'"),
    'case-different names both print `variable` (invalid XML, as Asterisk)',
  );
  t.equal(x('A-b: 1\r\nA_b: 2\r\n'), env(" a_b='1' a_b='2'"), 'names equal only after sanitising are not duplicates');
  t.equal(x('Key : 1\r\nKey: 2\r\n'), env(" key='1' key-2='2'"), 'counted after the trailing trim');
  t.equal(x('O: 1\r\nO: 2\r\n\r\nO: 3\r\nO: 4\r\n'), env(" o='1' o-2='2'", " o='3' o-2='4'"), 'counter resets per block');
  const many = Array.from({ length: 12 }, (_, i) => `Output: ${i}\r\n`).join('');
  t.match(x(many), / output-11='10' output-12='11' /, 'multi-digit suffixes');
  // Many distinct names in one block (exercises the counter's growth and hash chains).
  const distinct = Array.from({ length: 300 }, (_, i) => `K${i}: ${i}\r\nK${i}: x\r\n`).join('');
  const got = x(distinct);
  t.match(got, / k0='0' k0-2='x' k1='1' k1-2='x' /);
  t.match(got, / k299='299' k299-2='x' \/>/);
});

t.test('value escaping', async (t) => {
  t.equal(x('A: <unknown>\r\n'), env(" a='&lt;unknown&gt;'"));
  t.equal(x(`A: a<b>&"c"'d\r\n`), env(" a='a&lt;b&gt;&amp;&quot;c&quot;&apos;d'"));
  t.equal(x('A: caf\xc3\xa9 CaSe\r\n'), env(" a='caf\xc3\xa9 CaSe'"), 'UTF-8 and case untouched');
  t.equal(x('A: x\x01\x7fy\r\n'), env(" a='x\x01\x7fy'"), 'control bytes inside a value copied (as Asterisk)');
  t.equal(x('A: x\x00y\r\n'), env(" a='x\x00y'"), 'NUL is an ordinary byte here (documented difference)');
});

t.test('opaque mode (lines without a colon)', async (t) => {
  t.equal(
    x('Response: Follows\r\nline one\r\nline: two\r\n--END COMMAND--\r\n\r\n'),
    env(" response='Follows' opaque_data='line one\nline: two\n--END COMMAND--'"),
    'continuation lines appended after \\n, colon or not; closed by the blank line',
  );
  t.equal(x('Response: Follows\r\nonly <one>\r\n'), env(" response='Follows' opaque_data='only &lt;one&gt;'"), 'first opaque line is the last line of the output: quote closed at once');
  t.equal(x('only'), env(" opaque_data='only'"), 'same, without a terminator');
  t.equal(
    x('Response: Follows\r\na\r\nb\r\n'),
    '<ajax-response>\n' + OPEN + " response='Follows' opaque_data='a\nb" + END + '</ajax-response>\n',
    'output ending inside continuation lines leaves the quote open (malformed, as Asterisk)',
  );
  t.equal(x('text\r\n\r\nA: 1\r\n\r\n'), env(" opaque_data='text'", " a='1'"), 'opaque mode ends with its block');
  t.equal(x('Opaque-data: x\r\nfree\r\n\r\n'), env(" opaque_data='x' opaque_data-2='free'"), 'a real Opaque-data header counts as a duplicate');
  t.equal(x('a \r\n  b  \r\n\r\n'), env(" opaque_data='a\n  b'"), 'opaque lines trimmed at the end only');
});

t.test('ajaxdest / ajaxobjtype (escaped: deliberate fix)', async (t) => {
  t.equal(x('A: 1\r\n', 'pingdiv', 'pong'), "<ajax-response>\n<response type='object' id='pingdiv'><pong a='1' /></response>\n</ajax-response>\n");
  t.equal(x('A: 1\r\n', '', ''), env(" a='1'"), 'empty means default');
  t.equal(
    x('A: 1\r\n', "x'/><evil a='", 'o'),
    "<ajax-response>\n<response type='object' id='x&apos;/&gt;&lt;evil a=&apos;'><o a='1' /></response>\n</ajax-response>\n",
    'dest is escaped (Asterisk would inject markup)',
  );
  t.equal(x('A: 1\r\n', 'd', 'x><script'), "<ajax-response>\n<response type='object' id='d'><x__script a='1' /></response>\n</ajax-response>\n", 'objtype sanitised to a name');
  t.equal(elementName('myobj'), 'myobj');
  t.equal(elementName('My.Obj-2_x'), 'My.Obj-2_x', 'valid name characters and case kept');
  t.equal(elementName('1x'), '_1x');
  t.equal(elementName('-x'), '_-x');
  t.equal(elementName('a b:c'), 'a_b_c');
  t.equal(elementName('é'), '_');
  t.equal(elementName(''), DEFAULT_OBJTYPE);
  t.equal(mxmlOpen(), mxmlOpen('unknown', 'generic'), 'defaults share one buffer');
  t.equal(mxmlOpen('a', 'b'), mxmlOpen('a', 'b'), 'openers are cached');
});

t.test('ajaxTarget: last parameter wins, case-insensitive, empty → default', async (t) => {
  t.same(ajaxTarget([]), { dest: DEFAULT_DEST, objtype: DEFAULT_OBJTYPE });
  t.same(ajaxTarget([['ajaxdest', 'a'], ['AjaxDest', 'b'], ['ajaxobjtype', 'o']]), { dest: 'b', objtype: 'o' });
  t.same(ajaxTarget([['ajaxdest', 'a'], ['ajaxdest', '']]), { dest: DEFAULT_DEST, objtype: DEFAULT_OBJTYPE });
  t.same(ajaxTarget([['ajaxdestx', 'a'], ['Action', 'Ping']]), { dest: DEFAULT_DEST, objtype: DEFAULT_OBJTYPE });
});

// ---- fuzz against the reference transliteration -------------------------------------------------

const ALPHABET = ['A', 'a', 'b', 'Z', '1', '9', ':', ':', ' ', ' ', '\t', '\r', '\n', '\r\n', '\r\n', '<', '>', '&', "'", '"', '-', '(', ')', '_', '.', '\x01', '\x00', '\x7f', '\x80', '\xc3\xa9', 'Output: ', 'Variable: ', 'variable: ', 'Opaque-data: '];

function randomInput(r: () => number): Buffer {
  let s = '';
  const n = Math.floor(r() * 60);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return Buffer.from(s, 'latin1');
}

t.test('fuzz: byte implementation = reference transliteration', async (t) => {
  const r = rng(0xa1a5);
  let bad = 0;
  for (let i = 0; i < 5000 && bad < 5; i++) {
    const input = randomInput(r);
    const expected = Buffer.concat([MXML_HEAD, refTranslate(input, OPEN), MXML_TAIL]);
    const actual = mxml(input);
    if (!actual.equals(expected)) {
      bad++;
      t.equal(actual.toString('latin1'), expected.toString('latin1'), JSON.stringify(input.toString('latin1')));
    }
  }
  t.equal(bad, 0);
});

t.test('fuzz: per-message blocks joined = whole output (CRLF-framed messages)', async (t) => {
  const r = rng(7);
  for (let i = 0; i < 500; i++) {
    const msgs: Buffer[] = [];
    const count = Math.floor(r() * 5);
    for (let m = 0; m < count; m++) {
      let s = '';
      const lines = 1 + Math.floor(r() * 6);
      for (let l = 0; l < lines; l++) {
        const body = randomInput(r).toString('latin1').replace(/[\r\n]/g, '');
        s += (body.trim() === '' ? 'X: y' : body) + '\r\n';
      }
      msgs.push(Buffer.from(s + '\r\n', 'latin1'));
    }
    const whole = mxml(Buffer.concat(msgs), 'd', 'o');
    const joined = mxmlJoin(msgs.map((m) => mxmlBlock(m, 'd', 'o')));
    if (!whole.equals(joined)) {
      t.equal(joined.toString('latin1'), whole.toString('latin1'));
      return;
    }
  }
  t.pass('500 random replies');
});

t.test('large output (scratch growth) and independence of results', async (t) => {
  const line = 'Output: ' + 'x<'.repeat(500) + '\r\n';
  const big = Buffer.from(line.repeat(3000) + '\r\n');
  const a = mxml(big);
  const expected = Buffer.concat([MXML_HEAD, refTranslate(big, OPEN), MXML_TAIL]);
  t.ok(a.equals(expected), 'a 3 MB reply matches the reference');
  t.match(a.subarray(a.length - 3100).toString(), /output-3000='(x&lt;){500}' \/><\/response>\n<\/ajax-response>\n$/);
  const small = mxml(Buffer.from('A: 1\r\n'));
  t.equal(small.toString(), env(" a='1'"), 'a small result after a big one is its own buffer');
  t.ok(a.equals(expected), 'earlier result not overwritten by the next call');
});
