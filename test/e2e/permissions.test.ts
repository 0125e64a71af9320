// Two users with different classes on the same shared AMI pool (spec §5): the wallboard
// (read call,agent,reporting / write reporting) may not Originate or run Command, and never sees
// an event outside its read classes (no dialplan, no cdr) while admin sees everything.
import t from 'tap';
import { AjamClient, field, messages, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { withoutProbes } from '../helpers/probes.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp();
});
t.teardown(() => ta.close());

type Msg = Array<[string, string]>;

/** WaitEvent until an event named `until` arrives (bounded number of 1-second polls). */
async function collect(c: AjamClient, until: string): Promise<Msg[]> {
  const events: Msg[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await c.get('/rawman?action=WaitEvent&Timeout=1');
    const got = messages(r.body).filter((m) => field(m, 'Event') !== undefined && field(m, 'Event') !== 'WaitEventComplete');
    events.push(...got);
    if (got.some((m) => field(m, 'Event') === until)) return events;
  }
  throw new Error(`no ${until} event`);
}

function classes(m: Msg): string[] {
  return (field(m, 'Privilege') ?? '').split(',').filter((c) => c !== 'all' && c !== '');
}

t.test('wallboard vs admin', async (t) => {
  const admin = new AjamClient(ta.base);
  const wall = new AjamClient(ta.base);
  t.match((await admin.login()).body, /Authentication accepted/);
  t.equal((await wall.login('wallboard', 'wallpw')).body, 'Response: Success\r\nMessage: Authentication accepted\r\n\r\n');

  ta.app.sim!.clearReceived();
  const originate = '/rawman?action=Originate&Channel=Local/100@test&Context=test&Exten=200&Priority=1&Async=true&ActionID=o1';
  t.equal((await wall.get(originate)).body, 'Response: Error\r\nActionID: o1\r\nMessage: Permission denied\r\n\r\n');
  t.equal(
    (await wall.get('/rawman?action=Command&Command=core+show+uptime&ActionID=c1')).body,
    'Response: Error\r\nActionID: c1\r\nMessage: Permission denied\r\n\r\n',
  );
  t.equal((await wall.get('/rawman?action=Command&Command=core+show+uptime')).body, 'Response: Error\r\nMessage: Permission denied\r\n\r\n');
  t.equal(withoutProbes(ta.app.sim!.received).length, 0, 'denied actions never reach Asterisk');

  t.match((await wall.get('/rawman?action=Status&ActionID=s1')).body, /^Response: Success\r\nActionID: s1\r\nEventList: start\r\n/, 'Status needs reporting');
  t.match((await wall.get('/rawman?action=CoreShowChannels&ActionID=s2')).body, /^Response: Success\r\nActionID: s2\r\n/);
  t.match((await wall.get('/rawman?action=QueueStatus&ActionID=q1')).body, /^Response: Success\r\nActionID: q1\r\n/);
  t.match((await admin.get('/rawman?action=Command&Command=core+show+uptime')).body, /^Response: Success\r\nMessage: Command output follows\r\n/);

  // Drain what both have so far, then run one call and watch it end on both sessions.
  await admin.get('/rawman?action=WaitEvent&Timeout=0');
  await wall.get('/rawman?action=WaitEvent&Timeout=0');
  t.match((await admin.get(originate)).body, /^Response: Success\r\nActionID: o1\r\n/);
  const [adminEvents, wallEvents] = await Promise.all([collect(admin, 'Hangup'), collect(wall, 'Hangup')]);

  const adminClasses = new Set(adminEvents.flatMap(classes));
  t.ok(adminClasses.has('dialplan'), 'admin sees dialplan events');
  t.ok(adminClasses.has('call'), 'admin sees call events');
  const allowed = new Set(['call', 'agent', 'reporting']);
  const wallNames = wallEvents.map((m) => field(m, 'Event'));
  t.ok(wallNames.includes('Newchannel') && wallNames.includes('Hangup'), 'wallboard sees the call');
  const outside = wallEvents.filter((m) => classes(m).some((c) => !allowed.has(c)));
  t.same(outside.map((m) => `${field(m, 'Event')} ${field(m, 'Privilege')}`), [], 'wallboard never sees other classes');
  t.notOk(wallNames.includes('Newexten') || wallNames.includes('VarSet'), 'no dialplan events for the wallboard');
  const originateResponse = adminEvents.find((m) => field(m, 'Event') === 'OriginateResponse');
  t.ok(originateResponse, 'admin gets the OriginateResponse');
  t.equal(field(originateResponse ?? [], 'ActionID'), 'o1', "OriginateResponse carries the client's ActionID");
});
