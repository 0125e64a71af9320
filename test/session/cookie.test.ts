import t from 'tap';
import { sessionIdFromCookies } from '../../lib/session/cookie.ts';

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';

t.test('quoted or unquoted, any case', async (t) => {
  t.equal(sessionIdFromCookies(`mansession_id="${A}"`), A);
  t.equal(sessionIdFromCookies(`mansession_id=${A}`), A);
  t.equal(sessionIdFromCookies(`MANSESSION_ID = "${A.toUpperCase()}" `), A, 'name any case, hex upper case, blanks');
  t.equal(sessionIdFromCookies(`other=1; mansession_id=${A}; x=y`), A, 'not the first cookie');
});

t.test('the last mansession_id wins, even when it is garbage', async (t) => {
  t.equal(sessionIdFromCookies(`mansession_id=${A}; mansession_id="${B}"`), B);
  t.equal(sessionIdFromCookies(`mansession_id=${A}; mansession_id=nothex`), undefined);
});

t.test('nothing usable', async (t) => {
  t.equal(sessionIdFromCookies(undefined), undefined);
  t.equal(sessionIdFromCookies(''), undefined);
  t.equal(sessionIdFromCookies('foo=bar'), undefined);
  t.equal(sessionIdFromCookies('mansession_id'), undefined);
  t.equal(sessionIdFromCookies('mansession_id="3f9a2c1e"'), undefined, "Asterisk's 32-bit ids are not ours");
  t.equal(sessionIdFromCookies('xmansession_id=' + A), undefined);
});
