// The simulator's app_queue: the events of a caller answered, abandoned and hung up while waiting,
// with Asterisk 22's field order, and QueueStatus / QueueSummary agreeing with those events.
import t from 'tap';
import { AmiSimulator } from '../../lib/sim/index.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';
import { TestClient } from '../helpers/sim-client.ts';

const sim = new AmiSimulator();
let c: TestClient;

t.before(async () => {
  await sim.listen();
  c = await TestClient.login(sim.port, 'admin', 'admin');
});
t.teardown(async () => {
  c.close();
  await sim.close();
});

const keys = (m: AmiMessage): string[] => {
  const out: string[] = [];
  for (let i = 0; i < m.count; i++) out.push(m.key(i));
  return out;
};
const SNAPSHOT = ['Channel', 'ChannelState', 'ChannelStateDesc', 'CallerIDNum', 'CallerIDName', 'ConnectedLineNum', 'ConnectedLineName', 'Language', 'AccountCode', 'Context', 'Exten', 'Priority', 'Uniqueid', 'Linkedid'];
const DEST = SNAPSHOT.map((k) => 'Dest' + k);
const MEMBER = ['Queue', 'MemberName', 'Interface', 'StateInterface', 'Membership', 'Penalty', 'CallsTaken', 'LastCall', 'LastPause', 'LoginTime', 'InCall', 'Status', 'Paused', 'PausedReason', 'Ringinuse', 'Wrapuptime'];

async function summary(queue: string): Promise<AmiMessage> {
  const r = await c.action([['Action', 'QueueSummary'], ['Queue', queue]]);
  return r[1]!;
}

t.test('agents log in, a caller is answered, talks and completes', async (t) => {
  sim.staffQueues();
  await c.waitFor(() => c.events('QueueMemberAdded').length === 6, 'six QueueMemberAdded');
  const added = c.events('QueueMemberAdded')[0]!;
  t.same(keys(added), ['Event', 'Privilege', ...MEMBER], 'QueueMemberAdded fields in app_queue order');
  t.equal(added.get('Privilege'), 'agent,all');
  t.equal(added.get('Membership'), 'dynamic');

  const from = c.messages.length;
  const chan = sim.queueCall({ queue: 'sales', callerIdNum: '5551234', callerIdName: 'Pat', patienceMs: 10_000, ringMs: 50, talkMs: 1200 });
  t.match(chan, /^PJSIP\/trunk-/);
  const join = await c.next((m) => m.event === 'QueueCallerJoin', 'join', from);
  t.same(keys(join), ['Event', 'Privilege', ...SNAPSHOT, 'Queue', 'Position', 'Count']);
  t.equal(join.get('Channel'), chan);
  t.equal(join.get('CallerIDName'), 'Pat');
  const called = await c.next((m) => m.event === 'AgentCalled', 'AgentCalled', from);
  t.same(keys(called), ['Event', 'Privilege', ...SNAPSHOT, ...DEST, 'Queue', 'Interface', 'MemberName']);
  t.equal(called.get('MemberName'), 'Carla Diaz', 'first free member of sales');
  const ringing = await c.next((m) => m.event === 'QueueMemberStatus' && m.get('Status') === '6', 'ringing', from);
  t.equal(ringing.get('Interface'), 'PJSIP/303');
  const connect = await c.next((m) => m.event === 'AgentConnect', 'AgentConnect', from);
  t.same(keys(connect), ['Event', 'Privilege', ...SNAPSHOT, ...DEST, 'Queue', 'Interface', 'MemberName', 'HoldTime', 'RingTime']);
  const names = c.messages.slice(from).map((m) => m.event);
  t.ok(names.indexOf('QueueCallerLeave') < names.indexOf('AgentConnect'), 'leave_queue before AgentConnect');

  // Mid-call: Carla is busy in both her queues, so sales has one logged in, one available.
  const mid = await summary('sales');
  t.equal(mid.get('LoggedIn'), '3');
  t.equal(mid.get('Available'), '2');
  t.equal(mid.get('Callers'), '0');

  const done = await c.next((m) => m.event === 'AgentComplete', 'AgentComplete', from);
  t.same(keys(done), ['Event', 'Privilege', ...SNAPSHOT, ...DEST, 'Queue', 'Interface', 'MemberName', 'HoldTime', 'TalkTime', 'Reason']);
  t.equal(done.get('Reason'), 'agent');
  await c.waitFor(() => c.messages.slice(from).filter((m) => m.event === 'Hangup').length === 2, 'both hangups');
  const st = await c.action([['Action', 'QueueStatus'], ['Queue', 'sales']]);
  const params = st.find((m) => m.event === 'QueueParams')!;
  t.equal(params.get('Completed'), '1');
  t.equal(params.get('ServicelevelPerf'), '100.0', 'answered within the 30 s service level');
  const carla = st.find((m) => m.event === 'QueueMember' && m.get('Name') === 'Carla Diaz')!;
  t.equal(carla.get('CallsTaken'), '1');
  t.equal(carla.get('Status'), '1');
  t.equal(carla.get('InCall'), '0');
});

t.test('no agent free: callers wait (QueueEntry), one abandons, one is hung up by an action', async (t) => {
  for (const iface of ['PJSIP/303', 'PJSIP/304', 'PJSIP/305']) {
    const [r] = await c.action([['Action', 'QueuePause'], ['Interface', iface], ['Paused', 'yes'], ['Reason', 'Lunch']]);
    t.equal(r!.get('Message'), 'Interface paused successfully');
  }
  const from = c.messages.length;
  sim.queueCall({ queue: 'sales', callerIdNum: '1', callerIdName: 'A', patienceMs: 300, ringMs: 50, talkMs: 1000 });
  const b = sim.queueCall({ queue: 'sales', callerIdNum: '2', callerIdName: 'B', patienceMs: 60_000, ringMs: 50, talkMs: 1000 })!;
  const st = await c.action([['Action', 'QueueStatus'], ['Queue', 'sales']]);
  const entries = st.filter((m) => m.event === 'QueueEntry');
  t.equal(entries.length, 2, 'two waiting');
  t.same(keys(entries[0]!), ['Event', 'Queue', 'Position', 'Channel', 'Uniqueid', 'CallerIDNum', 'CallerIDName', 'ConnectedLineNum', 'ConnectedLineName', 'Wait', 'Priority', 'ActionID']);
  t.equal((await summary('sales')).get('Available'), '0', 'paused members are not available');
  t.equal((await summary('sales')).get('LoggedIn'), '3', 'but still logged in');

  const ab = await c.next((m) => m.event === 'QueueCallerAbandon', 'abandon', from);
  t.same(keys(ab), ['Event', 'Privilege', ...SNAPSHOT, 'Queue', 'Position', 'OriginalPosition', 'HoldTime']);
  t.equal(ab.get('CallerIDName'), 'A');
  const leave = await c.next((m) => m.event === 'QueueCallerLeave' && m.get('CallerIDName') === 'A', 'leave', from);
  t.same(keys(leave), ['Event', 'Privilege', ...SNAPSHOT, 'Queue', 'Count', 'Position']);
  t.equal(leave.get('Count'), '1');

  const [h] = await c.action([['Action', 'Hangup'], ['Channel', b]]);
  t.equal(h!.get('Message'), 'Channel Hungup');
  await c.next((m) => m.event === 'QueueCallerAbandon' && m.get('Channel') === b, 'B abandons', from);
  const s = await summary('sales');
  t.equal(s.get('Callers'), '0');
  const p = (await c.action([['Action', 'QueueStatus'], ['Queue', 'sales']])).find((m) => m.event === 'QueueParams')!;
  t.equal(p.get('Abandoned'), '2');
  t.equal(p.get('Completed'), '1');

  // Unpausing lets the next caller through at once.
  const [u] = await c.action([['Action', 'QueuePause'], ['Interface', 'PJSIP/304'], ['Paused', 'no']]);
  t.equal(u!.get('Response'), 'Success');
  const [bad] = await c.action([['Action', 'QueuePause'], ['Interface', 'PJSIP/999'], ['Paused', 'no']]);
  t.equal(bad!.get('Message'), 'Interface not found');
});
