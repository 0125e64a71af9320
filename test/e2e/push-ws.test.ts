// /ws through the whole stack with the `ws` package as client: login by cookie and by first frame,
// actions with and without ActionIDs (replies in order), a list action in one frame, events filtered
// by read classes, by `events=` and by Filter, resume by `since` after a disconnect in the middle of
// a call (checked by seq), hostile frames, and what the simulator received.
import t from 'tap';
import { AjamClient, USERS, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { WsClient } from '../helpers/push.ts';
import { newToken } from '../../lib/auth/tokens.ts';
import { untilValue } from '../helpers/until.ts';
import { wsPayloadBound } from '../../lib/http/push-ws.ts';
import { withoutProbes } from '../helpers/probes.ts';

const wallToken = newToken();
const users = `${USERS.replace('[wallboard]\n', `[wallboard]\n${wallToken.line}\n`)}
[filtered]
secret = filteredpw
read = all
write = all
eventfilter = Event: Allowed
`;

let ta: TestApp;
let url: string;
t.before(async () => {
  ta = await startTestApp({ users, general: 'wsmaxframe = 2048\nauthlimit = 100000' });
  url = `ws://127.0.0.1:${ta.port}/ws`;
});
t.teardown(() => ta.close());

function emit(name: string, privilege: string, extra: Array<[string, string]> = []): void {
  ta.app.sim!.emitEvent([['Event', name], ...extra], privilege);
}

async function cookieOf(user = 'admin', secret = 'adminpw'): Promise<string> {
  const c = new AjamClient(ta.base);
  await c.login(user, secret);
  return c.cookie!;
}

t.test('login by cookie: actions with and without ActionID, replies in the order sent', async (t) => {
  const c = await WsClient.open(url, { cookie: await cookieOf() });
  c.send({ Action: 'Ping', ActionID: 'a1' });
  c.send({ Action: 'Ping' });
  c.send({ Action: 'Ping', ActionID: 'a3' });
  await c.reply('a3');
  const replies = c.frames.filter((f) => f.actionid !== undefined);
  t.same(
    replies.map((f) => f.actionid),
    ['a1', '', 'a3'],
  );
  t.equal(replies[0]!.messages![0]!.Response, 'Success');
  t.equal(replies[0]!.messages![0]!.ActionID, 'a1');
  t.equal(replies[0]!.messages![0]!.Ping, 'Pong');
  t.notOk('ActionID' in replies[1]!.messages![0]!, 'no ActionID invented');
  c.close();
  await c.closed;
});

t.test('login by first frame; a wrong first frame closes with 1008', async (t) => {
  const c = await WsClient.open(url);
  c.send({ Action: 'Login', Username: 'admin', Secret: 'adminpw', ActionID: 'l1' });
  const r = await c.reply('l1');
  t.equal(r.messages![0]!.Message, 'Authentication accepted');
  c.send({ Action: 'Ping', ActionID: 'p' });
  t.equal((await c.reply('p')).messages![0]!.Ping, 'Pong');
  c.close();

  const bad = await WsClient.open(url);
  bad.send({ Action: 'Ping' });
  const closed = await bad.closed;
  t.equal(closed.code, 1008);
  t.match(closed.reason, /Login/);

  const wrong = await WsClient.open(url);
  wrong.send({ Action: 'Login', Username: 'admin', Secret: 'nope', ActionID: 'x' });
  const r2 = await wrong.reply('x');
  t.equal(r2.messages![0]!.Response, 'Error');
  t.equal((await wrong.closed).code, 1008);
});

t.test('a list action comes in one frame, every message with the client ActionID', async (t) => {
  ta.app.sim!.startCalls({ cps: 50, concurrency: 3 });
  await untilValue(() => (ta.app.sim!.activeCalls >= 2 ? true : undefined), 'calls');
  ta.app.sim!.stopCalls();
  const c = await WsClient.open(url, { cookie: await cookieOf() });
  c.send({ Action: 'CoreShowChannels', ActionID: 'list-1' });
  const r = await c.reply('list-1');
  const msgs = r.messages!;
  t.equal(msgs[0]!.EventList, 'start');
  t.equal(msgs.at(-1)!.Event, 'CoreShowChannelsComplete');
  t.ok(msgs.length >= 3, 'items between');
  t.ok(msgs.every((m) => m.ActionID === 'list-1'));
  t.equal(Number(msgs.at(-1)!.ListItems), msgs.length - 2);
  c.close();
});

t.test('events: read classes, events= and Filter decide; seq is the shared log number', async (t) => {
  const admin = await WsClient.open(url, { cookie: await cookieOf() });
  const wall = await WsClient.open(url, { cookie: await cookieOf('wallboard', 'wallpw') });
  const agentOnly = await WsClient.open(`${url}?events=agent`, { cookie: await cookieOf() });
  emit('SysOnly', 'system');
  emit('CallEv', 'call');
  emit('AgentEv', 'agent');
  emit('Marker', 'call,agent');
  await admin.event('Marker');
  await wall.event('Marker');
  await agentOnly.event('AgentEv');
  t.same(
    admin.events.map((e) => e.event.Event).filter((n) => ['SysOnly', 'CallEv', 'AgentEv', 'Marker'].includes(n as string)),
    ['SysOnly', 'CallEv', 'AgentEv', 'Marker'],
  );
  t.same(
    wall.events.map((e) => e.event.Event),
    ['CallEv', 'AgentEv', 'Marker'],
    'wallboard (call,agent,reporting) never sees a system event',
  );
  t.same(agentOnly.events.map((e) => e.event.Event), ['AgentEv'], 'events=agent: Marker needs call too');
  const seqA = admin.events.find((e) => e.event.Event === 'Marker')!.seq;
  const seqW = wall.events.find((e) => e.event.Event === 'Marker')!.seq;
  t.equal(seqA, seqW, 'same seq for every client');
  const seqs = admin.events.map((e) => e.seq);
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'increasing');

  // Filter on this socket only; Events narrows this socket only.
  admin.send({ Action: 'Filter', Operation: 'Add', Filter: 'Event: Keep', ActionID: 'f' });
  t.equal((await admin.reply('f')).messages![0]!.Response, 'Success');
  wall.send({ Action: 'Events', EventMask: 'agent', ActionID: 'e' });
  await wall.reply('e');
  emit('Drop', 'call,agent');
  emit('Keep', 'call,agent');
  emit('AgentEv2', 'agent');
  await admin.event('Keep');
  await wall.event('AgentEv2');
  t.notOk(admin.events.some((e) => e.event.Event === 'Drop' || e.event.Event === 'AgentEv2'), 'Filter applies');
  t.notOk(wall.events.some((e) => e.event.Event === 'Drop' || e.event.Event === 'Keep'), 'Events applies');
  admin.close();
  wall.close();
  agentOnly.close();
});

t.test('a Filter on a socket changes that socket only: not its cookie session, the user, or another socket', async (t) => {
  // Sockets start from the cookie session's / the user's filters without a copy; Filter must not
  // write through to them.
  const web = new AjamClient(ta.base);
  await web.login('filtered', 'filteredpw');
  const a = await WsClient.open(url, { cookie: web.cookie! });
  const b = await WsClient.open(url, { cookie: web.cookie! });
  a.send({ Action: 'Filter', Operation: 'Add', Filter: '!Event: Allowed', ActionID: 'fa' });
  t.equal((await a.reply('fa')).messages![0]!.Response, 'Success');
  emit('Allowed', 'call');
  emit('Other', 'call');
  emit('Allowed', 'call', [['Last', 'yes']]);
  await b.frame((f) => f.event?.Last === 'yes', 'the last event on the other socket');
  t.equal(b.events.filter((e) => e.event.Event === 'Allowed').length, 2, "the other socket: only the user's filter");
  t.notOk(b.events.some((e) => e.event.Event === 'Other'));
  const w = await web.get('/rawman?action=WaitEvent&Timeout=1');
  t.equal((w.body.match(/Event: Allowed/g) ?? []).length, 2, "the cookie session: only the user's filter");
  const fresh = await WsClient.open(url, { cookie: await cookieOf('filtered', 'filteredpw') });
  emit('Allowed', 'call', [['Fresh', 'yes']]);
  await fresh.frame((f) => f.event?.Fresh === 'yes', "a new login still gets the user's events");
  await b.frame((f) => f.event?.Fresh === 'yes', 'the other socket too');
  t.notOk(a.events.some((e) => e.event.Event === 'Allowed'), 'the filtering socket excluded Allowed');
  for (const c of [a, b, fresh]) c.close();
});

t.test("the user's eventfilters apply", async (t) => {
  const c = await WsClient.open(url, { cookie: await cookieOf('filtered', 'filteredpw') });
  emit('Blocked', 'call');
  emit('Allowed', 'call');
  await c.event('Allowed');
  t.notOk(c.events.some((e) => e.event.Event === 'Blocked'));
  c.close();
});

t.test('repeated keys become arrays, in order', async (t) => {
  const c = await WsClient.open(url, { cookie: await cookieOf() });
  emit('Multi', 'call', [
    ['Line', 'one'],
    ['Other', 'x'],
    ['Line', 'two'],
  ]);
  const f = await c.event('Multi');
  t.same(f.event, { Event: 'Multi', Privilege: 'call,all', Line: ['one', 'two'], Other: 'x' });
  c.close();
});

t.test('resume by since after a disconnect in the middle of a call: nothing lost or repeated', async (t) => {
  const cookie = await cookieOf();
  const first = await WsClient.open(url, { cookie });
  const start = ta.app.events.nextSeq;
  ta.app.sim!.startCalls({ cps: 40, concurrency: 4 });
  await untilValue(() => (first.events.filter((e) => e.seq >= start).length >= 20 ? true : undefined), 'call events');
  first.close();
  await first.closed;
  const last = first.events.at(-1)!.seq;
  // Events keep flowing while the client is away.
  const away = ta.app.events.nextSeq;
  await untilValue(() => (ta.app.events.nextSeq > away + 10 ? true : undefined), 'events while away');
  const again = await WsClient.open(`${url}?since=${last}`, { cookie });
  await untilValue(() => (again.events.length >= 30 ? true : undefined), 'replay and live events');
  ta.app.sim!.stopCalls();
  const seen = [...first.events, ...again.events].map((e) => e.seq).filter((s) => s >= start);
  // admin sees everything: the seqs must be exactly consecutive.
  const expected = Array.from({ length: seen.length }, (_, i) => seen[0]! + i);
  t.same(seen, expected, 'consecutive: none lost, none repeated');
  again.close();
});

t.test('hostile and malformed frames', async (t) => {
  const c = await WsClient.open(url, { cookie: await cookieOf() });
  c.send('not json');
  c.send('[1,2]');
  c.send({ Action: 'Ping', ActionID: 5 });
  c.send(Object.fromEntries([['Action', 'Ping'], ...Array.from({ length: 130 }, (_, i) => [`X${i}`, 'v'])]));
  c.send({ Action: 'Ping', ActionID: 'after' });
  await c.reply('after');
  const errors = c.frames.filter((f) => f.error !== undefined).map((f) => f.error);
  t.equal(errors.length, 4);
  t.match(errors[0], /malformed JSON/);
  t.match(errors[3], /too many parameters \(limit 128\)/);

  // Header injection: nothing reaches Asterisk.
  const before = withoutProbes(ta.app.sim!.received).length;
  c.send({ Action: 'Ping', ActionID: 'inj', X: 'a\r\nAction: Originate' });
  const r = await c.reply('inj');
  t.equal(r.messages![0]!.Response, 'Error');
  t.equal(withoutProbes(ta.app.sim!.received).length, before, 'the simulator received nothing');

  // Permission: wallboard may not run a system action; it is refused by the proxy.
  const w = await WsClient.open(url, { cookie: await cookieOf('wallboard', 'wallpw') });
  w.send({ Action: 'Originate', Channel: 'PJSIP/1', Application: 'Playback', Data: 'x', ActionID: 'o' });
  const o = await w.reply('o');
  t.equal(o.messages![0]!.Message, 'Permission denied');
  t.equal(withoutProbes(ta.app.sim!.received).length, before, 'still nothing received');

  // WaitEvent has no place on a socket; Logoff ends this socket only.
  w.send({ Action: 'WaitEvent', ActionID: 'we' });
  t.match((await w.reply('we')).messages![0]!.Message as string, /pushed/);
  w.send({ Action: 'Logoff', ActionID: 'bye' });
  t.equal((await w.reply('bye')).messages![0]!.Response, 'Goodbye');
  t.equal((await w.closed).code, 1000);

  // A frame over wsmaxframe (2048 here) closes with 1009.
  c.send({ Action: 'Ping', Pad: 'x'.repeat(5000) });
  t.equal((await c.closed).code, 1009);
});

t.test('every frame over wsmaxframe up to the payload bound gets 1009; past the bound uWS drops it (1006)', async (t) => {
  const cookie = await cookieOf();
  const bound = wsPayloadBound(2048);
  // Far past 4 × wsmaxframe (the old bound), just under the bound, and as fragments.
  for (const size of [100_000, bound - 100]) {
    const c = await WsClient.open(url, { cookie });
    c.send(JSON.stringify({ Action: 'Ping', Pad: 'x'.repeat(size - 30) }).slice(0, size));
    const closed = await c.closed;
    t.equal(closed.code, 1009, `${size} bytes: 1009`);
    t.match(closed.reason, /frame over 2048 bytes/);
  }
  const f = await WsClient.open(url, { cookie });
  const part = 'x'.repeat(60_000);
  f.ws.send(part, { fin: false });
  f.ws.send(part, { fin: true });
  t.equal((await f.closed).code, 1009, 'a fragmented message over the limit: 1009');
  const big = await WsClient.open(url, { cookie });
  big.send('x'.repeat(bound + 1));
  t.equal((await big.closed).code, 1006, 'over the bound: dropped without a close frame, as documented');
  // The proxy is fine and counted the refused frames.
  const ok = await WsClient.open(url, { cookie });
  ok.send({ Action: 'Ping', ActionID: 'after-big' });
  t.equal((await ok.reply('after-big')).messages![0]!.Ping, 'Pong');
  ok.close();
});

t.test('upgrade refusals: bad parameters, a plain GET', async (t) => {
  const bad = new WsClient(`${url}?since=abc`);
  const status = await new Promise<number>((resolve) => bad.ws.once('unexpected-response', (_q, res) => resolve(res.statusCode!)));
  t.equal(status, 400);
  const plain = await fetch(`${ta.base}/ws`);
  t.equal(plain.status, 426);
});

t.test('login by bearer token; a wrong token is refused at the upgrade', async (t) => {
  const c = await WsClient.open(url, { authorization: `Bearer ${wallToken.token}` });
  c.send({ Action: 'Ping', ActionID: 'b' });
  t.equal((await c.reply('b')).messages![0]!.Ping, 'Pong');
  emit('SysB', 'system');
  emit('CallB', 'call');
  await c.event('CallB');
  t.notOk(c.events.some((e) => e.event.Event === 'SysB'), "the token's user's read classes apply");
  c.close();
  const bad = new WsClient(url, { authorization: 'Bearer not-a-token' });
  const status = await new Promise<number>((resolve) => bad.ws.once('unexpected-response', (_q, res) => resolve(res.statusCode!)));
  t.equal(status, 401);
});
