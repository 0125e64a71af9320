import t from 'tap';
import { AmiMessage, parseOne } from '../../lib/ami/message.ts';
import {
  FilterError,
  FilterRule,
  compileRegex,
  eventText,
  parseEventFilterEntry,
  parseFilter,
  parseFilterAction,
  shouldSendEvent,
} from '../../lib/auth/filter.ts';
import { AjamError, ErrorCodes } from '../../lib/errors.ts';

const ev = (text: string): AmiMessage => parseOne(Buffer.from(text + '\r\n'));
const NEWCHANNEL = ev('Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n');
const VARSET = ev('Event: VarSet\r\nChannel: ABC\r\nSomeheader: XXX\r\n');

// Asterisk's own eventfilter_test_creation table (main/manager.c): criteria, pattern, expected
// rule, test event and whether it is sent with that single filter.
const creation: Array<[string, string, { exclude: boolean; method: string; name?: string; header?: string }, AmiMessage, boolean]> = [
  ['eventfilter', 'XXX', { exclude: false, method: 'regex' }, NEWCHANNEL, true],
  ['eventfilter', '!XXX', { exclude: true, method: 'regex' }, VARSET, false],
  ['eventfilter(name(VarSet),method(none))', '', { exclude: false, method: 'none', name: 'VarSet' }, VARSET, true],
  ['eventfilter(name(Newchannel),method(regex))', 'X[XYZ]X', { exclude: false, method: 'regex', name: 'Newchannel' }, NEWCHANNEL, true],
  ['eventfilter(name(Newchannel),method(regex))', 'X[abc]X', { exclude: false, method: 'regex', name: 'Newchannel' }, NEWCHANNEL, false],
  ['eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[XYZ]X', { exclude: true, method: 'regex', name: 'Newchannel' }, NEWCHANNEL, false],
  ['eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[abc]X', { exclude: true, method: 'regex', name: 'Newchannel' }, NEWCHANNEL, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(starts_with))', 'AB', { exclude: false, method: 'starts_with', name: 'VarSet', header: 'Channel:' }, VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(ends_with))', 'BC', { exclude: false, method: 'ends_with', name: 'VarSet', header: 'Channel:' }, VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(exact))', 'ABC', { exclude: false, method: 'exact', name: 'VarSet', header: 'Channel:' }, VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(exact))', 'XXX', { exclude: false, method: 'exact', name: 'VarSet', header: 'Channel:' }, VARSET, false],
  ['eventfilter(name(VarSet),header(Channel),method(exact))', '!ZZZ', { exclude: true, method: 'exact', name: 'VarSet', header: 'Channel:' }, VARSET, true],
  ['eventfilter(action(exclude),name(VarSet),header(Channel),method(exact))', 'ZZZ', { exclude: true, method: 'exact', name: 'VarSet', header: 'Channel:' }, VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Someheader),method(exact))', '!XXX', { exclude: false, method: 'exact', name: 'VarSet', header: 'Someheader:' }, VARSET, true],
];

t.test("Asterisk's eventfilter creation table", async (t) => {
  for (const [criteria, pattern, want, event, send] of creation) {
    const r = parseFilter(criteria, pattern);
    t.equal(r.exclude, want.exclude, `${criteria} = ${pattern}: exclude`);
    t.equal(r.method, want.method, `${criteria} = ${pattern}: method`);
    t.equal(r.eventName, want.name, `${criteria} = ${pattern}: name`);
    t.equal(r.header?.toString(), want.header, `${criteria} = ${pattern}: header`);
    t.equal(shouldSendEvent([r], event), send, `${criteria} = ${pattern}: sent`);
  }
});

t.test("Asterisk's invalid filters", async (t) => {
  const format: Array<[string, string]> = [
    ['eventfilter(action(include)', ''],
    ['eventfilter(action(inlude)', ''],
    ['eventfilter(nnnn(yyy)', 'XXX'],
    ['eventfilter(eader(VarSet)', 'XXX'],
    ['eventfilter(ethod(contains)', 'XXX'],
    ['eventfilter(nnnn(yyy),header(VarSet),method(contains)', 'XXX'],
    ['eventfilter(name(yyy),heder(VarSet),method(contains)', 'XXX'],
    ['eventfilter(name(yyy),header(VarSet),mehod(contains)', 'XXX'],
    ['eventfilter(name(yyy),header(VarSet),method(coains)', 'XXX'],
    ['eventfilter(method(yyy))', 'XXX'],
    ['eventfilter', ''],
    ['eventfilter', '!'],
    ['eventfilter()', 'XXX'],
    ['eventfilter(name(Newchannel))', 'pattern with method none'],
    ['eventfilter(name(Newchannel),method(exact))', ''],
    ['eventfilter(name)', ''],
  ];
  for (const [criteria, pattern] of format) {
    const err = t.throws(() => parseFilter(criteria, pattern), `${criteria} = ${pattern}`) as FilterError;
    t.equal(err.kind, 'format', `${criteria} = ${pattern}: format error`);
  }
  for (const [criteria, pattern] of [['eventfilter', 'XX[X'], ['eventfilter(method(regex))', 'XX[X']]) {
    const err = t.throws(() => parseFilter(criteria!, pattern!)) as FilterError;
    t.equal(err.kind, 'compile', `${criteria} = ${pattern}: compile error`);
  }
});

t.test("Asterisk's include/exclude precedence table", async (t) => {
  const rules = [
    parseFilter('eventfilter(name(VarSet),method(none))', ''),
    parseFilter('eventfilter(name(Newchannel),method(regex))', 'X[XYZ]X'),
    parseFilter('eventfilter(name(Newchannel),method(regex))', 'X[abc]X'),
    parseFilter('eventfilter(name(Newchannel),header(Someheader),method(regex))', 'ZZZ'),
    parseFilter('eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[a]X'),
    parseFilter('eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[Z]X'),
    parseFilter('eventfilter(action(exclude),name(VarSet),header(Channel),method(regex))', 'YYY'),
  ];
  const events: Array<[string, boolean]> = [
    ['Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n', true],
    ['Event: Newchannel\r\nChannel: XZX\r\nSomeheader: YYY\r\n', false],
    ['Event: Newchannel\r\nChannel: XaX\r\nSomeheader: YYY\r\n', false],
    ['Event: Newchannel\r\nChannel: XbX\r\nSomeheader: YYY\r\n', true],
    ['Event: Newchannel\r\nChannel: XcX\r\nSomeheader: YYY\r\n', true],
    ['Event: Newchannel\r\nChannel: YYY\r\nSomeheader: YYY\r\n', false],
    ['Event: Newchannel\r\nChannel: YYY\r\nSomeheader: ZZZ\r\n', true],
    ['Event: VarSet\r\nChannel: XXX\r\nSomeheader: YYY\r\n', true],
    ['Event: VarSet\r\nChannel: YYY\r\nSomeheader: YYY\r\n', false],
  ];
  for (const [text, send] of events) t.equal(shouldSendEvent(rules, ev(text)), send, JSON.stringify(text));
  // Order of rules does not matter.
  const reversed = rules.slice().reverse();
  for (const [text, send] of events) t.equal(shouldSendEvent(reversed, ev(text)), send, `reversed ${JSON.stringify(text)}`);
});

t.test('spec §4.4: none, include only, exclude only, both', async (t) => {
  const hangup = AmiMessage.from([['Event', 'Hangup'], ['Privilege', 'call,all'], ['Channel', 'PJSIP/alice-1']]);
  const newexten = AmiMessage.from([['Event', 'Newexten'], ['Privilege', 'dialplan,all'], ['Channel', 'Local/100@x-1;1']]);
  const varset = AmiMessage.from([['Event', 'VarSet'], ['Privilege', 'dialplan,all'], ['Channel', 'PJSIP/bob-2']]);
  const inc = parseFilter('eventfilter', 'Event: (Hangup|VarSet)');
  const exc = parseFilter('eventfilter', '!Channel: PJSIP/bob');
  // none
  for (const e of [hangup, newexten, varset]) t.ok(shouldSendEvent([], e));
  // include only
  t.ok(shouldSendEvent([inc], hangup));
  t.ok(shouldSendEvent([inc], varset));
  t.notOk(shouldSendEvent([inc], newexten));
  // exclude only
  t.ok(shouldSendEvent([exc], hangup));
  t.ok(shouldSendEvent([exc], newexten));
  t.notOk(shouldSendEvent([exc], varset));
  // both: include must match and no exclude
  t.ok(shouldSendEvent([inc, exc], hangup));
  t.notOk(shouldSendEvent([inc, exc], varset), 'included but excluded');
  t.notOk(shouldSendEvent([exc, inc], newexten), 'not included');
  // several includes: any one
  const inc2 = parseFilter('eventfilter(name(Newexten))', '');
  t.ok(shouldSendEvent([inc, inc2, exc], newexten));
});

t.test('legacy regex is over the whole event text, POSIX style', async (t) => {
  const e = AmiMessage.from([['Event', 'Newchannel'], ['Privilege', 'call,all'], ['Channel', 'PJSIP/james-00000001']]);
  t.equal(eventText(e), 'Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/james-00000001\r\n\r\n');
  // `.` crosses lines, as regexec without REG_NEWLINE.
  t.ok(parseFilter('eventfilter', 'Event: Newchannel.*Channel: PJSIP/').matches(e));
  t.ok(parseFilter('eventfilter', '^Event: Newchannel').matches(e));
  t.notOk(parseFilter('eventfilter', '^Channel').matches(e), '^ anchors the text, not each line');
  t.ok(parseFilter('eventfilter', 'james-[[:digit:]]+').matches(e), 'POSIX bracket class');
  t.ok(parseFilter('eventfilter', '[[:upper:]]JSIP').matches(e));
  t.notOk(parseFilter('eventfilter', 'event: newchannel').matches(e), 'case-sensitive');
  t.same(compileRegex('a.b').flags, 's');
});

t.test('header() matching follows Asterisk', async (t) => {
  const e = ev('Event: Newstate\r\nChannel: PJSIP/a-1\r\nChannelState: 6\r\nConnectedLineNum:\r\nChannel:   Local/x\r\n');
  const starts = (p: string): FilterRule => parseFilter('eventfilter(header(Channel),method(starts_with))', p);
  t.ok(starts('PJSIP/').matches(e));
  t.ok(starts('Local/').matches(e), 'every line with the header is tried');
  t.notOk(starts('6').matches(e), 'ChannelState is another header');
  t.ok(parseFilter('eventfilter(header(ChannelState:),method(exact))', '6').matches(e), 'trailing colon accepted');
  t.notOk(parseFilter('eventfilter(header(channel),method(contains))', 'PJSIP').matches(e), 'header name is case-sensitive');
  t.ok(parseFilter('eventfilter(header(Channel),method(contains))', 'SIP/a').matches(e));
  t.ok(parseFilter('eventfilter(header(Channel),method(regex))', '^(PJ)?SIP/(a|b)-').matches(e));
  t.notOk(parseFilter('eventfilter(header(ConnectedLineNum),method(regex))', '.*').matches(e), 'empty values are skipped');
  t.ok(parseFilter('eventfilter(header(ChannelState),method(none))', '').matches(e), 'header + none: any event');
  t.notOk(parseFilter('eventfilter(name(Hangup),header(Channel),method(starts_with))', 'PJSIP').matches(e), 'name must match too');
  t.ok(parseFilter('eventfilter(name(Newstate),header(Channel),method(ends_with))', 'Local/x').matches(e));
});

t.test('documented examples (docs.asterisk.org AMI Event Filtering)', async (t) => {
  const rules = [
    parseFilter('eventfilter(action(include),name(Newchannel))', ''),
    parseFilter('eventfilter(action(include),name(Hangup))', ''),
    parseFilter('eventfilter(action(exclude),header(Channel),method(starts_with))', 'Local/'),
  ];
  const mk = (name: string, chan: string): AmiMessage => AmiMessage.from([['Event', name], ['Privilege', 'call,all'], ['Channel', chan]]);
  t.ok(shouldSendEvent(rules, mk('Newchannel', 'PJSIP/a-1')));
  t.ok(shouldSendEvent(rules, mk('Hangup', 'PJSIP/a-1')));
  t.notOk(shouldSendEvent(rules, mk('Newchannel', 'Local/100@x-1;1')));
  t.notOk(shouldSendEvent(rules, mk('Newstate', 'PJSIP/a-1')));
  // name() is the exact, case-sensitive event name.
  t.notOk(shouldSendEvent([rules[0]!], mk('NewChannel', 'PJSIP/a-1')));
});

t.test('users-file entries: errors name file and line', async (t) => {
  const r = parseEventFilterEntry('eventfilter', '!Event: VarSet', 'users.conf', 9);
  t.ok(r.exclude);
  const err = t.throws(() => parseEventFilterEntry('eventfilter(nme(Hangup))', '', 'users.conf', 11)) as AjamError;
  t.ok(err instanceof AjamError);
  t.equal(err.code, ErrorCodes.CONF_ERR_VALUE);
  t.match(err.message, /^users\.conf:11: .*filter option 'nme\(Hangup' is unknown/);
  t.throws(() => parseEventFilterEntry('eventfilter', 'a(', 'users.conf', 12), { code: ErrorCodes.CONF_ERR_VALUE, message: /^users\.conf:12: .*does not compile/ });
});

t.test('Filter action', async (t) => {
  const req = (pairs: Array<[string, string]>): AmiMessage => AmiMessage.from([['Action', 'Filter'], ...pairs]);
  const ok = parseFilterAction(req([['Operation', 'Add'], ['Filter', 'Event: Newchannel']]));
  t.ok(ok.ok);
  t.equal(ok.message, 'Success');
  if (ok.ok) {
    t.equal(ok.rule.method, 'regex');
    t.notOk(ok.rule.exclude);
  }
  const adv = parseFilterAction(req([['operation', 'add'], ['MatchCriteria', 'action(exclude),name(VarSet)'], ['Filter', '']]));
  t.ok(adv.ok);
  if (adv.ok) {
    t.ok(adv.rule.exclude);
    t.equal(adv.rule.eventName, 'VarSet');
  }
  const neg = parseFilterAction(req([['Operation', 'Add'], ['Filter', '!Channel: DAHDI/']]));
  t.ok(neg.ok && neg.rule.exclude);
  t.same(parseFilterAction(req([['Operation', 'Remove'], ['Filter', 'x']])), { ok: false, message: 'Unknown operation' });
  t.same(parseFilterAction(req([['Filter', 'x']])), { ok: false, message: 'Unknown operation' });
  t.same(parseFilterAction(req([['Operation', 'Add'], ['Filter', 'a[']])), {
    ok: false,
    message: 'Filter did not compile.  Check the syntax of the filter given.',
  });
  t.same(parseFilterAction(req([['Operation', 'Add'], ['MatchCriteria', 'bogus(1)'], ['Filter', 'x']])), {
    ok: false,
    message: 'Filter was formatted incorrectly.  Check the syntax of the filter given.',
  });
  t.same(parseFilterAction(req([['Operation', 'Add']])), {
    ok: false,
    message: 'Filter was formatted incorrectly.  Check the syntax of the filter given.',
  });
});

t.test('byte-level matching agrees with text matching', async (t) => {
  const e = AmiMessage.from([['Event', 'Newchannel'], ['Channel', 'PJSIP/jürgen-0001'], ['CallerIDName', 'Zoë']]);
  t.ok(parseFilter('eventfilter(header(Channel),method(contains))', 'ürg').matches(e));
  t.ok(parseFilter('eventfilter(header(Channel),method(ends_with))', 'gen-0001').matches(e));
  t.ok(parseFilter('eventfilter(header(CallerIDName),method(exact))', 'Zoë').matches(e));
  t.notOk(parseFilter('eventfilter(header(CallerIDName),method(exact))', 'Zoe').matches(e));
  t.ok(parseFilter('eventfilter(method(contains))', 'CallerIDName: Zoë').matches(e), 'whole event, no header');
  t.ok(parseFilter('eventfilter(method(starts_with))', 'Event: Newchannel\r\n').matches(e));
  t.ok(parseFilter('eventfilter(method(ends_with))', 'Zoë\r\n\r\n').matches(e), 'the event text ends with its blank line');
  t.notOk(parseFilter('eventfilter(header(Channel),method(contains))', '0001\r\nCaller').matches(e), 'contains stays inside the line');
  t.ok(parseFilter('eventfilter(header(CallerIDName),method(regex))', '^Zo.$').matches(e), 'regex sees characters, not bytes');
  // The event name need not be on the first line.
  const late = AmiMessage.from([['Privilege', 'call,all'], ['Event', 'Hangup']]);
  t.ok(parseFilter('eventfilter(name(Hangup))', '').matches(late));
  t.notOk(parseFilter('eventfilter(name(Hang))', '').matches(late), 'whole name only');
  t.notOk(parseFilter('eventfilter(name(Hangup))', '').matches(AmiMessage.from([['Response', 'Success']])));
});

t.test('filters read messages made by the parser (line records in a shared pool, base ≠ 0)', async (t) => {
  const { AmiParser } = await import('../../lib/ami/parser.ts');
  const got: AmiMessage[] = [];
  const parser = new AmiParser({ onMessage: (m) => got.push(m) });
  const hangup = 'Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/alice-00000001\r\nCause: 16\r\n\r\n';
  parser.push(Buffer.from('Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/bob-00000002\r\n\r\n' + hangup));
  const parsed = got[1]!;
  t.equal(parsed.event, 'Hangup');
  const byHeader = parseFilter('eventfilter(header(Channel),method(starts_with))', 'PJSIP/alice');
  const byName = parseFilter('eventfilter(name(Hangup),method(none))', '');
  for (const [label, msg] of [['parser', parsed], ['parseOne', parseOne(Buffer.from(hangup))]] as const) {
    t.ok(byHeader.matches(msg), `${label}: header rule`);
    t.ok(byName.matches(msg), `${label}: name rule`);
  }
  t.notOk(byHeader.matches(got[0]!), 'the other event does not match');
});
