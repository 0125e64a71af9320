// The pool against the simulator over real loopback TCP.
import t from 'tap';
import { once } from 'node:events';
import type { SimOptions } from '../../lib/sim/index.ts';
import { AmiPool, STICKY_SLACK, type AmiPoolOptions } from '../../lib/mux/pool.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';
import type { AjamError } from '../../lib/errors.ts';
import { allReady, simPool, type SimPool } from '../helpers/sim-pool.ts';
import { bytesWithoutProbes, withoutProbes } from '../helpers/probes.ts';

function setup(simOpts: SimOptions = {}, poolOpts: Partial<AmiPoolOptions> = {}): Promise<SimPool> {
  return simPool(
    { callDurationMs: 300, ...simOpts },
    { backoff: { initialMs: 10, maxMs: 50, authInitialMs: 10, authMaxMs: 50 }, ...poolOpts },
  );
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

t.test('connects N connections: the first with events on, the others off', async (t) => {
  const s = await setup({}, { connections: 3, authType: 'md5' });
  await s.start();
  t.ok(s.pool.ready);
  t.ok(s.pool.eventsReady);
  t.equal(s.pool.version, '11.0.0');
  const logins = s.sim.received.filter((m) => m.get('Action') === 'Login');
  t.same(logins.map((m) => m.get('Events')).sort(), ['off', 'off', 'on']);
  t.ok(logins.every((m) => m.get('AuthType') === 'MD5' && /^[0-9a-f]{32}$/.test(m.get('Key') ?? '')));
  t.match(s.pool.idPrefix, /^[0-9a-f]{8}-$/);
  const r = await s.pool.send([['Action', 'Ping'], ['ActionID', 'mine']]);
  t.equal(r.length, 1);
  t.equal(r[0]!.get('Ping'), 'Pong');
  t.equal(r[0]!.actionId, 'mine');
  const sent = s.sim.received.find((m) => m.get('Action') === 'Ping')!;
  t.ok(sent.actionId!.startsWith(s.pool.idPrefix), 'Asterisk sees the proxy id, never the caller one');
  await s.done();
});

t.test('bad secret: clear error naming the user and the message, retried with backoff', async (t) => {
  const s = await setup({}, { secret: 'WRONG', connections: 1 });
  const errs: AjamError[] = [];
  s.pool.on('loginFailed', (e: AjamError) => errs.push(e));
  s.pool.start();
  while (errs.length < 3) await once(s.pool, 'loginFailed');
  t.equal(errs[0]!.code, 'AMI_ERR_LOGIN');
  t.match(errs[0]!.message, /AMI login as "admin" to 127\.0\.0\.1:\d+ failed: Authentication failed/);
  t.notOk(s.pool.ready);
  const r = await s.pool.send([['Action', 'Ping'], ['ActionID', 'x']]);
  t.equal(r[0]!.raw.toString(), 'Response: Error\r\nActionID: x\r\nMessage: AMI not connected\r\n\r\n');
  t.equal(s.pool.connections[0]!.attempts >= 3, true);
  await s.done();
});

t.test('one turn: actions stay on one connection; next turn: the least busy one', async (t) => {
  const s = await setup();
  await s.start();
  // Hold every action in the simulator so the in-flight counts stay put.
  s.sim.delayActions(200);
  const first = [0, 1, 2, 3, 4].map(() => s.pool.send([['Action', 'Ping']]));
  t.same([...s.pool.inflight()].sort(), [0, 5], 'one turn, one connection');
  await tick(20); // written
  const busy = s.pool.inflight().indexOf(5);
  const next = s.pool.send([['Action', 'Ping']]);
  t.equal(s.pool.inflight()[1 - busy], 1, 'a later turn goes to the least busy connection');
  await Promise.all([...first, next]);
  t.same(s.pool.inflight(), [0, 0]);
  await s.done();
});

t.test('1,000 concurrent actions from many callers over 2 connections, during calls', async (t) => {
  const s = await setup({ callDurationMs: 400 });
  await s.start();
  s.sim.startCalls({ cps: 50, concurrency: 10 });
  while (s.sim.activeCalls < 3) await tick(10);

  const kinds: [string, string][][] = [
    [['Action', 'Ping']],
    [['Action', 'Status']],
    [['Action', 'CoreShowChannels']],
    [['Action', 'Command'], ['Command', 'core show uptime']],
    [['Action', 'Getvar'], ['Variable', 'NOPE']],
    [['Action', 'QueueStatus']],
    [['Action', 'DBGetTree'], ['Family', 'none']],
    [['Action', 'NoSuchAction']],
  ];
  const N = 1000;
  const calls: Promise<AmiMessage[]>[] = [];
  const callerIds: (string | undefined)[] = [];
  for (let i = 0; i < N; i++) {
    // Many callers reuse the same ids as each other: each must still get only its own replies.
    const id = i % 10 === 0 ? undefined : `caller-${i % 97}-${i}`;
    callerIds.push(id);
    const h = kinds[i % kinds.length]!.slice();
    if (id !== undefined) h.push(['ActionID', id]);
    calls.push(s.pool.send(h));
  }
  const spread = s.pool.inflight();
  t.equal(spread.length, 2);
  t.ok(spread[0]! > 0 && spread[1]! > 0, `both connections used: ${spread}`);
  // One turn's actions stay on one connection up to STICKY_SLACK ahead of the other.
  t.ok(Math.abs(spread[0]! - spread[1]!) <= STICKY_SLACK + 1, `balanced by in-flight count: ${spread}`);

  const replies = await Promise.all(calls);
  let wrongId = 0;
  let badShape = 0;
  let lists = 0;
  for (let i = 0; i < N; i++) {
    const r = replies[i]!;
    for (const m of r) if (m.actionId !== callerIds[i]) wrongId++;
    if (r[0]!.response === undefined) badShape++;
    if (r.length > 1) {
      lists++;
      const last = r[r.length - 1]!;
      if (!/Complete$/.test(last.event ?? '') || last.get('EventList') !== 'Complete') badShape++;
      if (r.slice(1).some((m) => m.event === undefined)) badShape++;
    }
    const action = kinds[i % kinds.length]![0]![1];
    if (action === 'Status' && r[r.length - 1]!.event !== 'StatusComplete') badShape++;
    if (action === 'CoreShowChannels' && r[r.length - 1]!.event !== 'CoreShowChannelsComplete') badShape++;
    if (action === 'NoSuchAction' && r[0]!.response !== 'Error') badShape++;
  }
  t.equal(wrongId, 0, 'every message carries its own caller ActionID (or none)');
  t.equal(badShape, 0, 'every reply is complete and well-formed');
  t.ok(lists >= (N / kinds.length) * 3, `lists collected: ${lists}`);
  const statusItems = replies.filter((_, i) => i % kinds.length === 1).reduce((n, r) => n + r.length - 2, 0);
  t.ok(statusItems > 0, `Status returned channel items during calls (${statusItems})`);

  s.sim.stopCalls();
  await tick(50);
  const listNames = new Set(['Status', 'StatusComplete', 'CoreShowChannel', 'CoreShowChannelsComplete', 'QueueParams', 'QueueMember', 'QueueStatusComplete', 'DBGetTreeResponse', 'DBGetTreeComplete']);
  const leaked = s.events.filter((e) => listNames.has(e.event ?? '') || e.actionId !== undefined);
  t.same(leaked.map((e) => `${e.event} ${e.actionId}`), [], 'no list item or tagged message in the event stream');
  t.ok(s.events.some((e) => e.event === 'Newchannel'), 'call events flow');
  t.equal(s.pool.pendingCount, 0);
  t.same(s.pool.inflight(), [0, 0]);
  t.equal(s.pool.stats.dropped, 0);
  await s.done();
});

t.test('OriginateResponse: routed with the caller id restored, once, from the events connection', async (t) => {
  const s = await setup();
  await s.start();
  const headers: [string, string][] = [
    ['Action', 'Originate'],
    ['Channel', 'Local/100@test'],
    ['Context', 'test'],
    ['Exten', '200'],
    ['Priority', '1'],
    ['Async', 'true'],
  ];
  // Idle pool: the action goes to connection 1 (events off); the broadcast arrives on connection 0.
  const r = await s.pool.send([...headers, ['ActionID', 'orig-A']]);
  t.equal(r.length, 1);
  t.equal(r[0]!.get('Message'), 'Originate successfully queued');
  t.equal(r[0]!.actionId, 'orig-A');
  const r2 = await s.pool.send(headers);
  t.equal(r2[0]!.actionId, undefined);
  while (s.events.filter((e) => e.event === 'OriginateResponse').length < 2) await tick(10);
  await tick(50);
  const or = s.events.filter((e) => e.event === 'OriginateResponse');
  t.equal(or.length, 2, 'exactly once each');
  t.same(or.map((e) => e.actionId).sort(), [undefined, 'orig-A'].sort());
  t.equal(or.find((e) => e.actionId === 'orig-A')!.raw.toString().split('\r\n')[2], 'ActionID: orig-A');
  t.equal(s.pool.echoCount, 0);
  t.equal(s.pool.pendingCount, 0);
  while (s.sim.activeCalls > 0) await tick(20);
  await s.done();
});

t.test('UserEvent broadcast keeps the caller id', async (t) => {
  const s = await setup();
  await s.start();
  await s.pool.send([['Action', 'UserEvent'], ['UserEvent', 'Hello'], ['ActionID', 'ue-1'], ['Foo', 'bar']]);
  while (!s.events.some((e) => e.event === 'UserEvent')) await tick(5);
  const ue = s.events.filter((e) => e.event === 'UserEvent');
  t.equal(ue.length, 1);
  t.equal(ue[0]!.actionId, 'ue-1');
  t.equal(ue[0]!.get('UserEvent'), 'Hello');
  t.equal(ue[0]!.get('Foo'), 'bar');
  t.equal(s.pool.echoCount, 0);
  await s.done();
});

t.test('pre-14 Response: Follows body routed with the caller id', async (t) => {
  const s = await setup({ followsCommand: true });
  await s.start();
  const [r] = await s.pool.send([['Action', 'Command'], ['Command', 'core show uptime'], ['ActionID', 'cmd-1']]);
  t.equal(r!.response, 'Follows');
  t.equal(r!.actionId, 'cmd-1');
  t.match(r!.body, /uptime/i);
  t.match(r!.raw.toString(), /--END COMMAND--\r\n\r\n$/);
  await s.done();
});

t.test('drop: in-flight actions answered at once, then the pool reconnects', async (t) => {
  const s = await setup({}, { actionTimeoutMs: 60000 });
  await s.start();
  s.sim.delayActions(30000); // nothing gets answered
  const pending = [
    s.pool.send([['Action', 'Ping'], ['ActionID', 'p1']]),
    s.pool.send([['Action', 'Status'], ['ActionID', 'p2']]),
    s.pool.send([['Action', 'Ping']]),
  ];
  while (s.sim.received.filter((m) => m.get('Action') !== 'Login' && m.get('Action') !== 'Challenge').length < 3) await tick(5);
  t.equal(s.pool.pendingCount, 3);
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  s.sim.dropAll();
  const replies = await Promise.all(pending);
  t.same(
    replies.map((r) => r.map((m) => m.raw.toString())),
    [
      ['Response: Error\r\nActionID: p1\r\nMessage: AMI connection lost\r\n\r\n'],
      ['Response: Error\r\nActionID: p2\r\nMessage: AMI connection lost\r\n\r\n'],
      ['Response: Error\r\nMessage: AMI connection lost\r\n\r\n'],
    ],
  );
  t.equal(s.pool.pendingCount, 0);
  t.ok(downs.length >= 1 && downs.every((e) => e.code === 'AMI_ERR_CONNECTION_LOST'));
  s.sim.delayActions(0);
  await allReady(s.pool);
  const r = await s.pool.send([['Action', 'Ping'], ['ActionID', 'again']]);
  t.equal(r[0]!.get('Ping'), 'Pong');
  t.equal(r[0]!.actionId, 'again');
  await s.done();
});

t.test('keepalive: a stalled simulator is detected and the pool recovers', async (t) => {
  const s = await setup({}, { keepaliveMs: 30, stallTimeoutMs: 300, connections: 2 });
  await s.start();
  const downs: AjamError[] = [];
  s.pool.on('connectionDown', (e: AjamError) => downs.push(e));
  const lost = s.pool.send([['Action', 'Ping'], ['ActionID', 'during-stall']]);
  s.sim.stall(true);
  const [r] = await lost;
  t.equal(r!.get('Message'), 'AMI connection stalled (Asterisk answered nothing)');
  t.equal(r!.actionId, 'during-stall');
  while (downs.length < 2) await once(s.pool, 'connectionDown');
  t.ok(downs.some((e) => e.code === 'AMI_ERR_KEEPALIVE'), downs.map((e) => e.code).join());
  s.sim.stall(false);
  await allReady(s.pool);
  const [ok] = await s.pool.send([['Action', 'Ping']]);
  t.equal(ok!.get('Ping'), 'Pong');
  await s.done();
});

t.test('timeout answers with a clear error and frees the entry; late answers are dropped', async (t) => {
  const s = await setup({}, { actionTimeoutMs: 60 });
  await s.start();
  s.sim.delayActions(200);
  const [r] = await s.pool.send([['Action', 'Status'], ['ActionID', 'slow']]);
  t.equal(r!.response, 'Error');
  t.equal(r!.actionId, 'slow');
  t.match(r!.get('Message'), /timed out after 60 ms/);
  t.equal(s.pool.pendingCount, 0);
  t.same(s.pool.inflight(), [0, 0]);
  // Per-call timeout overrides the default.
  const long = s.pool.send([['Action', 'Ping'], ['ActionID', 'patient']], 5000);
  while (s.pool.stats.dropped < 2) await tick(20); // the late Status response and its complete event
  s.sim.delayActions(0);
  const [p] = await long;
  t.equal(p!.get('Ping'), 'Pong');
  t.equal(s.pool.stats.timeouts, 1);
  t.same(s.events.filter((e) => e.event?.startsWith('Status')), [], 'late list items never reach the event stream');
  t.equal(s.pool.pendingCount, 0);
  await s.done();
});

t.test('CR, LF or NUL in a key or value: throws, nothing written', async (t) => {
  const s = await setup();
  await s.start();
  await s.pool.send([['Action', 'Ping']]);
  const before = s.sim.receivedBytes().length;
  const bad: [string, string][][] = [
    [['Action', 'Ping\r\nAction: Originate']],
    [['Action', 'Command'], ['Command', 'core show uptime\nAction: Originate']],
    [['Action', 'Ping'], ['X\r\nY', '1']],
    [['Action', 'Ping'], ['ActionID', 'a\0b']],
  ];
  for (const h of bad) t.throws(() => s.pool.send(h), { name: 'AjamError', code: 'AMI_ERR_INVALID_HEADER' });
  await s.pool.send([['Action', 'Ping'], ['ActionID', 'after']]);
  const after = bytesWithoutProbes(s.sim.receivedBytes().subarray(before).toString());
  t.match(after, /^Action: Ping\r\nActionID: [0-9a-f]{8}-\w+\r\n\r\n$/, 'only the valid action went out');
  t.equal(s.pool.pendingCount, 0);
  await s.done();
});

t.test('session-local actions are never sent on the shared connection', async (t) => {
  const s = await setup();
  await s.start();
  const before = withoutProbes(s.sim.received).length;
  for (const a of ['Logoff', 'Events', 'login', 'Challenge', 'Filter', 'WaitEvent']) {
    const [r] = await s.pool.send([['Action', a], ['ActionID', 'x'], ['EventMask', 'off']]);
    t.equal(r!.response, 'Error', a);
    t.equal(r!.actionId, 'x');
    t.match(r!.get('Message'), /session-local/);
  }
  t.equal(withoutProbes(s.sim.received).length, before, 'nothing written');
  const [ok] = await s.pool.send([['Action', 'Ping']]);
  t.equal(ok!.get('Ping'), 'Pong', 'connection still logged in');
  await s.done();
});

t.test('close answers what is in flight; two pools never share a prefix', async (t) => {
  const s = await setup();
  await s.start();
  s.sim.delayActions(10000);
  const p = s.pool.send([['Action', 'Ping'], ['ActionID', 'bye']]);
  while (!s.sim.received.some((m) => m.get('Action') === 'Ping')) await tick(5);
  await s.pool.close();
  const [r] = await p;
  t.equal(r!.get('Message'), 'AMI connection closed');
  t.equal(r!.actionId, 'bye');
  const [after] = await s.pool.send([['Action', 'Ping']]);
  t.equal(after!.get('Message'), 'AMI connection closed');
  const other = new AmiPool({ host: '127.0.0.1', port: 1, username: 'a', secret: 'b' });
  t.not(other.idPrefix, s.pool.idPrefix);
  await other.close();
  await s.sim.close();
});
