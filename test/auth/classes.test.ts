import t from 'tap';
import {
  ALL,
  CLASS_BITS,
  UNNAMED,
  maskFromPrivilege,
  maskToString,
  parseClassList,
  parseEventMask,
} from '../../lib/auth/classes.ts';
import { AjamError, ErrorCodes } from '../../lib/errors.ts';

t.test('class bits match spec §5.1', async (t) => {
  t.equal(CLASS_BITS.system, 1);
  t.equal(CLASS_BITS.call, 2);
  t.equal(CLASS_BITS.reporting, 512);
  t.equal(CLASS_BITS.originate, 4096);
  t.equal(CLASS_BITS.agi, 8192);
  t.equal(CLASS_BITS.cc, 32768);
  t.equal(CLASS_BITS.security, 262144);
  t.equal(CLASS_BITS.message, 1073741824);
  t.equal(ALL, 0x7fffffff);
  t.equal(UNNAMED & CLASS_BITS.call!, 0);
  t.equal(UNNAMED & 16384, 16384, 'hookresponse is unnamed');
});

t.test('parseClassList: strict, case-insensitive, blanks allowed', async (t) => {
  t.equal(parseClassList('all'), ALL);
  t.equal(parseClassList('ALL'), ALL);
  t.equal(parseClassList('none'), 0);
  t.equal(parseClassList(''), 0);
  t.equal(parseClassList('   '), 0);
  t.equal(parseClassList('call,agent,reporting'), 2 | 32 | 512);
  t.equal(parseClassList('call, agent , Reporting'), 2 | 32 | 512);
  t.equal(parseClassList('System,CALL'), 3);
  t.equal(parseClassList('none,call'), 2);
  t.equal(parseClassList('call,'), 2, 'trailing comma ignored (as Asterisk)');
  t.equal(parseClassList('reporting,all'), ALL);
});

t.test('parseClassList: unknown class names file, line and word', async (t) => {
  const err = t.throws(() => parseClassList('call,agnet', { file: 'users.conf', line: 12, key: 'read' })) as AjamError;
  t.ok(err instanceof AjamError);
  t.equal(err.code, ErrorCodes.CONF_ERR_UNKNOWN_CLASS);
  t.match(err.message, /^users\.conf:12: read: unknown class 'agnet'/);
  // No Asterisk prefix matching: `c` is not call/command/config/cdr/cc.
  const e2 = t.throws(() => parseClassList('c,log', 'x.conf:3')) as AjamError;
  t.equal(e2.code, ErrorCodes.CONF_ERR_UNKNOWN_CLASS);
  t.match(e2.message, /^x\.conf:3: unknown class 'c'/);
  // `call,,log` would grant everything in Asterisk.
  const e3 = t.throws(() => parseClassList('call,,log')) as AjamError;
  t.equal(e3.code, ErrorCodes.CONF_ERR_UNKNOWN_CLASS);
  t.match(e3.message, /empty class name/);
  t.throws(() => parseClassList(',call'), { code: ErrorCodes.CONF_ERR_UNKNOWN_CLASS });
  t.throws(() => parseClassList('hookresponse'), { code: ErrorCodes.CONF_ERR_UNKNOWN_CLASS });
  t.throws(() => parseClassList('toString'), { code: ErrorCodes.CONF_ERR_UNKNOWN_CLASS }, 'no prototype keys');
});

t.test('maskFromPrivilege', async (t) => {
  t.equal(maskFromPrivilege('call,all'), 2);
  t.equal(maskFromPrivilege('dialplan,all'), 2048);
  t.equal(maskFromPrivilege('system,all'), 1);
  t.equal(maskFromPrivilege('Call'), 2, 'Status items say Privilege: Call');
  t.equal(maskFromPrivilege('call, agent ,all'), 2 | 32);
  t.equal(maskFromPrivilege('<none>'), 0);
  t.equal(maskFromPrivilege(undefined), 0);
  t.equal(maskFromPrivilege(''), 0);
  t.equal(maskFromPrivilege('all'), UNNAMED, 'all alone: unnamed bits, only read=all users');
  t.equal(maskFromPrivilege('newclass,all'), UNNAMED, 'unknown class: only read=all users');
  t.equal(maskFromPrivilege('call,newclass,all'), 2 | UNNAMED);
  // The read check is AND: only ALL holds UNNAMED entirely.
  t.equal(ALL & UNNAMED, UNNAMED);
  t.not(parseClassList('system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan,originate,agi,cc,aoc,test,security,message') & UNNAMED, UNNAMED);
  // Cached path gives the same answer.
  t.equal(maskFromPrivilege('call,all'), 2);
});

t.test('maskToString is authority_to_str', async (t) => {
  t.equal(maskToString(2), 'call,all');
  t.equal(maskToString(1 | 2 | 512), 'system,call,reporting,all');
  t.equal(maskToString(0), '<none>');
  t.equal(maskToString(16384), 'all');
  t.equal(
    maskToString(ALL),
    'system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan,originate,agi,cc,aoc,test,security,message,all',
  );
  for (const m of [1, 2, 2048, 1 | 512, 1 << 30]) t.equal(maskFromPrivilege(maskToString(m)), m, `round trip ${m}`);
});

t.test('parseEventMask (Events action)', async (t) => {
  t.equal(parseEventMask('on'), ALL);
  t.equal(parseEventMask('yes'), ALL);
  t.equal(parseEventMask('off'), 0);
  t.equal(parseEventMask('no'), 0);
  t.equal(parseEventMask('0'), 0);
  t.equal(parseEventMask('1'), 1, 'digits win over ast_true');
  t.equal(parseEventMask('2050'), 2050);
  t.equal(parseEventMask('99999999999'), ALL, 'capped');
  t.equal(parseEventMask('call,agent'), 34);
  t.equal(parseEventMask('Call, Agent'), 34);
  t.equal(parseEventMask('all'), ALL);
  t.equal(parseEventMask('none'), 0);
  t.equal(parseEventMask(''), -1);
  t.equal(parseEventMask('  '), -1);
  t.equal(parseEventMask(undefined), -1);
  t.equal(parseEventMask('bogus'), -1);
  t.equal(parseEventMask('call,bogus'), -1);
  t.equal(parseEventMask('-5'), -1);
});
