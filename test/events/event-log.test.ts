import t from 'tap';
import { AmiMessage } from '../../lib/ami/message.ts';
import { EventLog, type LogWaiter } from '../../lib/events/event-log.ts';

const ev = (name: string, privilege?: string, extra: [string, string][] = []): AmiMessage =>
  AmiMessage.from([['Event', name], ...(privilege === undefined ? [] : [['Privilege', privilege] as [string, string]]), ...extra]);

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('sequence numbers, ring overwrite, get', async (t) => {
  const log = new EventLog({ capacity: 3 });
  t.equal(log.nextSeq, 1);
  t.equal(log.oldestSeq, 1);
  t.equal(log.size, 0);
  const a = log.append(ev('A', 'call,all'));
  t.equal(a.seq, 1);
  t.equal(a.name, 'A');
  t.equal(log.get(1), a);
  t.equal(log.get(0), undefined);
  t.equal(log.get(2), undefined);
  for (const n of ['B', 'C', 'D', 'E']) log.append(ev(n, 'call,all'));
  t.equal(log.nextSeq, 6);
  t.equal(log.oldestSeq, 3, 'capacity 3 keeps seq 3..5');
  t.equal(log.size, 3);
  t.equal(log.get(2), undefined, 'overwritten');
  t.equal(log.get(3)!.name, 'C');
  t.equal(log.get(5)!.name, 'E');
});

t.test('classes come from the Privilege header', async (t) => {
  const log = new EventLog();
  t.equal(log.append(ev('Newstate', 'call,all')).classes, 2);
  t.equal(log.append(ev('Newexten', 'dialplan,all')).classes, 2048);
  t.equal(log.append(ev('X', 'call,agent,all')).classes, 2 | 32);
  t.equal(log.append(ev('NoPriv')).classes, 0);
  t.equal(log.append(AmiMessage.from([['Foo', 'bar']])).name, '', 'no Event header');
});

t.test('bad capacity is API misuse', async (t) => {
  t.throws(() => new EventLog({ capacity: 0 }), { code: 'AJAM_ERR_INVALID_ARG' });
  t.throws(() => new EventLog({ capacity: 1.5 }), { code: 'AJAM_ERR_INVALID_ARG' });
});

t.test('formatted bytes are made once and shared', async (t) => {
  const log = new EventLog();
  const e = log.append(ev('A', 'call,all'));
  t.equal(e.cache, undefined, 'no slot object until asked');
  let calls = 0;
  const fmt = (m: AmiMessage): Buffer => {
    calls++;
    return Buffer.from(JSON.stringify(m.toObject()));
  };
  const b1 = e.bytes('json', fmt);
  const b2 = e.bytes('json', fmt);
  t.equal(b1, b2, 'same Buffer instance');
  t.equal(calls, 1);
  t.same(JSON.parse(b1.toString()), { Event: 'A', Privilege: 'call,all' });
  e.bytes('sse', () => Buffer.from('x'));
  t.equal(calls, 1, 'other slot does not touch json');
  t.equal(e.cache!.sse!.toString(), 'x');
});

t.test('waiters are woken once per event-loop turn, however many events', async (t) => {
  const log = new EventLog();
  const wakes: number[] = [0, 0];
  const w0: LogWaiter = { wake: () => wakes[0]!++ };
  const w1: LogWaiter = { wake: () => wakes[1]!++ };
  log.watch(w0);
  log.watch(w1);
  t.equal(log.waiterCount, 2);
  for (let i = 0; i < 100; i++) log.append(ev(`E${i}`, 'call,all'));
  t.same(wakes, [0, 0], 'not synchronously');
  await turn();
  t.same(wakes, [1, 1], 'one wake each for 100 events');
  await turn();
  t.same(wakes, [1, 1], 'no wake without events');
  log.append(ev('F', 'call,all'));
  log.unwatch(w1);
  await turn();
  t.same(wakes, [2, 1], 'unwatched waiter not woken');
  log.unwatch(w0);
  t.equal(log.waiterCount, 0);
});

t.test('a waiter may unwatch itself and others while being woken', async (t) => {
  const log = new EventLog();
  const seen: string[] = [];
  const b: LogWaiter = { wake: () => seen.push('b') };
  const a: LogWaiter = {
    wake: () => {
      seen.push('a');
      log.unwatch(a);
      log.unwatch(b);
    },
  };
  log.watch(a);
  log.watch(b);
  log.append(ev('A', 'call,all'));
  await turn();
  t.same(seen, ['a']);
  t.equal(log.waiterCount, 0);
});

t.test('no flush is scheduled when nobody waits', async (t) => {
  const log = new EventLog();
  log.append(ev('A', 'call,all'));
  let woken = 0;
  log.watch({ wake: () => woken++ });
  await turn();
  t.equal(woken, 0, 'a waiter registered after the append reads the log itself');
  log.append(ev('B', 'call,all'));
  await turn();
  t.equal(woken, 1);
});
