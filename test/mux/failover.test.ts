// Event failover and stall detection of the pool, against the simulator over loopback TCP.
import t from 'tap';
import { once } from 'node:events';
import type { AmiSimulator } from '../../lib/sim/index.ts';
import type { AmiPoolOptions } from '../../lib/mux/pool.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';
import type { AjamError } from '../../lib/errors.ts';
import { CALL } from '../../lib/sim/perms.ts';
import { allReady, simPool, type SimPool } from '../helpers/sim-pool.ts';
import { until } from '../helpers/until.ts';

/** A started pool of 2 connections (unless told otherwise), all logged in. */
async function setup(poolOpts: Partial<AmiPoolOptions> = {}): Promise<SimPool> {
  const s = await simPool({ callDurationMs: 200 }, { connections: 2, backoff: { initialMs: 10, maxMs: 40 }, ...poolOpts });
  await s.start();
  return s;
}

/** Emits a numbered test event from the simulator. */
function mark(sim: AmiSimulator, n: number): void {
  sim.emitEvent([['Event', 'TestMark'], ['N', String(n)]], CALL);
}

/** The marks received so far, in order. */
function marks(events: AmiMessage[]): number[] {
  return events.filter((m) => m.event === 'TestMark').map((m) => Number(m.get('N')));
}

/**
 * Resolves once every connection of the pool got an answer to a Ping sent now: an AMI connection
 * is one ordered stream, so whatever the simulator wrote on any of them before (a duplicate
 * event) has been received by then. No sleep that hopes it was long enough.
 */
async function flushed(s: SimPool): Promise<void> {
  for (const c of s.pool.connections) {
    // A keepalive Ping may be out already, sent before what we wait for: let it finish first.
    await until(() => !c.probing, 'the pool', 60_000);
    c.probe();
    await until(() => !c.probing, 'the pool', 60_000);
  }
}

/** Sessions in the simulator that receive events. */
function eventSessions(sim: AmiSimulator): number {
  return sim.loggedIn.filter((s) => s.sendEvents !== 0).length;
}

t.test('the events connection drops: another takes over at once, nothing twice, the gap is reported', async (t) => {
  const s = await setup();
  t.equal(s.pool.eventsIndex, 0);
  mark(s.sim, 1);
  await until(() => marks(s.events).length === 1, 'the pool', 60_000);

  const gaps: number[] = [];
  s.pool.on('eventsGap', (ms: number) => gaps.push(ms));
  const moved = once(s.pool, 'eventsMoved');
  t.equal(s.sim.dropEventSessions(), 1);
  mark(s.sim, 2); // nobody has events on at this moment: this one falls in the gap
  const [to] = (await moved) as [number];
  t.equal(to, 1, 'the other logged-in connection took over');
  t.equal(s.pool.eventsIndex, 1);
  t.equal(gaps.length, 1, 'the gap is reported when events flow again');
  t.ok(gaps[0]! >= 0);

  // Asterisk switches that session's events on when it runs the Events action.
  const isEvents = (m: AmiMessage): boolean => m.get('Action') === 'Events';
  await until(() => s.sim.received.some(isEvents), 'the pool', 60_000);
  await until(() => eventSessions(s.sim) === 1, 'the pool', 60_000);
  const switched = s.sim.received.filter(isEvents);
  t.equal(switched.length, 1);
  t.equal(switched[0]!.get('EventMask'), 'on');
  mark(s.sim, 3);
  await until(() => marks(s.events).includes(3), 'the pool', 60_000);

  // The dropped connection comes back with events off: still exactly one events session.
  await until(() => s.pool.connections[0]!.ready, 'the pool', 60_000);
  const logins = s.sim.received.filter((m) => m.get('Action') === 'Login');
  // The first two logins race each other to the simulator: only their set is known.
  t.same(logins.slice(0, 2).map((m) => m.get('Events')).sort(), ['off', 'on'], 'one connection with events at start');
  t.same(logins.map((m) => m.get('Events')).slice(2), ['off'], 'the re-login asks for events off');
  await until(() => s.sim.loggedIn.length === 2, 'the pool', 60_000);
  t.equal(eventSessions(s.sim), 1);
  for (let n = 4; n <= 10; n++) mark(s.sim, n);
  await until(() => marks(s.events).includes(10), 'the pool', 60_000);
  await flushed(s); // a duplicate, sent on the other connection, has arrived by then
  t.same(marks(s.events), [1, 3, 4, 5, 6, 7, 8, 9, 10], 'the gap event is lost (and reported), no event arrives twice');
  t.equal(gaps.length, 1);
  await s.done();
});

t.test('all connections down: the first one back carries the events, and the gap is reported', async (t) => {
  const s = await setup();
  mark(s.sim, 1);
  await until(() => marks(s.events).length === 1, 'the pool', 60_000);
  const gap = once(s.pool, 'eventsGap');
  s.sim.dropAll();
  await gap;
  t.ok(s.pool.eventsReady);
  await until(() => s.pool.connections.every((c) => c.ready) && s.sim.loggedIn.length === 2, 'the pool', 60_000);
  await until(() => eventSessions(s.sim) === 1, 'the pool', 60_000);
  mark(s.sim, 2);
  await until(() => marks(s.events).includes(2), 'the pool', 60_000);
  await flushed(s);
  t.same(marks(s.events), [1, 2]);
  await s.done();
});

t.test('a stalled Asterisk: actions in flight are answered with an error by the stall probe, not the timeout', async (t) => {
  // keepalive off and a long action timeout: only the stall probe can answer this action.
  const s = await setup({ keepaliveMs: 0, stallTimeoutMs: 400, actionTimeoutMs: 60_000 });
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  s.sim.stall(true);
  const [r] = await s.pool.send([['Action', 'Status'], ['ActionID', 'stuck']]);
  t.equal(r!.response, 'Error');
  t.equal(r!.actionId, 'stuck');
  t.equal(r!.get('Message'), 'AMI connection stalled (Asterisk answered nothing)');
  t.ok(downs.some((e) => e.code === 'AMI_ERR_KEEPALIVE' && /stalled/.test(e.message)), downs.map((e) => e.message).join('; '));
  s.sim.stall(false);
  await allReady(s.pool);
  const [ok] = await s.pool.send([['Action', 'Ping']]);
  t.equal(ok!.get('Ping'), 'Pong');
  await s.done();
});

t.test('a synchronous Originate holding its connection past the stall bound is not a stall', async (t) => {
  const s = await setup({ keepaliveMs: 50, stallTimeoutMs: 200 });
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  s.sim.ring(1000); // five stall bounds without a byte on that connection
  const [r] = await s.pool.send([
    ['Action', 'Originate'],
    ['Channel', 'Local/100@test'],
    ['Context', 'test'],
    ['Exten', '200'],
    ['Priority', '1'],
    ['ActionID', 'sync'],
  ]);
  t.equal(r!.response, 'Success', r!.raw.toString());
  t.equal(r!.actionId, 'sync');
  t.same(downs.map((e) => e.message), [], 'no connection was declared stalled');
  // Actions keep working meanwhile and after.
  const [p] = await s.pool.send([['Action', 'Ping']]);
  t.equal(p!.get('Ping'), 'Pong');
  await s.done();
});

t.test('a slow action while Asterisk answers on the other connection is not a stall', async (t) => {
  const s = await setup({ keepaliveMs: 0, stallTimeoutMs: 200, actionTimeoutMs: 5000 });
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  s.sim.slowAction('Status', 1000); // five stall bounds of silence on its connection
  const [r] = await s.pool.send([['Action', 'Status'], ['ActionID', 'slow']]);
  t.equal(r!.response, 'Success', r!.raw.toString());
  t.same(downs.map((e) => e.message), [], 'no connection was declared stalled');
  const probes = s.sim.received.filter((m) => m.get('Action') === 'Ping');
  t.ok(probes.length >= 2, 'the silent connection and the other one were probed');
  await s.done();
});

t.test('with one connection only, a silent Asterisk is a stall', async (t) => {
  const s = await setup({ connections: 1, keepaliveMs: 0, stallTimeoutMs: 200, actionTimeoutMs: 60_000 });
  s.sim.slowAction('Status', 5000);
  const [r] = await s.pool.send([['Action', 'Status'], ['ActionID', 'alone']]);
  t.equal(r!.get('Message'), 'AMI connection stalled (Asterisk answered nothing)', 'nothing tells a slow action from a stall here');
  await s.done();
});

t.test('a half-open events connection (that session alone stalled) is found by its keepalive and the events move', async (t) => {
  // A long action timeout: the other connection answering must not excuse an idle silent one.
  const s = await setup({ keepaliveMs: 100, stallTimeoutMs: 200, actionTimeoutMs: 60_000 });
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  const moved = once(s.pool, 'eventsMoved');
  t.equal(s.sim.stallEventSessions(true), 1);
  const [to] = (await moved) as [number];
  t.equal(to, 1);
  t.equal(downs[0]!.code, 'AMI_ERR_KEEPALIVE');
  t.match(downs[0]!.message, /^ami#0: .* stalled/);
  // The simulator runs an action as it arrives: once it has the Events action, that session has events.
  await until(() => s.sim.received.some((m) => m.get('Action') === 'Events'), 'the pool', 60_000);
  mark(s.sim, 1);
  await until(() => marks(s.events).includes(1), 'the pool', 60_000);
  t.same(marks(s.events), [1]);
  await s.done();
});

t.test('an idle Asterisk that stops answering is found by the stall probe, without keepalive or actions', async (t) => {
  // Keepalive off, nothing in flight: before idle probing nothing would ever have asked.
  const s = await setup({ keepaliveMs: 0, stallTimeoutMs: 400, actionTimeoutMs: 60_000 });
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  s.sim.stall(true);
  await until(() => downs.length >= 2, 'both connections found stalled', 60_000);
  t.ok(downs.every((e) => e.code === 'AMI_ERR_KEEPALIVE' && /stalled: a Ping unanswered/.test(e.message)), downs.map((e) => e.message).join('; '));
  s.sim.stall(false);
  await allReady(s.pool);
  const [ok] = await s.pool.send([['Action', 'Ping']]);
  t.equal(ok!.get('Ping'), 'Pong');
  await s.done();
});

t.test('an idle Asterisk that answers is probed and never declared stalled', async (t) => {
  const s = await setup({ keepaliveMs: 0, stallTimeoutMs: 200, actionTimeoutMs: 60_000 });
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  s.sim.clearReceived();
  // Several probes answered on each connection: each was a chance to misjudge a quiet link.
  await until(() => s.sim.received.filter((m) => m.get('Action') === 'Ping').length >= 8, 'idle probes', 60_000);
  t.same(downs.map((e) => e.message), [], 'no connection was declared stalled');
  t.equal(s.pool.connections.filter((c) => c.ready).length, 2);
  await s.done();
});
