// Event failover seen from HTTP: a WaitEvent client keeps receiving events across a drop of the
// AMI events connection, and is told of the gap with an EventsLost whose Count is unknown.
import t from 'tap';
import { AjamClient, field, messages, startTestApp } from '../helpers/app.ts';
import { CALL } from '../../lib/sim/perms.ts';

t.test('events continue across a drop of the events connection, the gap is reported', async (t) => {
  const ta = await startTestApp({ general: 'httptimeout = 30' });
  t.teardown(() => ta.close());
  const sim = ta.app.sim!;
  const pool = ta.app.pool;
  const c = new AjamClient(ta.base);
  await c.login('wallboard', 'wallpw');
  // Drain what login queued.
  await c.get('/rawman?action=WaitEvent&Timeout=0');

  sim.emitEvent([['Event', 'TestMark'], ['N', '1']], CALL);
  let r = await c.get('/rawman?action=WaitEvent&Timeout=5');
  t.same(messages(r.body).filter((m) => field(m, 'Event') === 'TestMark').map((m) => field(m, 'N')), ['1']);

  const gap = new Promise<void>((resolve) => pool.once('eventsGap', () => resolve()));
  t.equal(sim.dropEventSessions(), 1);
  await gap;
  // Once Asterisk has the new events session, events flow again.
  while (sim.loggedIn.filter((s) => s.sendEvents !== 0).length !== 1 || !sim.received.some((m) => m.get('Action') === 'Events')) {
    await new Promise((res) => setTimeout(res, 5));
  }
  sim.emitEvent([['Event', 'TestMark'], ['N', '2']], CALL);

  const seen: Array<Array<[string, string]>> = [];
  while (!seen.some((m) => field(m, 'N') === '2')) {
    r = await c.get('/rawman?action=WaitEvent&Timeout=5');
    seen.push(...messages(r.body).filter((m) => field(m, 'Event') !== 'WaitEventComplete' && field(m, 'Response') === undefined));
  }
  const lost = seen.find((m) => field(m, 'Event') === 'EventsLost');
  t.ok(lost, 'the gap is told as an EventsLost');
  t.equal(field(lost!, 'Count'), 'unknown');
  t.equal(field(lost!, 'Reason'), 'AMI events connection lost');
  t.match(field(lost!, 'GapMs'), /^\d+$/);
  t.same(
    seen.map((m) => field(m, 'Event')),
    ['EventsLost', 'TestMark'],
    'the notice comes before the events after the gap, nothing else (no duplicate)',
  );
});
