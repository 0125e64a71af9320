import t from 'tap';
import { Acl, allowList, parseIp } from '../../lib/auth/acl.ts';
import { AjamError, ErrorCodes } from '../../lib/errors.ts';

function acl(...rules: Array<[boolean, string]>): Acl {
  const a = new Acl();
  for (const [permit, value] of rules) a.add(permit, value, 'users.conf:7: permit');
  return a;
}

t.test('no rules: everyone', async (t) => {
  const a = new Acl();
  t.ok(a.allows('127.0.0.1'));
  t.ok(a.allows('::1'));
  t.ok(a.allows('garbage'), 'nothing to check against');
});

t.test('the manager.conf sample: deny all IPv4, permit 127.0.0.x', async (t) => {
  const a = acl([false, '0.0.0.0/0.0.0.0'], [true, '127.0.0.1/255.255.255.0']);
  t.ok(a.allows('127.0.0.1'));
  t.ok(a.allows('127.0.0.254'));
  t.notOk(a.allows('127.0.1.1'));
  t.notOk(a.allows('10.1.2.3'));
  t.notOk(a.allows('192.168.0.1'));
  // IPv4-mapped IPv6, as a dual-stack socket reports IPv4 clients.
  t.ok(a.allows('::ffff:127.0.0.1'));
  t.ok(a.allows('::FFFF:127.0.0.9'));
  t.ok(a.allows('0:0:0:0:0:ffff:7f00:1'), 'mapped, hex form');
  t.notOk(a.allows('::ffff:10.0.0.1'));
  // Asterisk: an IPv4 rule never applies to a (non-mapped) IPv6 client.
  t.ok(a.allows('::1'), 'IPv4-only rules leave IPv6 open (Asterisk semantics)');
  t.notOk(a.allows('not-an-ip'), 'unparsable address with rules: refused');
  t.notOk(a.allows(''));
});

t.test('order matters: the last matching rule wins', async (t) => {
  const a = acl([true, '10.0.0.0/8'], [false, '10.1.0.0/16']);
  t.ok(a.allows('10.2.3.4'));
  t.notOk(a.allows('10.1.3.4'));
  t.ok(a.allows('192.168.1.1'), 'no match: allowed');
  const b = acl([false, '10.1.0.0/16'], [true, '10.0.0.0/8']);
  t.ok(b.allows('10.1.3.4'));
});

t.test('CIDR, host rules, comma lists and !', async (t) => {
  const a = acl([false, '0.0.0.0/0'], [true, '192.168.10.0/24, 10.9.9.9']);
  t.ok(a.allows('192.168.10.77'));
  t.notOk(a.allows('192.168.11.1'));
  t.ok(a.allows('10.9.9.9'));
  t.notOk(a.allows('10.9.9.8'), 'no mask: a single host');
  const b = acl([true, '!192.168.0.0/16']);
  t.notOk(b.allows('192.168.1.1'), '! turns permit into deny');
  t.ok(b.allows('10.0.0.1'));
  const c = acl([false, '0.0.0.0/0'], [true, '127.0.0.1/32']);
  t.ok(c.allows('127.0.0.1'));
  t.notOk(c.allows('127.0.0.2'));
  const d = acl([false, '0.0.0.0/0'], [true, '127.0.0.0/8'], [false, '127.0.0.7']);
  t.ok(d.allows('127.5.5.5'));
  t.notOk(d.allows('127.0.0.7'));
});

t.test('IPv6 rules', async (t) => {
  const a = acl([false, '::/0'], [true, '::1'], [true, '2001:db8::/32']);
  t.ok(a.allows('::1'));
  t.ok(a.allows('0:0:0:0:0:0:0:1'));
  t.ok(a.allows('[::1]'));
  t.ok(a.allows('2001:db8:1234::5'));
  t.ok(a.allows('2001:DB8::'));
  t.notOk(a.allows('2001:db9::1'));
  t.notOk(a.allows('fe80::1%eth0'));
  t.ok(a.allows('127.0.0.1'), 'IPv6 rules leave IPv4 clients alone');
  t.ok(a.allows('::ffff:127.0.0.1'), 'mapped clients are IPv4');
  const b = acl([false, '::/0'], [true, 'fe80::/10']);
  t.ok(b.allows('fe80::1%eth0'), 'zone id ignored');
  t.ok(b.allows('febf:ffff::1'));
  t.notOk(b.allows('fec0::1'));
  const c = acl([false, '::/0'], [true, '2001:db8::/ffff:ffff::']);
  t.ok(c.allows('2001:db8::9'), 'IPv6 netmask written out');
  t.notOk(c.allows('2001:db7::9'));
});

t.test('rules written with IPv4-mapped addresses are IPv4 rules', async (t) => {
  const a = acl([false, '0.0.0.0/0'], [true, '::ffff:127.0.0.1/104']);
  t.ok(a.allows('127.1.2.3'));
  t.ok(a.allows('::ffff:127.9.9.9'));
  t.notOk(a.allows('10.0.0.1'));
  const b = acl([false, '0.0.0.0/0'], [true, '::ffff:10.0.0.5']);
  t.ok(b.allows('10.0.0.5'));
  t.notOk(b.allows('10.0.0.6'));
});

t.test('bad rules are errors naming where', async (t) => {
  const cases = ['300.1.1.1', '1.2.3', '10.0.0.0/33', '10.0.0.0/255.0.0', 'abc', '', '1.2.3.4,', '::1/129', '10.0.0.0/ffff::', 'fe80::1::2'];
  for (const v of cases) {
    const err = t.throws(() => new Acl().add(true, v, 'users.conf:7: permit'), v) as AjamError;
    t.ok(err instanceof AjamError);
    t.equal(err.code, ErrorCodes.CONF_ERR_VALUE);
    t.match(err.message, /^users\.conf:7: permit: /);
  }
});

t.test('parseIp', async (t) => {
  t.same(parseIp('1.2.3.4'), { v6: false, mapped: false, words: [0, 0, 0, 0x01020304] });
  t.same(parseIp('::'), { v6: true, mapped: false, words: [0, 0, 0, 0] });
  t.same(parseIp('1::'), { v6: true, mapped: false, words: [0x00010000, 0, 0, 0] });
  t.same(parseIp('::ffff:1.2.3.4'), { v6: false, mapped: true, words: [0, 0, 0, 0x01020304] });
  t.same(parseIp('64:ff9b::1.2.3.4'), { v6: true, mapped: false, words: [0x0064ff9b, 0, 0, 0x01020304] });
  t.same(parseIp('1:2:3:4:5:6:7:8'), { v6: true, mapped: false, words: [0x00010002, 0x00030004, 0x00050006, 0x00070008] });
  for (const bad of ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', '1.2.3.4.5', '01.2.3.256', ':1', 'g::1', '1.2.3.4::']) {
    t.equal(parseIp(bad), undefined, bad);
  }
});

t.test('allowList (metricspermit): listed addresses only, any, none; bad input names the setting', async (t) => {
  const loop = allowList('127.0.0.0/8, ::1');
  t.ok(loop.allows('127.0.0.1'));
  t.ok(loop.allows('::1'));
  t.ok(loop.allows('::ffff:127.0.0.5'), 'a dual-stack socket reports IPv4 as mapped');
  t.notOk(loop.allows('10.0.0.1'));
  t.notOk(loop.allows('2001:db8::1'));
  t.notOk(loop.allows('not an address'));
  t.ok(allowList('any').allows('203.0.113.9'));
  t.notOk(allowList('none').allows('127.0.0.1'));
  t.notOk(allowList('NONE').allows('::1'));
  t.throws(() => allowList('127.0.0.1, bogus', 'ajam-proxy.conf:7: metricspermit'), /^ajam-proxy\.conf:7: metricspermit: invalid IP address 'bogus'/);
});
