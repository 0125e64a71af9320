// WaitEvent replies built from the log entries' cached forms are byte-identical to translating the
// whole reply, and each entry is formatted once however many replies carry it.
import t from 'tap';
import { AmiMessage, parseOne } from '../../lib/ami/message.ts';
import { EventLog } from '../../lib/events/event-log.ts';
import { cachedBody } from '../../lib/http/reply-format.ts';
import { rawman } from '../../lib/format/rawman.ts';
import { mxml } from '../../lib/format/mxml.ts';
import { html, htmlDigest } from '../../lib/format/html.ts';
import { jsonOutput } from '../../lib/format/push.ts';

function reply(log: EventLog, events: AmiMessage[]) {
  const entries = events.map((m) => log.append(m));
  const output = [
    Buffer.from('Response: Success\r\nActionID: w1\r\nMessage: Waiting for Event completed.\r\n\r\n'),
    Buffer.from('Event: EventsLost\r\nCount: 3\r\n\r\n'),
    ...entries.map((e) => e.msg.raw),
    Buffer.from('Event: WaitEventComplete\r\nActionID: w1\r\n\r\n'),
  ];
  return { output, entries: [undefined, undefined, ...entries, undefined] };
}

const EVENTS = [
  AmiMessage.from([
    ['Event', 'Newchannel'],
    ['Privilege', 'call,all'],
    ['Channel', 'PJSIP/100-0000001'],
    ['CallerIDName', '<Alice & "Bob">'],
  ]),
  parseOne(Buffer.from('Event: VarSet\r\nPrivilege: dialplan,all\r\nVariable: A\r\nValue: x\nstill value\r\nUniqueid: 1.2\r\n\r\n')),
  AmiMessage.from([
    ['Event', 'Multi'],
    ['Line', 'one'],
    ['Line', 'two'],
    ['Empty', ''],
  ]),
];

t.test('identical to the whole-reply translation', async (t) => {
  const { output, entries } = reply(new EventLog(), EVENTS);
  t.equal(cachedBody('mxml', output, entries)!.toString(), mxml(rawman(output)).toString());
  t.equal(cachedBody('mxml', output, entries, { dest: 'unknown', objtype: 'generic' })!.toString(), mxml(rawman(output)).toString());
  t.equal(cachedBody('html', output, entries)!.toString(), html(rawman(output)).toString());
  t.equal(cachedBody('htmlDigest', output, entries)!.toString(), htmlDigest(rawman(output)).toString());
  t.equal(cachedBody('json', output, entries)!.toString(), jsonOutput(output).toString());
});

t.test('formatted once per entry and format, shared by every reply', async (t) => {
  const log = new EventLog();
  const { output, entries } = reply(log, EVENTS);
  cachedBody('mxml', output, entries);
  const first = entries[2]!.cache!.mxml!;
  cachedBody('mxml', output, entries);
  t.equal(entries[2]!.cache!.mxml, first, 'the same Buffer');
});

t.test('translated whole when it cannot be joined', async (t) => {
  const { output, entries } = reply(new EventLog(), EVENTS);
  t.equal(cachedBody('mxml', output, entries, { dest: 'pingdiv', objtype: '' }), undefined, 'a non-default ajaxdest');
  t.equal(cachedBody('mxml', output, undefined), undefined, 'no entries');
  const lf = reply(new EventLog(), [parseOne(Buffer.from('Event: Bare\nA: 1\n\n'))]);
  t.equal(cachedBody('html', lf.output, lf.entries), undefined, 'a bare-LF message');
});
