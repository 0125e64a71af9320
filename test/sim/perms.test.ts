// The simulator's copy of manager.c's class handling, quirks included (spec §5.1).
import t from 'tap';
import { ALL, authorityToStr, categoryFromPrivilege, getPerm, stringsToMask } from '../../lib/sim/perms.ts';
import { ACTIONS, findAction } from '../../lib/sim/registry.ts';

t.test('get_perm', async (t) => {
  t.equal(getPerm('all'), ALL);
  t.equal(getPerm('call,agent,reporting'), 2 | 32 | 512);
  t.equal(getPerm('system, call'), 1, 'no blanks allowed: " call" matches nothing');
  t.equal(getPerm('c,log'), 2 | 16 | 128 | 1024 | 32768 | 4, 'a non-final token is a prefix');
  t.equal(getPerm('call,,log'), ALL, 'an empty middle token grants everything');
  t.equal(getPerm('Call'), 0, 'case-sensitive');
  t.equal(getPerm(''), 0);
});

t.test('strings_to_mask', async (t) => {
  t.equal(stringsToMask('on'), ALL);
  t.equal(stringsToMask('off'), 0);
  t.equal(stringsToMask('5'), 5);
  t.equal(stringsToMask(''), -1);
  t.equal(stringsToMask('call'), 2);
});

t.test('authority_to_str and Privilege parsing', async (t) => {
  t.equal(authorityToStr(2), 'call,all');
  t.equal(authorityToStr(1 | 512), 'system,reporting,all');
  t.equal(authorityToStr(0), '<none>');
  t.equal(categoryFromPrivilege('call,all'), 2);
  t.equal(categoryFromPrivilege('security,all'), 1 << 18);
  t.equal(categoryFromPrivilege('all'), ALL);
});

t.test('registered actions', async (t) => {
  t.equal(ACTIONS.length, 75);
  t.equal(findAction('originate')?.authority, 4096);
  t.equal(findAction('STATUS')?.authority, 1 | 2 | 512);
  t.equal(findAction('QueueSummary')?.authority, 0);
  t.equal(findAction('NoSuchAction'), undefined);
  // ListCommands prints these back byte for byte: see actions.test.ts (http_16b).
});
