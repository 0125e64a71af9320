import t from 'tap';
import { join } from 'node:path';
import { parseConf, readConf } from '../../lib/config/conf.ts';
import { AjamError, ErrorCodes } from '../../lib/errors.ts';

t.test('sections, both assignment forms, comments, repeated keys, line numbers', async (t) => {
  const text = [
    '; leading comment', //         1
    '', //                          2
    '[general]   ; trailing', //    3
    'bindaddr = 127.0.0.1', //      4
    '  bindport=8088  ', //         5
    'exten => 100,1,NoOp', //       6
    'deny=0.0.0.0/0.0.0.0', //      7
    'deny = 10.0.0.0/8 ; second', // 8
    '[ admin ]', //                 9
    'secret = a\\;b;c', //          10
    'empty =', //                   11
    'eq = a=b=c', //                12
  ].join('\r\n');
  const s = parseConf(text, 'x.conf');
  t.equal(s.length, 2);
  t.equal(s[0]!.name, 'general');
  t.equal(s[0]!.line, 3);
  t.equal(s[1]!.name, 'admin', 'name trimmed');
  t.same(
    s[0]!.entries.map((e) => [e.key, e.value, e.line, e.object]),
    [
      ['bindaddr', '127.0.0.1', 4, false],
      ['bindport', '8088', 5, false],
      ['exten', '100,1,NoOp', 6, true],
      ['deny', '0.0.0.0/0.0.0.0', 7, false],
      ['deny', '10.0.0.0/8', 8, false],
    ],
  );
  t.same(
    s[1]!.entries.map((e) => [e.key, e.value, e.line]),
    [
      ['secret', 'a;b', 10],
      ['empty', '', 11],
      ['eq', 'a=b=c', 12],
    ],
  );
  t.equal(s[1]!.entries[0]!.file, 'x.conf');
});

t.test('block comments ;-- --; span lines and nest', async (t) => {
  const text = ['[a]', 'k1 = v1 ;-- start', 'hidden = 1', ';-- nested --;', 'still = hidden --; k2 = v2', 'k3 = v3 ;-- x --; ; y', '[b]'].join('\n');
  const s = parseConf(text, 'c.conf');
  t.same(
    s[0]!.entries.map((e) => [e.key, e.value, e.line]),
    [
      ['k1', 'v1', 2],
      ['k2', 'v2', 5],
      ['k3', 'v3', 6],
    ],
  );
  t.throws(() => parseConf('[a]\n;-- never closed\nk=v\n', 'u.conf'), {
    code: ErrorCodes.CONF_ERR_SYNTAX,
    message: /^u\.conf:2: .*never closed/,
  });
});

t.test('templates, inheritance and (+)', async (t) => {
  const text = [
    '[base](!)',
    'read = call',
    'write = reporting',
    '[alice](base)',
    'secret = a',
    '[bob](base)',
    'write = call',
    '[alice](+)',
    'deny = 0.0.0.0/0',
  ].join('\n');
  const s = parseConf(text, 't.conf');
  t.same(s.map((x) => [x.name, x.template]), [['base', true], ['alice', false], ['bob', false]]);
  t.same(s[1]!.entries.map((e) => `${e.key}=${e.value}@${e.line}`), ['read=call@2', 'write=reporting@3', 'secret=a@5', 'deny=0.0.0.0/0@9']);
  t.same(s[2]!.entries.map((e) => `${e.key}=${e.value}`), ['read=call', 'write=reporting', 'write=call'], 'own line after inherited one');
});

t.test('syntax errors say file:line: message', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['[general\nk=v', /^bad\.conf:1: missing '\]'/],
    ['[]\n', /^bad\.conf:1: empty section name/],
    ['[a]\njust words', /^bad\.conf:2: expected 'key = value'/],
    ['k = v\n[a]', /^bad\.conf:1: 'k' is outside any \[section\]/],
    ['[a]\n = v', /^bad\.conf:2: missing key/],
    ['[a] junk', /^bad\.conf:1: unexpected 'junk'/],
    ['[a](nosuch)', /^bad\.conf:1: \[a\] inherits from 'nosuch'/],
    ['[a](+)', /^bad\.conf:1: \[a\]\(\+\) appends/],
    ['[a]\n\n#exec /bin/true', /^bad\.conf:3: unsupported directive/],
    ['[a]\n#include "x.conf"', /^bad\.conf:2: #include is not available here/],
  ];
  for (const [text, re] of cases) {
    const err = t.throws(() => parseConf(text, 'bad.conf'), text) as AjamError;
    t.ok(err instanceof AjamError, text);
    t.equal(err.code, ErrorCodes.CONF_ERR_SYNTAX, text);
    t.match(err.message, re, text);
  }
});

t.test('readConf follows #include and #tryinclude', async (t) => {
  const dir = t.testdir({
    'main.conf': '[general]\nk = 1\n#include "users.d/*.conf"\n#tryinclude missing.conf\n#include <extra.conf>\n',
    'users.d': { 'a.conf': '[alice]\nsecret = a\n', 'b.conf': 'read = call\n[bob]\nsecret = b\n', 'skip.txt': '[nope]\n' },
    'extra.conf': 'tail = yes\n',
    'loop.conf': '[x]\n#include loop.conf\n',
    'missing-inc.conf': '[x]\n#include nothere.conf\n',
    'noglob.conf': '[x]\n#include none/*.conf\n',
  });
  const s = readConf(join(dir, 'main.conf'));
  t.same(s.map((x) => x.name), ['general', 'alice', 'bob']);
  t.same(s[1]!.entries.map((e) => `${e.key}=${e.value}`), ['secret=a', 'read=call'], 'an included file continues the current section');
  t.same(s[2]!.entries.map((e) => `${e.key}=${e.value}`), ['secret=b', 'tail=yes']);
  t.equal(s[1]!.entries[1]!.file, join(dir, 'users.d', 'b.conf'), 'entries remember their own file');
  t.equal(s[1]!.entries[1]!.line, 1);
  t.throws(() => readConf(join(dir, 'loop.conf')), { code: ErrorCodes.CONF_ERR_SYNTAX, message: /nested more than/ });
  t.throws(() => readConf(join(dir, 'missing-inc.conf')), {
    code: ErrorCodes.CONF_ERR_FILE,
    message: new RegExp(`^${join(dir, 'missing-inc.conf').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: cannot read config file`),
  });
  t.throws(() => readConf(join(dir, 'noglob.conf')), { code: ErrorCodes.CONF_ERR_FILE, message: /matches no file/ });
  t.throws(() => readConf(join(dir, 'nope.conf')), { code: ErrorCodes.CONF_ERR_FILE, message: /cannot read config file .*nope\.conf.*ENOENT/ });
});
