// /events (Server-Sent Events) over raw HTTP: headers, records, auth, `events=`, resume by
// Last-Event-ID and by ?since after a disconnect mid-call (checked by id), and /json's reply shape.
import t from 'tap';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { SseClient } from '../helpers/push.ts';
import { newToken } from '../../lib/auth/tokens.ts';
import { DigestClient } from '../helpers/digest-client.ts';
import { header } from '../helpers/http.ts';
import { USERS } from '../helpers/app.ts';
import { untilValue } from '../helpers/until.ts';

const wallToken = newToken();

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({
    users: USERS.replace('[wallboard]\n', `[wallboard]\n${wallToken.line}\n`),
    general: 'authlimit = 100000',
  });
});
t.teardown(() => ta.close());

async function cookieOf(user = 'admin', secret = 'adminpw'): Promise<string> {
  const c = new AjamClient(ta.base);
  await c.login(user, secret);
  return c.cookie!;
}

function emit(name: string, privilege: string, extra: Array<[string, string]> = []): void {
  ta.app.sim!.emitEvent([['Event', name], ...extra], privilege);
}

t.test('headers and one record per event', async (t) => {
  const s = new SseClient(ta.port, '/events', { Cookie: await cookieOf() });
  await s.ready();
  t.equal(s.status, 200);
  t.equal(s.header('content-type'), 'text/event-stream');
  t.equal(s.header('cache-control'), 'no-cache');
  t.equal(s.header('x-accel-buffering'), 'no');
  emit('SseOne', 'call', [
    ['Line', 'a'],
    ['Line', 'b'],
  ]);
  const r = await s.record((x) => x.event === 'SseOne', 'the record');
  // The log's entry at that seq (not the last one: under load a proxy notice may follow it).
  t.equal(ta.app.events.get(Number(r.id))?.name, 'SseOne', 'id is the seq');
  t.same(JSON.parse(r.data), { Event: 'SseOne', Privilege: 'call,all', Line: ['a', 'b'] });
  t.ok(s.comments >= 1, 'a comment line flushes the head');
  s.close();
});

t.test('no credentials: 401; events= and read classes filter', async (t) => {
  const anon = new SseClient(ta.port, '/events');
  await anon.ready();
  t.equal(anon.status, 401);
  anon.close();
  const bad = new SseClient(ta.port, '/events?events=nonsense', { Cookie: await cookieOf() });
  await bad.ready();
  t.equal(bad.status, 400);
  bad.close();

  const wall = new SseClient(ta.port, '/events', { Cookie: await cookieOf('wallboard', 'wallpw') });
  const agent = new SseClient(ta.port, '/events?events=agent', { Cookie: await cookieOf() });
  await wall.ready();
  await agent.ready();
  emit('Sys', 'system');
  emit('Agent', 'agent');
  emit('End', 'call,agent');
  // Both streams receive this one; records come in order, so whatever came before it is there.
  emit('Last', 'agent');
  await wall.record((r) => r.event === 'Last', 'Last');
  await agent.record((r) => r.event === 'Last', 'Last');
  // Of this test's events (a proxy notice, e.g. an AMI reconnect under load, may come too).
  const ours = (c: SseClient): Array<string | undefined> => c.all().map((r) => r.event).filter((e) => e === 'Sys' || e === 'Agent' || e === 'End');
  t.same(ours(wall), ['Agent', 'End']);
  t.same(ours(agent), ['Agent']);
  wall.close();
  agent.close();
});

for (const how of ['Last-Event-ID', 'since'] as const) {
  t.test(`resume by ${how} after a disconnect mid-call: nothing lost or repeated`, async (t) => {
    const cookie = await cookieOf();
    const start = ta.app.events.nextSeq;
    const first = new SseClient(ta.port, '/events', { Cookie: cookie });
    await first.ready();
    ta.app.sim!.startCalls({ cps: 40, concurrency: 4 });
    await untilValue(() => (first.all().length >= 15 ? true : undefined), 'call events');
    first.close();
    const last = first.all().at(-1)!.id!;
    const away = ta.app.events.nextSeq;
    await untilValue(() => (ta.app.events.nextSeq > away + 10 ? true : undefined), 'events while away');
    const again =
      how === 'since'
        ? new SseClient(ta.port, `/events?since=${last}`, { Cookie: cookie })
        : new SseClient(ta.port, '/events', { Cookie: cookie, 'Last-Event-ID': last });
    await untilValue(() => (again.all().length >= 25 ? true : undefined), 'replay and live');
    ta.app.sim!.stopCalls();
    const ids = [...first.all(), ...again.all()].map((r) => Number(r.id)).filter((n) => n >= start);
    t.same(
      ids,
      Array.from({ length: ids.length }, (_, i) => ids[0]! + i),
      'consecutive ids',
    );
    again.close();
  });
}

t.test('logging off the cookie session ends its stream at the next heartbeat check', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login();
  const s = new SseClient(ta.port, '/events', { Cookie: c.cookie! });
  await s.ready();
  await c.get('/rawman?action=Logoff');
  ta.app.server.sse!.heartbeatNow();
  await s.end();
  t.pass('ended');
});

t.test('after a Logoff of the cookie session no event reaches its stream, which ends', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login();
  const s = new SseClient(ta.port, '/events', { Cookie: c.cookie! });
  await s.ready();
  emit('BeforeLogoff', 'call');
  await s.record((x) => x.event === 'BeforeLogoff', 'the event before Logoff');
  await c.get('/rawman?action=Logoff');
  emit('AfterLogoff', 'call');
  await s.end();
  t.notOk(
    s.all().some((r) => r.event === 'AfterLogoff'),
    'the event after Logoff was not sent',
  );
});

t.test('/json: the reply as an array, repeated keys as arrays; WaitEvent as one array', async (t) => {
  const c = new AjamClient(ta.base);
  await c.login();
  const r = await c.get('/json?action=Ping&ActionID=j1');
  t.equal(r.headers.get('content-type'), 'application/json');
  const body = JSON.parse(r.body) as Array<Record<string, unknown>>;
  t.equal(body.length, 1);
  t.equal(body[0]!.Ping, 'Pong');
  t.equal(body[0]!.ActionID, 'j1');

  await c.get('/json?action=WaitEvent&Timeout=0');
  emit('JsonEv', 'call', [
    ['Output', 'line 1'],
    ['Output', 'line 2'],
  ]);
  // In the log, not necessarily last: under load a proxy notice (an AMI reconnect) may follow it.
  const logged = (): true | undefined => {
    const log = ta.app.events;
    for (let seq = log.nextSeq - 1; seq >= Math.max(0, log.nextSeq - 100); seq--) if (log.get(seq)?.name === 'JsonEv') return true;
    return undefined;
  };
  await untilValue(logged, 'event');
  const w = JSON.parse((await c.get('/json?action=WaitEvent&Timeout=5&ActionID=w')).body) as Array<Record<string, unknown>>;
  t.equal(w[0]!.Response, 'Success');
  const ev = w.find((m) => m.Event === 'JsonEv')!;
  t.same(ev.Output, ['line 1', 'line 2']);
  t.same(w.at(-1), { Event: 'WaitEventComplete', ActionID: 'w' });
});

t.test('bearer token; a wrong one gets 401', async (t) => {
  const s = new SseClient(ta.port, '/events', { Authorization: `Bearer ${wallToken.token}` });
  await s.ready();
  t.equal(s.status, 200);
  emit('SysT', 'system');
  emit('CallT', 'call');
  await s.record((r) => r.event === 'CallT', 'CallT');
  t.notOk(s.all().some((r) => r.event === 'SysT'));
  s.close();
  const bad = new SseClient(ta.port, '/events', { Authorization: 'Bearer wrong' });
  await bad.ready();
  t.equal(bad.status, 401);
  bad.close();
});

t.test('/ajson: HTTP Digest, the same JSON, no cookie', async (t) => {
  const d = new DigestClient(ta.port, 'admin', 'adminpw');
  const r = await d.get('/ajson?action=Ping&ActionID=d1');
  t.equal(r.status, 200);
  t.equal(header(r, 'content-type'), 'application/json');
  t.equal(header(r, 'set-cookie'), undefined);
  const body = JSON.parse(r.body.toString()) as Array<Record<string, string>>;
  t.equal(body[0]!.Ping, 'Pong');
  t.equal(body[0]!.ActionID, 'd1');
  d.close();
});
