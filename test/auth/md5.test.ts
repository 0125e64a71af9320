import t from 'tap';
import { checkMd5Key, checkSecret, md5Key, safeEqual } from '../../lib/auth/md5.ts';

t.test('md5Key: Asterisk 22 capture vector (tcp_09)', async (t) => {
  // Challenge: 186670095, admin's secret adminpw, Key sent and accepted by Asterisk 22.10.1.
  t.equal(md5Key('186670095', 'adminpw'), 'a10f7c6c48f0c4366072a74281d31e21');
  t.equal(md5Key('ab', 'c'), '900150983cd24fb0d6963f7d28e17f72', 'md5("abc")');
  t.equal(md5Key('', ''), 'd41d8cd98f00b204e9800998ecf8427e');
});

t.test('checkMd5Key', async (t) => {
  t.ok(checkMd5Key('186670095', 'adminpw', 'a10f7c6c48f0c4366072a74281d31e21'));
  t.notOk(checkMd5Key('186670095', 'adminpw', 'A10F7C6C48F0C4366072A74281D31E21'), 'strcmp: case-sensitive');
  t.notOk(checkMd5Key('186670095', 'adminpx', 'a10f7c6c48f0c4366072a74281d31e21'));
  t.notOk(checkMd5Key('', 'adminpw', md5Key('', 'adminpw')), 'no challenge issued');
  t.notOk(checkMd5Key('1', undefined, md5Key('1', '')), 'no secret');
  t.notOk(checkMd5Key('1', 'x', ''), 'empty key');
});

t.test('checkSecret and safeEqual', async (t) => {
  t.ok(checkSecret('adminpw', 'adminpw'));
  t.notOk(checkSecret('adminpw', 'AdminPW'));
  t.notOk(checkSecret('adminpw', 'adminpw '));
  t.notOk(checkSecret(undefined, ''));
  t.ok(safeEqual('', ''));
  t.ok(safeEqual('héllo', 'héllo'));
  t.notOk(safeEqual('abc', 'abcd'));
  t.notOk(safeEqual('abcd', 'abce'));
});
