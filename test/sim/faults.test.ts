// The simulator's fault knobs and observation hooks.
import t from 'tap';
import { AmiSimulator } from '../../lib/sim/index.ts';
import { TestClient } from '../helpers/sim-client.ts';

const sim = new AmiSimulator({ callDurationMs: 300 });
const clients: TestClient[] = [];

t.before(async () => {
  await sim.listen();
});
t.teardown(async () => {
  for (const c of clients) c.close();
  await sim.close();
});

async function login(events?: 'on' | 'off'): Promise<TestClient> {
  const c = await TestClient.login(sim.port, 'admin', 'admin', events);
  clients.push(c);
  return c;
}

function tick(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

t.test('connectionCount, received and receivedBytes', async (t) => {
  sim.clearReceived();
  const a = await login('off');
  const b = await login('off');
  t.equal(sim.connectionCount, 2);
  await a.action([['Action', 'Ping'], ['ActionID', 'pa']]);
  await b.action([['Action', 'Ping'], ['ActionID', 'pb']]);
  t.same(
    sim.received.map((m) => [m.get('Action'), m.actionId]),
    [
      ['Login', 't1'],
      ['Login', 't1'],
      ['Ping', 'pa'],
      ['Ping', 'pb'],
    ],
  );
  const bytes = sim.receivedBytes().toString();
  t.equal(bytes, sim.received.map((m) => m.raw.toString()).join(''), 'raw bytes are the actions as sent');
  a.close();
  b.close();
  while (sim.connectionCount !== 0) await tick(5);
  t.equal(sim.connectionCount, 0);
});

t.test('dropAll destroys every client socket', async (t) => {
  const a = await login();
  const b = await login('off');
  sim.dropAll();
  await Promise.all([a.whenClosed(), b.whenClosed()]);
  t.ok(a.closed && b.closed);
  // A new connection works afterwards.
  const c = await login('off');
  const [r] = await c.action([['Action', 'Ping']]);
  t.equal(r?.get('Ping'), 'Pong');
});

t.test('stall: nothing read, answered or written until released', async (t) => {
  const c = await login('off');
  const before = c.messages.length;
  const seen = sim.received.length;
  sim.stall(true);
  c.write('Action: Ping\r\nActionID: stalled\r\n\r\n');
  // Give the loop many turns: the Ping must not be read nor answered.
  await tick(150);
  t.equal(c.messages.length, before, 'no answer while stalled');
  t.equal(sim.received.length, seen, 'the action was not read');
  sim.stall(false);
  const r = await c.next((m) => m.actionId === 'stalled', 'Pong after release', before);
  t.equal(r.get('Ping'), 'Pong');
});

t.test('stall holds events too, and a new connection gets its banner only after release', async (t) => {
  const c = await login();
  const from = c.messages.length;
  sim.stall(true);
  sim.emitEvent([['Event', 'UserEvent'], ['UserEvent', 'held']], 'user,all');
  const late = await TestClient.open(sim.port);
  clients.push(late);
  await tick(100);
  t.equal(c.messages.length, from, 'event held');
  t.equal(late.banner, undefined, 'banner held');
  sim.stall(false);
  const ev = await c.next((m) => m.event === 'UserEvent', 'held event', from);
  t.equal(ev.raw.toString(), 'Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: held\r\n\r\n');
  await late.waitFor(() => late.banner !== undefined, 'banner');
  t.equal(late.banner, 'Asterisk Call Manager/11.0.0');
});

t.test('sendGarbage: a parser reports it and resynchronises', async (t) => {
  const c = await login('off');
  sim.sendGarbage();
  const [r] = await c.action([['Action', 'Ping']]);
  t.equal(r?.get('Ping'), 'Pong', 'next reply parses');
  t.ok(c.errors.length >= 1, 'garbage reported by the parser');
  const custom = Buffer.from('no colon here\r\n\r\n');
  const n = c.errors.length;
  sim.sendGarbage(custom);
  await c.waitFor(() => c.errors.length > n, 'custom garbage');
  t.pass('custom bytes sent');
});

t.test('splitWrites: replies arrive one byte at a time and still parse', async (t) => {
  const c = await login('off');
  sim.splitWrites(true);
  const before = c.chunks.length;
  const msgs = await c.action([['Action', 'Status']]);
  sim.splitWrites(false);
  t.equal(msgs.length, 2, 'response and StatusComplete');
  const chunks = c.chunks.slice(before);
  const total = chunks.reduce((n, b) => n + b.length, 0);
  t.ok(chunks.length > 1, `${chunks.length} chunks for ${total} bytes`);
  t.ok(chunks.length > total / 4, 'mostly single bytes');
  const [p] = await c.action([['Action', 'Ping']]);
  t.equal(p?.get('Ping'), 'Pong', 'normal writes again');
});

t.test('delayActions: answers come later, in order', async (t) => {
  const c = await login('off');
  sim.delayActions(80);
  const from = c.messages.length;
  c.write('Action: Ping\r\nActionID: d1\r\n\r\nAction: Ping\r\nActionID: d2\r\n\r\nAction: Ping\r\nActionID: d3\r\n\r\n');
  await c.waitFor(() => c.messages.length >= from + 3, 'three pongs');
  sim.delayActions(0);
  t.same(
    c.messages.slice(from).map((m) => m.actionId),
    ['d1', 'd2', 'd3'],
  );
});

t.test('close() resolves with clients still connected', async (t) => {
  const other = new AmiSimulator();
  const port = await other.listen();
  const a = await TestClient.login(port, 'admin', 'admin');
  other.startCalls({ cps: 50, concurrency: 3 });
  await a.next((m) => m.event === 'Newchannel', 'a call');
  await other.close();
  await a.whenClosed();
  t.equal(other.connectionCount, 0);
  t.equal(other.activeCalls, 0);
});
