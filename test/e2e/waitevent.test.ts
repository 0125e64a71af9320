// WaitEvent over HTTP through the whole stack (spec §4): the reply shape, a client that disconnects
// mid-wait loses nothing (the cursor moves only once a reply is written), a superseded WaitEvent
// returns an empty body, and a session that falls out of the ring is told how many it lost.
import t from 'tap';
import { RawClient, get, header } from '../helpers/http.ts';
import { AjamClient, field, messages, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import type { Session } from '../../lib/session/session.ts';
import { until } from '../helpers/until.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp();
});
t.teardown(() => ta.close());

function sessionOf(c: AjamClient): Session {
  const id = /"([0-9a-f]+)"/.exec(c.cookie!)![1]!;
  return ta.app.store.find(id)!;
}

async function loggedIn(): Promise<AjamClient> {
  const c = new AjamClient(ta.base);
  await c.login();
  await c.get('/rawman?action=WaitEvent&Timeout=0');
  return c;
}

function emit(name: string, seq: number): void {
  ta.app.sim!.emitEvent(
    [
      ['Event', name],
      ['Seq', String(seq)],
    ],
    'call',
  );
}

function eventsIn(body: string, name: string): string[] {
  return messages(body)
    .filter((m) => field(m, 'Event') === name)
    .map((m) => field(m, 'Seq')!);
}

t.test('reply shape with ActionID', async (t) => {
  const c = await loggedIn();
  emit('ShapeTest', 1);
  await until(() => ta.app.events.nextSeq > 1 && ta.app.events.get(ta.app.events.nextSeq - 1)?.name === 'ShapeTest', 'event in the log');
  const r = await c.get('/rawman?action=WaitEvent&Timeout=5&ActionID=w1');
  t.equal(
    r.body,
    'Response: Success\r\nActionID: w1\r\nMessage: Waiting for Event completed.\r\n\r\n' +
      'Event: ShapeTest\r\nPrivilege: call,all\r\nSeq: 1\r\n\r\n' +
      'Event: WaitEventComplete\r\nActionID: w1\r\n\r\n',
  );
  const none = await c.get('/rawman?action=WaitEvent&Timeout=0');
  t.equal(
    none.body,
    'Response: Success\r\nMessage: Waiting for Event completed.\r\n\r\nEvent: WaitEventComplete\r\n\r\n',
    'Timeout=0 polls; nothing left',
  );
});

t.test('a client that disconnects mid-WaitEvent gets the events on its next poll', async (t) => {
  const c = await loggedIn();
  const s = sessionOf(c);
  const raw = new RawClient(ta.port);
  raw.socket.write(get('/rawman?action=WaitEvent&Timeout=30', `Cookie: ${c.cookie}\r\n`));
  await until(() => s.wait !== null, 'the WaitEvent to park');
  raw.close();
  await raw.waitClosed();
  emit('Lost1', 1);
  emit('Lost1', 2);
  // The parked wait wakes on the events, finds its client gone, writes nothing, commits nothing.
  await until(() => s.wait === null && s.inFlight === 0, 'the orphaned wait to finish');
  const r = await c.get('/rawman?action=WaitEvent&Timeout=5');
  t.same(eventsIn(r.body, 'Lost1'), ['1', '2'], 'both events delivered');
  const again = await c.get('/rawman?action=WaitEvent&Timeout=0');
  t.same(eventsIn(again.body, 'Lost1'), [], 'and committed once written');
});

t.test('disconnect, re-poll at once: the new WaitEvent takes over and gets the events', async (t) => {
  const c = await loggedIn();
  const s = sessionOf(c);
  const raw = new RawClient(ta.port);
  raw.socket.write(get('/rawman?action=WaitEvent&Timeout=30', `Cookie: ${c.cookie}\r\n`));
  await until(() => s.wait !== null, 'the WaitEvent to park');
  const first = s.wait;
  raw.close();
  await raw.waitClosed();
  const next = c.get('/rawman?action=WaitEvent&Timeout=20');
  await until(() => s.wait !== null && s.wait !== first, 'the second WaitEvent to park');
  emit('Lost2', 7);
  const r = await next;
  t.same(eventsIn(r.body, 'Lost2'), ['7']);
});

t.test('a superseded WaitEvent answers an empty body', async (t) => {
  const c = await loggedIn();
  const s = sessionOf(c);
  for (const [path, empty] of [
    ['/rawman', ''],
    ['/mxml', '<ajax-response>\n</ajax-response>\n'],
  ] as const) {
    const raw = new RawClient(ta.port);
    raw.socket.write(get(`${path}?action=WaitEvent&Timeout=30`, `Cookie: ${c.cookie}\r\n`));
    await until(() => s.wait !== null, 'the WaitEvent to park');
    const second = await c.get('/rawman?action=WaitEvent&Timeout=0');
    t.match(second.body, /^Response: Success\r\nMessage: Waiting for Event completed\.\r\n/);
    const first = await raw.next();
    t.equal(first.status, 200);
    t.equal(first.body.toString(), empty, `${path}: empty output`);
    t.equal(header(first, 'Content-Length'), String(empty.length));
    t.match(header(first, 'Set-Cookie'), /^mansession_id="/);
    raw.close();
  }
});

t.test('a session that falls out of the ring is told how many events it lost', async (t) => {
  const small = await startTestApp({ general: 'eventbuffer = 5' });
  t.teardown(() => small.close());
  const c = new AjamClient(small.base);
  await c.login('admin', 'adminpw');
  await c.get('/rawman?action=WaitEvent&Timeout=0');
  const before = small.app.events.nextSeq;
  for (let i = 0; i < 12; i++) {
    small.app.sim!.emitEvent(
      [
        ['Event', 'Flood'],
        ['Seq', String(i)],
      ],
      'call',
    );
  }
  await until(() => small.app.events.nextSeq >= before + 12, 'the flood in the log');
  const r = await c.get('/rawman?action=WaitEvent&Timeout=0');
  const msgs = messages(r.body);
  t.equal(field(msgs[1]!, 'Event'), 'EventsLost', 'EventsLost first after the Response');
  t.equal(field(msgs[1]!, 'Count'), '7');
  t.same(eventsIn(r.body, 'Flood'), ['7', '8', '9', '10', '11'], 'then what the ring still holds');
});
