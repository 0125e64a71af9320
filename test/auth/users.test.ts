import t from 'tap';
import { join } from 'node:path';
import { AmiMessage } from '../../lib/ami/message.ts';
import { ALL, parseClassList } from '../../lib/auth/classes.ts';
import { shouldSendEvent } from '../../lib/auth/filter.ts';
import { ManagerUser, limitToServers, loadUsers, usersFromSections } from '../../lib/auth/users.ts';
import { parseConf } from '../../lib/config/conf.ts';
import { AjamError, ErrorCodes } from '../../lib/errors.ts';

const users = (text: string): Map<string, ManagerUser> =>
  usersFromSections(parseConf(text, 'users.conf'), 'users.conf') as Map<string, ManagerUser>;

t.test('a manager.conf-format file', async (t) => {
  const u = users(
    [
      '[general]', //                                     1
      'enabled = yes', //                                 2
      'port = 5038', //                                   3
      'bindaddr = 0.0.0.0', //                            4
      'webenabled = yes', //                              5
      'tlsenable = no', //                                6
      'allowmultiplelogin = no', //                       7
      '', //                                              8
      '[Admin]', //                                       9
      'secret = Pa;ss', //                               10 (comment cuts it)
      'read = all', //                                   11
      'write = all', //                                  12
      'allowmultiplelogin = yes', //                     13
      '[wallboard]', //                                  14
      'secret = wallpw', //                              15
      'read = call, agent , reporting', //               16
      'write = reporting', //                            17
      'deny = 0.0.0.0/0.0.0.0', //                       18
      'permit = 127.0.0.1/255.255.255.0', //             19
      'eventfilter = !Event: VarSet', //                 20
      'eventfilter(action(exclude),name(Newexten)) =', // 21
      'displayconnects = no', //                         22
      'writetimeout = 200', //                           23
      'setvar = ACCOUNT=wall', //                        24
      'setvar = X = y=z', //                             25
      '[nosecret]', //                                   26
      'read = call', //                                  27
      '[emptysecret]', //                                28
      'secret =', //                                     29
    ].join('\n'),
  );
  t.same([...u.keys()], ['admin', 'wallboard', 'nosecret', 'emptysecret'], 'lower-case keys, [general] skipped');
  const admin = u.get('admin')!;
  t.equal(admin.name, 'Admin', 'name as written');
  t.equal(admin.secret, 'Pa');
  t.equal(admin.read, ALL);
  t.equal(admin.write, ALL);
  t.equal(admin.allowMultipleLogin, true, 'per-user overrides [general]');
  t.ok(admin.allows('10.1.1.1'), 'no ACL: everyone');
  t.same(admin.eventFilters, []);
  t.equal(admin.file, 'users.conf');
  t.equal(admin.line, 9);

  const w = u.get('wallboard')!;
  t.equal(w.read, parseClassList('call,agent,reporting'));
  t.equal(w.write, parseClassList('reporting'));
  t.equal(w.allowMultipleLogin, false, '[general] allowmultiplelogin is the default');
  t.ok(w.allows('127.0.0.1'));
  t.ok(w.allows('::ffff:127.0.0.1'));
  t.notOk(w.allows('192.168.1.5'));
  t.equal(w.eventFilters.length, 2);
  t.equal(w.displayConnects, false);
  t.equal(w.writeTimeout, 200);
  t.same(w.setvar, [['ACCOUNT', 'wall'], ['X', 'y=z']]);
  const ev = (name: string): AmiMessage => AmiMessage.from([['Event', name], ['Privilege', 'dialplan,all'], ['Channel', 'x']]);
  t.notOk(shouldSendEvent(w.eventFilters, ev('VarSet')));
  t.notOk(shouldSendEvent(w.eventFilters, ev('Newexten')));
  t.ok(shouldSendEvent(w.eventFilters, ev('Hangup')));

  t.equal(u.get('nosecret')!.secret, undefined, 'no secret: can never log in');
  t.equal(u.get('nosecret')!.write, 0, 'missing write: 0');
  t.equal(u.get('emptysecret')!.secret, undefined, 'empty secret treated as none');
});

t.test('templates are not users; inherited keys apply', async (t) => {
  const u = users('[base](!)\nread = call\nwrite = reporting\n[a](base)\nsecret = x\n[b](base)\nsecret = y\nwrite = call\n');
  t.same([...u.keys()], ['a', 'b']);
  t.equal(u.get('a')!.write, parseClassList('reporting'));
  t.equal(u.get('b')!.write, parseClassList('call'), 'own value after the inherited one wins');
  t.equal(u.get('b')!.read, parseClassList('call'));
});

t.test('bad users files: errors name file, line and the word', async (t) => {
  const err = (text: string): AjamError => t.throws(() => users(text), text) as AjamError;
  let e = err('[a]\nsecret = x\nread = call,agnet\n');
  t.equal(e.code, ErrorCodes.CONF_ERR_UNKNOWN_CLASS);
  t.match(e.message, /^users\.conf:3: read: unknown class 'agnet'/);
  e = err('[a]\nsecret = x\n\nwrite = Call, Sytem\n');
  t.equal(e.code, ErrorCodes.CONF_ERR_UNKNOWN_CLASS);
  t.match(e.message, /^users\.conf:4: write: unknown class 'Sytem'/);
  e = err('[a]\nsecret = x\npremit = 127.0.0.1\n');
  t.equal(e.code, ErrorCodes.CONF_ERR_VALUE);
  t.match(e.message, /^users\.conf:3: unknown key 'premit' in \[a\]/);
  e = err('[general]\nallowmultilogin = no\n[a]\nsecret = x\n');
  t.match(e.message, /^users\.conf:2: unknown key 'allowmultilogin' in \[general\]/);
  e = err('[a]\nsecret = x\npermit = 127.0.0.256\n');
  t.match(e.message, /^users\.conf:3: permit: invalid IP address '127\.0\.0\.256'/);
  e = err('[a]\nacl = office\n');
  t.match(e.message, /^users\.conf:2: acl = office: named ACLs/);
  e = err('[a]\nallowmultiplelogin = maybe\n');
  t.match(e.message, /^users\.conf:2: allowmultiplelogin: expected yes or no, got 'maybe'/);
  e = err('[a]\nwritetimeout = 50\n');
  t.match(e.message, /^users\.conf:2: writetimeout/);
  e = err('[a]\nsetvar = novalue\n');
  t.match(e.message, /^users\.conf:2: setvar: expected NAME=value/);
  e = err('[a]\neventfilter(nme(X)) =\n');
  t.match(e.message, /^users\.conf:2: .*unknown/);
  e = err('[a]\nsecret=x\n[A]\nsecret=y\n');
  t.match(e.message, /^users\.conf:3: user \[A\] defined twice \(first at users\.conf:1\)/);
  e = err('[general]\nenabled = yes\n');
  t.match(e.message, /no user sections/);
  e = err('[general]\n[general]\n[a]\n');
  t.match(e.message, /^users\.conf:2: \[general\] repeated/);
});

t.test('loadUsers reads from disk', async (t) => {
  const dir = t.testdir({ 'manager.conf': '[general]\nenabled = yes\n#include "manager.d/*.conf"\n', 'manager.d': { 'x.conf': '[x]\nsecret = s\nread = system\n' } });
  const u = loadUsers(join(dir, 'manager.conf'));
  t.equal(u.get('x')!.read, 1);
  t.throws(() => loadUsers(join(dir, 'missing.conf')), { code: ErrorCodes.CONF_ERR_FILE });
});

t.test('the shipped conf/users.conf', async (t) => {
  const u = loadUsers(new URL('../../conf/users.conf', import.meta.url).pathname) as Map<string, ManagerUser>;
  const admin = u.get('admin')!;
  t.equal(admin.secret, 'admin');
  t.equal(admin.read, ALL);
  t.equal(admin.write, ALL);
  const w = u.get('wallboard')!;
  t.equal(w.read, parseClassList('call,agent,reporting'));
  t.equal(w.write, parseClassList('reporting'));
  t.ok(w.allows('127.0.0.1'));
  t.ok(w.allows('::1'));
  t.ok(w.allows('::ffff:127.0.0.1'));
  t.notOk(w.allows('10.0.0.1'));
  t.notOk(w.allows('2001:db8::1'));
});

t.test('servers = a,b: limited to those Asterisk servers, names checked against the config', async (t) => {
  const u = users('[a]\nsecret = x\nservers = West, east\n[b]\nsecret = y\n');
  t.same(u.get('a')!.servers, ['west', 'east']);
  t.equal(u.get('b')!.servers, undefined);
  limitToServers(u, ['east', 'north', 'West']);
  t.equal(u.get('a')!.serverMask, 0b101, 'bits of the configured order');
  t.equal(u.get('b')!.serverMask, undefined, 'no limit: every server');
  const err = t.throws(() => limitToServers(u, ['east'])) as AjamError;
  t.equal(err.code, ErrorCodes.CONF_ERR_VALUE);
  t.match(err.message, /^users\.conf:3: servers: no server 'west' is configured \(configured: east\)$/);
  t.throws(() => users('[a]\nsecret = x\nservers = ,\n'), { code: ErrorCodes.CONF_ERR_VALUE, message: /users\.conf:3: servers: expected server names/ });
});
