import t from 'tap';
import { AmiMessage } from '../../lib/ami/message.ts';
import { EventLog, type LogEntry } from '../../lib/events/event-log.ts';
import { Cursor, eventsLostMessage } from '../../lib/events/cursor.ts';

const ev = (name: string, privilege = 'call,all'): AmiMessage => AmiMessage.from([['Event', name], ['Privilege', privilege]]);
const all = (): boolean => true;
const names = (es: LogEntry[]): string[] => es.map((e) => e.name);

t.test('starts at the end of the log; read does not advance, commit does', async (t) => {
  const log = new EventLog({ capacity: 10 });
  log.append(ev('Before'));
  const c = new Cursor(log);
  t.equal(c.position, 2);
  t.same(names(c.read(all).entries), [], 'events before the cursor was made are not seen');
  log.append(ev('A'));
  log.append(ev('B'));
  const r1 = c.read(all);
  t.same(names(r1.entries), ['A', 'B']);
  t.equal(r1.lost, 0);
  t.equal(r1.end, 4);
  const r2 = c.read(all);
  t.same(names(r2.entries), ['A', 'B'], 'unchanged until commit (client went away)');
  c.commit(r2.end);
  t.same(names(c.read(all).entries), []);
  c.commit(2);
  t.equal(c.position, 4, 'commit never moves backwards');
});

t.test('the filter picks entries; non-matching ones are stepped over', async (t) => {
  const log = new EventLog({ capacity: 4 });
  const c = new Cursor(log);
  const callOnly = (e: LogEntry): boolean => e.classes === 2;
  log.append(ev('D1', 'dialplan,all'));
  log.append(ev('D2', 'dialplan,all'));
  t.same(names(c.read(callOnly).entries), []);
  t.equal(c.position, 3, 'nothing for this reader: position moves on at once');
  log.append(ev('C1'));
  log.append(ev('D3', 'dialplan,all'));
  t.ok(c.pending(callOnly));
  const r = c.read(callOnly);
  t.same(names(r.entries), ['C1']);
  c.commit(r.end);
  // A flood of entries the reader cannot see does not make it fall out of the ring.
  for (let i = 0; i < 20; i++) {
    log.append(ev(`D${i}`, 'dialplan,all'));
    t.notOk(c.pending(callOnly));
  }
  log.append(ev('C2'));
  const r2 = c.read(callOnly);
  t.equal(r2.lost, 0);
  t.same(names(r2.entries), ['C2']);
});

t.test('falling out of the ring reports the loss until committed', async (t) => {
  const log = new EventLog({ capacity: 3 });
  const c = new Cursor(log);
  for (let i = 1; i <= 5; i++) log.append(ev(`E${i}`));
  t.ok(c.pending(all));
  const r = c.read(all);
  t.equal(r.lost, 2, 'E1 and E2 were overwritten');
  t.same(names(r.entries), ['E3', 'E4', 'E5']);
  t.equal(c.read(all).lost, 2, 'reported again if that reply was never written');
  c.commit(r.end);
  const r2 = c.read(all);
  t.equal(r2.lost, 0, 'reported once');
  t.same(r2.entries, []);
});

t.test('a loss is pending even when nothing left passes the filter', async (t) => {
  const log = new EventLog({ capacity: 2 });
  const c = new Cursor(log);
  for (let i = 1; i <= 4; i++) log.append(ev(`D${i}`, 'dialplan,all'));
  const none = (): boolean => false;
  t.ok(c.pending(none));
  const r = c.read(none);
  t.equal(r.lost, 2);
  t.same(r.entries, []);
});

t.test('reset skips to now', async (t) => {
  const log = new EventLog();
  const c = new Cursor(log);
  log.append(ev('A'));
  c.reset();
  t.same(c.read(all).entries, []);
});

t.test('EventsLost message', async (t) => {
  t.equal(eventsLostMessage(42).toString(), 'Event: EventsLost\r\nCount: 42\r\n\r\n');
});
