import t from 'tap';
import { parseFilter } from '../../lib/auth/filter.ts';
import { parseCInt } from '../../lib/session/waitevent.ts';
import { event, rig, type Rig } from '../helpers/session.ts';

const HEAD = 'Response: Success\r\nMessage: Waiting for Event completed.\r\n\r\n';
const TAIL = 'Event: WaitEventComplete\r\n\r\n';
const headId = (id: string): string => `Response: Success\r\nActionID: ${id}\r\nMessage: Waiting for Event completed.\r\n\r\n`;
const tailId = (id: string): string => `Event: WaitEventComplete\r\nActionID: ${id}\r\n\r\n`;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const hangup = event('Hangup', 'call,all', [['Channel', 'PJSIP/alice-00000001'], ['Cause', '16']]);
const newstate = event('Newstate', 'call,all', [['Channel', 'PJSIP/alice-00000001']]);
const newexten = event('Newexten', 'dialplan,all', [['Channel', 'Local/100@test-00000003;1']]);
const peer = event('PeerStatus', 'system,all', [['Peer', 'PJSIP/bob']]);
const agentCall = event('AgentCalled', 'agent,call,all', [['Queue', 'q1']]);
const str = (b: { raw: Buffer }): string => b.raw.toString();

/** Resolves true if the promise settles within a few event-loop turns (did not park). */
async function settledSoon(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5 && !done; i++) await turn();
  return done;
}

/** Starts a WaitEvent and returns (its reply promise, boxed) once it is parked on the log. */
async function parked(r: Rig, sid: string, params: [string, string][] = []): Promise<{ reply: ReturnType<Rig['request']> }> {
  const session = r.store.find(sid)!;
  const before = session.wait;
  const reply = r.request(sid, [['Action', 'WaitEvent'], ...params]);
  while (session.wait === before || session.wait === null) await turn();
  return { reply };
}

t.test('Timeout=0 polls: captures http_07b / http_25b layout', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login('wallboard', 'wb');
  t.equal((await r.request(sid, [['Action', 'WaitEvent'], ['Timeout', '0']])).text, HEAD + TAIL);
  const withId = await r.request(sid, [['Action', 'WaitEvent'], ['ActionID', 'we2'], ['Timeout', '0']]);
  t.equal(withId.text, headId('we2') + tailId('we2'));
});

t.test('pending events return at once, in order; committed ones are not sent again', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login('wallboard', 'wb');
  r.log.append(newstate);
  r.log.append(hangup);
  const p = r.request(sid, [['Action', 'WaitEvent'], ['ActionID', 'w1']]);
  t.ok(await settledSoon(p), 'no wait');
  t.equal((await p).text, headId('w1') + str(newstate) + str(hangup) + tailId('w1'), 'examples/waitevent.rawman layout');
  t.equal((await r.request(sid, [['Action', 'WaitEvent'], ['Timeout', '0']])).text, HEAD + TAIL);
});

t.test('a parked WaitEvent returns with the events of the next turn, all at once', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sids = [await r.login(), await r.login('wallboard', 'wb'), await r.login('wallboard', 'wb')];
  const waits = [];
  for (const sid of sids) waits.push(await parked(r, sid, [['Timeout', '30']]));
  const burst = [];
  for (let i = 0; i < 50; i++) burst.push(event('Newstate', 'call,all', [['N', String(i)]]));
  for (const e of burst) r.log.append(e);
  const expected = HEAD + burst.map(str).join('') + TAIL;
  for (const w of waits) t.equal((await w.reply).text, expected, 'one reply carrying the whole batch');
  t.equal(r.log.waiterCount, 0);
});

t.test('timeout with nothing for the session: Response + WaitEventComplete only', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login('wallboard', 'wb');
  const p = (await parked(r, sid, [['Timeout', '1'], ['ActionID', 'to']])).reply;
  r.log.append(newexten); // dialplan: not for the wallboard, must not end the wait
  r.log.append(peer); // system: idem
  t.equal((await p).text, headId('to') + tailId('to'));
});

t.test('visibility: all of the event classes must be readable, the mask applies', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const wb = await r.login('wallboard', 'wb'); // read call,agent,reporting
  const admin = await r.login();
  for (const e of [newexten, peer, newstate, agentCall, event('Cdr', 'cdr,all'), event('X', 'call,system,all')]) r.log.append(e);
  const wbText = (await r.request(wb, [['Action', 'WaitEvent'], ['Timeout', '0']])).text;
  t.equal(wbText, HEAD + str(newstate) + str(agentCall) + TAIL, 'never a dialplan- or system-class event');
  const adminText = (await r.request(admin, [['Action', 'WaitEvent'], ['Timeout', '0']])).text;
  t.match(adminText, /Event: Newexten/);
  t.match(adminText, /Event: PeerStatus/);

  await r.request(wb, [['Action', 'Events'], ['EventMask', 'agent']]);
  r.log.append(newstate);
  r.log.append(agentCall);
  r.log.append(event('AgentLogin', 'agent,all'));
  const masked = (await r.request(wb, [['Action', 'WaitEvent'], ['Timeout', '0']])).text;
  t.equal(masked, HEAD + str(event('AgentLogin', 'agent,all')) + TAIL, 'mask agent: not call, not agent+call');
});

t.test('eventfilters of the user and Filter rules of the session', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  r.users.set('filtered', {
    ...r.users.get('admin')!,
    name: 'filtered',
    secret: 'f',
    eventFilters: [parseFilter('eventfilter', '!Event: Newexten')],
  });
  const f = await r.login('filtered', 'f');
  const a = await r.login();
  await r.request(a, [['Action', 'Filter'], ['Operation', 'Add'], ['Filter', 'Event: Hangup']]);
  r.log.append(newstate);
  r.log.append(newexten);
  r.log.append(hangup);
  t.equal((await r.request(f, [['Action', 'WaitEvent'], ['Timeout', '0']])).text, HEAD + str(newstate) + str(hangup) + TAIL, 'exclude');
  t.equal((await r.request(a, [['Action', 'WaitEvent'], ['Timeout', '0']])).text, HEAD + str(hangup) + TAIL, 'include only');
  await r.request(f, [['Action', 'Filter'], ['Operation', 'Add'], ['Filter', 'Channel: PJSIP/']]);
  r.log.append(newstate);
  r.log.append(event('Newchannel', 'call,all', [['Channel', 'Local/1@x']]));
  t.equal((await r.request(f, [['Action', 'WaitEvent'], ['Timeout', '0']])).text, HEAD + str(newstate) + TAIL, 'include and exclude');
});

t.test('a second WaitEvent supersedes the first: empty output, events left for the newcomer', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  const first = await parked(r, sid, [['ActionID', 'w1'], ['Timeout', '30']]);
  const second = parked(r, sid, [['ActionID', 'w2'], ['Timeout', '30']]);
  const res1 = await first.reply;
  t.equal(res1.text, '', 'examples/waitevent_superseded: no bytes at all');
  const w2 = await second;
  r.log.append(hangup);
  t.equal((await w2.reply).text, headId('w2') + str(hangup) + tailId('w2'));
});

t.test('superseded: the newcomer gets the events', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  const first = await parked(r, sid, [['Timeout', '30']]);
  r.log.append(hangup);
  // In the same turn, before the log wakes the first, a second WaitEvent arrives.
  const second = r.request(sid, [['Action', 'WaitEvent'], ['Timeout', '30']]);
  t.equal((await first.reply).text, '');
  t.equal((await second).text, HEAD + str(hangup) + TAIL);
});

t.test('a client that goes away mid-reply loses nothing: no commit, same events next time', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  const session = r.store.open(sid, '127.0.0.1');
  const pending = r.dispatcher.handle(session, [['Action', 'WaitEvent'], ['Timeout', '30']], '127.0.0.1');
  while (r.log.waiterCount === 0) await turn();
  r.log.append(newstate);
  const res = await pending;
  r.store.release(session); // the write failed: commit() is not called
  t.equal(Buffer.concat(res.output).toString(), HEAD + str(newstate) + TAIL);
  r.log.append(hangup);
  t.equal((await r.request(sid, [['Action', 'WaitEvent']])).text, HEAD + str(newstate) + str(hangup) + TAIL);
  t.equal((await r.request(sid, [['Action', 'WaitEvent'], ['Timeout', '0']])).text, HEAD + TAIL);
});

t.test('falling out of the ring: one EventsLost first, then the events kept', async (t) => {
  const r = rig({ capacity: 4 });
  t.teardown(() => r.close());
  const sid = await r.login('wallboard', 'wb');
  const evs = [];
  for (let i = 1; i <= 7; i++) evs.push(event('Newstate', 'call,all', [['N', String(i)]]));
  for (const e of evs) r.log.append(e);
  const text = (await r.request(sid, [['Action', 'WaitEvent'], ['ActionID', 'l']])).text;
  t.equal(text, headId('l') + 'Event: EventsLost\r\nCount: 3\r\n\r\n' + evs.slice(3).map(str).join('') + tailId('l'));
  t.equal((await r.request(sid, [['Action', 'WaitEvent'], ['Timeout', '0']])).text, HEAD + TAIL, 'told once');
});

t.test('Timeout cap: remaining life minus 10 s, floored at 0', async (t) => {
  const short = rig({ httptimeout: 10 });
  t.teardown(() => short.close());
  const sid = await short.login();
  const p = short.request(sid, [['Action', 'WaitEvent'], ['Timeout', '30']]);
  t.ok(await settledSoon(p), 'cap 0: a poll');
  t.equal((await p).text, HEAD + TAIL);
  t.ok(await settledSoon(short.request(sid, [['Action', 'WaitEvent']])), 'missing Timeout → the cap (0)');
  t.ok(await settledSoon(short.request(sid, [['Action', 'WaitEvent'], ['Timeout', '-5']])), 'below -1 → -1 → cap');

  const r = rig({ httptimeout: 40 });
  t.teardown(() => r.close());
  const sid2 = await r.login();
  const w = await parked(r, sid2); // no Timeout: waits up to the cap (about 30 s here)
  t.equal(r.store.find(sid2)!.wait !== null, true);
  r.log.append(hangup);
  t.equal((await w.reply).text, HEAD + str(hangup) + TAIL);
});

t.test('Events off does not stick for WaitEvent (Asterisk sets send_events back to readperm)', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login('wallboard', 'wb');
  await r.request(sid, [['Action', 'Events'], ['EventMask', 'off']]);
  r.log.append(newstate); // arrives while off: not kept
  const w = await parked(r, sid, [['Timeout', '30']]);
  t.equal(r.store.find(sid)!.eventMask, 2 | 32 | 512);
  r.log.append(hangup);
  t.equal((await w.reply).text, HEAD + str(hangup) + TAIL);
});

t.test('Logoff from another request ends a parked WaitEvent normally', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const sid = await r.login();
  const w = await parked(r, sid, [['Timeout', '30'], ['ActionID', 'z']]);
  const bye = await r.request(sid, [['Action', 'Logoff']]);
  t.ok(bye.destroyed);
  t.equal((await w.reply).text, headId('z') + tailId('z'));
  t.equal(r.log.waiterCount, 0);
});

t.test('closing the store ends parked waits', async (t) => {
  const r = rig();
  const sid = await r.login();
  const w = await parked(r, sid, [['Timeout', '30']]);
  r.close();
  t.equal((await w.reply).text, HEAD + TAIL);
});

t.test('parseCInt follows sscanf %i', async (t) => {
  t.equal(parseCInt('10'), 10);
  t.equal(parseCInt(' 7s'), 7);
  t.equal(parseCInt('-1'), -1);
  t.equal(parseCInt('+3'), 3);
  t.equal(parseCInt('0x10'), 16);
  t.equal(parseCInt('010'), 8);
  t.equal(parseCInt('0'), 0);
  t.equal(parseCInt('0.5'), 0);
  t.equal(parseCInt('x'), undefined);
  t.equal(parseCInt(''), undefined);
  t.equal(parseCInt('99999999999'), 0x7fffffff);
});
