import t from 'tap';
import { readFileSync } from 'node:fs';
import { AmiMessage } from '../../lib/ami/message.ts';
import { AmiParser } from '../../lib/ami/parser.ts';
import {
  ActionPermissions,
  builtinActionClasses,
  checkActionArguments,
  isOriginateAppPermitted,
  parseListCommands,
} from '../../lib/auth/actions.ts';
import { ALL, UNNAMED, parseClassList } from '../../lib/auth/classes.ts';

const CAPTURE = new URL('../fixtures/asterisk-22/http_16b_rawman_listcommands.txt', import.meta.url);

/** The AMI messages of the captured /rawman ListCommands body, parsed by the real parser. */
function captured(chunkSize?: number): AmiMessage[] {
  const bytes = readFileSync(CAPTURE);
  const body = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
  const out: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => out.push(m) });
  if (chunkSize === undefined) p.push(body);
  else for (let i = 0; i < body.length; i += chunkSize) p.push(body.subarray(i, i + chunkSize));
  return out;
}

const c = (s: string): number => parseClassList(s);

t.test('parseListCommands reads the Asterisk 22 capture', async (t) => {
  const msgs = captured();
  t.equal(msgs.length, 1);
  const table = parseListCommands(msgs);
  t.equal(table.size, 75, 'every action line, not Response');
  t.notOk(table.has('response'));
  t.equal(table.get('absolutetimeout'), c('system,call'));
  t.equal(table.get('aocmessage'), c('aoc'));
  t.equal(table.get('bridgedestroy'), 0, '<none>');
  t.equal(table.get('command'), c('command'));
  t.equal(table.get('originate'), c('originate'));
  t.equal(table.get('status'), c('system,call,reporting'));
  t.equal(table.get('queuestatus'), 0);
  t.equal(table.get('queuepause'), c('agent'));
  t.equal(table.get('filter'), c('system'));
  t.equal(table.get('showdialplan'), c('config,reporting'));
  t.equal(table.get('messagesend'), c('message'));
  t.equal(table.get('userevent'), c('user'));
  t.equal(table.get('waitevent'), 0);
  // Same result whatever the chunking.
  t.same([...parseListCommands(captured(7))], [...table]);
  t.same([...parseListCommands(captured(1))], [...table]);
});

t.test('the built-in table agrees with Asterisk 22', async (t) => {
  const table = parseListCommands(captured());
  for (const [name, mask] of table) {
    t.equal(builtinActionClasses.get(name), mask, `${name} built in as Asterisk lists it`);
  }
  for (const [name, need] of [
    ['pjsipshowendpoints', c('system')],
    ['iaxpeers', c('system,reporting')],
    ['agi', c('agi')],
    ['agents', c('agent')],
  ] as const) {
    t.equal(builtinActionClasses.get(name), need, name);
  }
});

t.test('parseListCommands edge cases', async (t) => {
  const msg = AmiMessage.from([
    ['Response', 'Success'],
    ['ActionID', '42'],
    ['Foo', 'Synopsis (with parens) here  (Priv: all)'],
    ['Bar', 'No priv at all'],
    ['NewThing', 'Future class  (Priv: widget,all)'],
    ['Mixed', 'x  (Priv: call,widget,all)'],
  ]);
  const table = parseListCommands([msg]);
  t.same([...table.keys()].sort(), ['foo', 'mixed', 'newthing']);
  t.equal(table.get('foo'), UNNAMED, 'all alone: unnamed bits');
  t.equal(table.get('newthing'), UNNAMED);
  t.equal(table.get('mixed'), c('call') | UNNAMED);
});

t.test('ActionPermissions: any-of, 0 = anyone, unknown = nobody (deny by default)', async (t) => {
  const p = new ActionPermissions();
  const wallboard = c('reporting');
  const admin = ALL;
  t.equal(p.required('Status'), c('system,call,reporting'));
  t.equal(p.required('STATUS'), c('system,call,reporting'));
  t.equal(p.required('NoSuchAction'), undefined);
  t.ok(p.allows(wallboard, 'Status'), 'any one class is enough');
  t.ok(p.allows(wallboard, 'CoreShowChannels'));
  t.ok(p.allows(wallboard, 'ExtensionState'));
  t.ok(p.allows(wallboard, 'QueueStatus'), 'authority 0');
  t.ok(p.allows(0, 'Ping'));
  t.ok(p.allows(0, 'WaitEvent'));
  t.notOk(p.allows(wallboard, 'Originate'));
  t.notOk(p.allows(wallboard, 'Command'));
  t.notOk(p.allows(wallboard, 'Hangup'));
  t.notOk(p.allows(wallboard, 'Filter'));
  t.ok(p.allows(c('call'), 'Hangup'));
  t.ok(p.allows(c('system'), 'Hangup'));
  t.ok(p.allows(admin, 'Originate'));
  t.notOk(p.allows(wallboard, 'SomeModuleAction'), 'unknown action: not for limited users');
  t.notOk(p.allows(c('system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan,originate,agi,cc,aoc,test,security,message'), 'SomeModuleAction'));
  t.notOk(p.allows(admin, 'SomeModuleAction'), 'deny by default: not even write = all');

  t.equal(p.learned, false);
  p.update(new Map());
  t.equal(p.learned, false, 'an empty ListCommands teaches nothing');
  p.update(new Map([['SomeModuleAction', c('reporting')], ['status', c('system')]]));
  t.equal(p.learned, true);
  t.ok(p.allows(wallboard, 'somemoduleaction'), 'learned from ListCommands');
  t.notOk(p.allows(wallboard, 'Status'), 'ListCommands overrides the built-in value');
  t.equal(p.required('CoreShowChannels'), undefined, 'a built-in entry ListCommands left out: a module that server does not load');
  t.notOk(p.allows(ALL, 'CoreShowChannels'));
  for (const local of ['Login', 'Logoff', 'Challenge', 'Events', 'WaitEvent', 'Filter']) {
    t.not(p.required(local), undefined, `${local} stays known (the proxy answers it)`);
  }
  p.update(new Map());
  t.ok(p.allows(wallboard, 'somemoduleaction'), 'an empty ListCommands later changes nothing');

  const fresh = new ActionPermissions(new Map());
  fresh.update(parseListCommands(captured()));
  t.equal(fresh.size, 75);
  t.ok(fresh.allows(c('call,agent,reporting'), 'QueueSummary'));
  t.notOk(fresh.allows(ALL, 'PJSIPShowEndpoints'), 'learned: an action Asterisk lacks is unknown, for everyone');
  t.notOk(p.allows(ALL, 'NoSuchAction'), 'unknown actions are never allowed');
  t.notOk(p.allows(ALL, ' Originate'), 'names are looked up exactly as given (the dispatcher normalizes first)');
});

t.test('Originate app/data checks (manager.c originate_permissions_test)', async (t) => {
  const SYSTEM = c('system');
  const AGI = c('agi');
  const ORIGINATE = c('originate');
  t.ok(isOriginateAppPermitted('exec', '', SYSTEM));
  t.ok(isOriginateAppPermitted('exec', '', SYSTEM | AGI));
  t.ok(isOriginateAppPermitted('exec', '', ALL));
  t.notOk(isOriginateAppPermitted('exec', '', AGI));
  t.notOk(isOriginateAppPermitted('exec', '', c('verbose')));
  t.notOk(isOriginateAppPermitted('exec', '', 0));
  t.notOk(isOriginateAppPermitted('System', '', ORIGINATE), 'case-insensitive app match');
  t.notOk(isOriginateAppPermitted('MixMonitor', '', ORIGINATE));
  t.ok(isOriginateAppPermitted('queue', '', 0));
  t.ok(isOriginateAppPermitted('queue', 'somequeue,CcdHh,someURL,tt-monkeys,100,,gosub,rule,666', ORIGINATE | 16384));
  t.ok(isOriginateAppPermitted('queue', 'somequeue,CcdHh,someURL,tt-monkeys,100,SomeAGIScript,gosub,rule,666', SYSTEM | 16384));
  t.ok(isOriginateAppPermitted('queue', 'somequeue,CcdHh,someURL,tt-monkeys,100,SomeAGIScript,gosub,rule,666', AGI | 16384));
  t.ok(isOriginateAppPermitted('queue', 'somequeue,CcdHh,someURL,tt-monkeys,100,SomeAGIScript,gosub,rule,666', ALL));
  t.notOk(isOriginateAppPermitted('queue', 'somequeue,CcdHh,someURL,tt-monkeys,100,SomeAGIScript,gosub,rule,666', 0));
  t.notOk(isOriginateAppPermitted('queue', 'somequeue,CcdHh,someURL,tt-monkeys,100,SomeAGIScript,gosub,rule,666', ORIGINATE | 16384));
  t.ok(isOriginateAppPermitted('someapp', 'aaaDBbbb', SYSTEM));
  t.ok(isOriginateAppPermitted('someapp', 'aaa DB bbb', ALL));
  t.notOk(isOriginateAppPermitted('someapp', 'aaaDBbbb', 0));
  t.notOk(isOriginateAppPermitted('someapp', 'aaa DB bbb', 0));
  t.ok(isOriginateAppPermitted('someapp', 'aaa db bbb', 0), 'data match is case-sensitive');
  t.ok(isOriginateAppPermitted('Playback', 'hello-world', ORIGINATE));
});

t.test('checkActionArguments: the replies Asterisk would give the HTTP user', async (t) => {
  const req = (pairs: Array<[string, string]>): AmiMessage => AmiMessage.from(pairs);
  const originator = c('originate,call');
  t.equal(
    checkActionArguments('Originate', req([['Channel', 'Local/1@x'], ['Application', 'System'], ['Data', 'rm -rf /']]), originator),
    'Originate Access Forbidden: app or data blacklisted',
  );
  t.equal(checkActionArguments('originate', req([['Channel', 'Local/1@x'], ['Application', 'Playback'], ['Data', '${SHELL(id)}']]), originator), 'Originate Access Forbidden: app or data blacklisted');
  t.equal(checkActionArguments('Originate', req([['Channel', 'Local/1@x'], ['Application', 'Playback'], ['Data', 'tt-monkeys']]), originator), undefined);
  t.equal(checkActionArguments('Originate', req([['Channel', 'Local/1@x'], ['Exten', '100'], ['Context', 'x'], ['Priority', '1']]), originator), undefined, 'dialplan originate: no app check');
  t.equal(checkActionArguments('Originate', req([['Application', 'System'], ['Data', 'x']]), ALL), undefined);
  t.equal(checkActionArguments('Getvar', req([['Variable', 'SHELL(id)']]), c('call')), 'GetVar Access Forbidden: Variable');
  t.equal(checkActionArguments('Getvar', req([['Variable', 'EVAL(${X})']]), c('reporting')), 'GetVar Access Forbidden: Variable');
  t.equal(checkActionArguments('Getvar', req([['Variable', 'CHANNEL(state)']]), c('call')), undefined);
  t.equal(checkActionArguments('Getvar', req([['Variable', 'SHELL(id)']]), c('system')), undefined);
  t.equal(checkActionArguments('Status', req([['Variables', 'SHELL(id)']]), c('reporting')), 'Status Access Forbidden: Variables');
  t.equal(checkActionArguments('Status', req([]), c('reporting')), undefined);
  t.equal(checkActionArguments('Ping', req([['Data', 'SHELL']]), 0), undefined);
});
