// Routing rules of the mux, fed message by message (no sockets here: the pool tests cover the wire).
import t from 'tap';
import { AmiMessage, parseOne } from '../../lib/ami/message.ts';
import { Mux, type Owner } from '../../lib/mux/mux.ts';
import { ErrorCodes } from '../../lib/errors.ts';

function setup(timeoutMs = 30000) {
  const events: AmiMessage[] = [];
  const mux = new Mux({ instanceId: 'test', timeoutMs, onEvent: (m) => events.push(m) });
  const a: Owner = { inflight: 0 };
  const b: Owner = { inflight: 0 };
  function send(owner: Owner, headers: [string, string][], timeout?: number) {
    const p = mux.prepare(headers, timeout);
    let result: AmiMessage[] | undefined;
    const done = new Promise<AmiMessage[]>((resolve) => mux.register(p, owner, (m) => resolve((result = m))));
    return { id: p.entry.id, key: p.entry.key, text: p.text, done, get result() { return result; } };
  }
  const msg = (s: string) => parseOne(Buffer.from(s.replace(/\n/g, '\r\n') + '\r\n'));
  return { mux, events, a, b, send, msg };
}

t.test('a response comes back with the caller id; without one the header is removed', async (t) => {
  const { mux, a, send, msg } = setup();
  const x = send(a, [['Action', 'Ping'], ['ActionID', 'mine']]);
  const y = send(a, [['Action', 'Ping']]);
  t.equal(a.inflight, 2);
  t.match(x.text, /^Action: Ping\r\nActionID: test-1\r\n\r\n$/);
  mux.route(a, msg(`Response: Success\nActionID: ${y.id}\nPing: Pong\n`), true);
  mux.route(a, msg(`Response: Success\nActionID: ${x.id}\nPing: Pong\n`), true);
  const [rx] = await x.done;
  const [ry] = await y.done;
  t.equal(rx!.raw.toString(), 'Response: Success\r\nActionID: mine\r\nPing: Pong\r\n\r\n');
  t.equal(ry!.raw.toString(), 'Response: Success\r\nPing: Pong\r\n\r\n');
  t.equal(mux.pending.size, 0);
  t.equal(a.inflight, 0);
});

t.test('EventList: items to the caller, untagged events to the stream', async (t) => {
  const { mux, events, a, send, msg } = setup();
  const s = send(a, [['Action', 'Status'], ['ActionID', 'st']]);
  mux.route(a, msg(`Response: Success\nActionID: ${s.id}\nEventList: start\nMessage: Channel status will follow\n`), true);
  mux.route(a, msg(`Event: Newexten\nChannel: X\n`), true);
  mux.route(a, msg(`Event: Status\nChannel: X\nActionID: ${s.id}\n`), true);
  t.equal(s.result, undefined, 'still open');
  mux.route(a, msg(`Event: StatusComplete\nActionID: ${s.id}\nEventList: Complete\nListItems: 1\n`), true);
  const r = await s.done;
  t.same(r.map((m) => m.event ?? m.response), ['Success', 'Status', 'StatusComplete']);
  t.same(r.map((m) => m.actionId), ['st', 'st', 'st']);
  t.same(events.map((e) => e.event), ['Newexten']);
  t.equal(mux.pending.size, 0);
});

t.test('"will follow" without EventList (older DBGet) ends at the *Complete event', async (t) => {
  const { mux, a, send, msg } = setup();
  const s = send(a, [['Action', 'DBGet'], ['Family', 'f'], ['Key', 'k']]);
  mux.route(a, msg(`Response: Success\nActionID: ${s.id}\nMessage: Result will follow\n`), false);
  mux.route(a, msg(`Event: DBGetResponse\nFamily: f\nKey: k\nVal: v\nActionID: ${s.id}\n`), false);
  mux.route(a, msg(`Event: DBGetComplete\nActionID: ${s.id}\n`), false);
  const r = await s.done;
  t.same(r.map((m) => m.event ?? m.response), ['Success', 'DBGetResponse', 'DBGetComplete']);
  t.equal(r[1]!.actionId, undefined, 'no caller id: header removed');
  t.equal(r[1]!.get('Val'), 'v');
});

t.test('an error response closes a list action at once', async (t) => {
  const { mux, a, send, msg } = setup();
  const s = send(a, [['Action', 'QueueStatus'], ['ActionID', 'q']]);
  mux.route(a, msg(`Response: Error\nActionID: ${s.id}\nMessage: Permission denied\n`), false);
  const r = await s.done;
  t.equal(r.length, 1);
  t.equal(r[0]!.get('Message'), 'Permission denied');
});

t.test('OriginateResponse on the events connection, before or after the Response, once', async (t) => {
  const { mux, events, a, b, send, msg } = setup();
  // Action on b (events off); the broadcast arrives on a (events on) before b's response.
  const o = send(b, [['Action', 'Originate'], ['ActionID', 'orig-1'], ['Channel', 'Local/100@test'], ['Async', 'true']]);
  t.equal(mux.echoes.size, 1);
  const ev = msg(`Event: OriginateResponse\nPrivilege: call,all\nActionID: ${o.id}\nResponse: Success\nChannel: Local/100@test-1;1\n`);
  mux.route(a, ev, true);
  mux.route(a, ev, true); // a second copy must not reach the stream twice
  mux.route(b, msg(`Response: Success\nActionID: ${o.id}\nMessage: Originate successfully queued\n`), false);
  const r = await o.done;
  t.equal(r.length, 1);
  t.equal(r[0]!.actionId, 'orig-1');
  t.equal(events.length, 1);
  t.equal(events[0]!.event, 'OriginateResponse');
  t.equal(events[0]!.actionId, 'orig-1');
  t.equal(events[0]!.get('Response'), 'Success');
  t.equal(mux.echoes.size, 0);
  t.equal(mux.stats.dropped, 1);

  // Same connection, after the response.
  const o2 = send(a, [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Async', 'yes']]);
  mux.route(a, msg(`Response: Success\nActionID: ${o2.id}\nMessage: Originate successfully queued\n`), true);
  await o2.done;
  mux.route(a, msg(`Event: OriginateResponse\nActionID: ${o2.id}\nResponse: Failure\n`), true);
  t.equal(events.length, 2);
  t.equal(events[1]!.actionId, undefined, 'caller gave no id');
  t.equal(mux.echoes.size, 0);
  t.equal(mux.pending.size, 0);
});

t.test('a refused Originate forgets its echo; a sync one gets a longer deadline and no echo', async (t) => {
  const { mux, a, send, msg } = setup(1000);
  const o = send(a, [['Action', 'Originate'], ['Async', '1']]);
  mux.route(a, msg(`Response: Error\nActionID: ${o.id}\nMessage: Originate failed\n`), true);
  await o.done;
  t.equal(mux.echoes.size, 0);
  const s = send(a, [['Action', 'Originate'], ['Timeout', '20000']]);
  t.equal(mux.echoes.size, 0);
  t.ok(mux.pending.get(s.key)!.deadline - Date.now() > 20000);
  mux.route(a, msg(`Response: Success\nActionID: ${s.id}\nMessage: Originate successfully queued\n`), true);
  await s.done;
});

t.test('UserEvent broadcast restored', async (t) => {
  const { mux, events, a, b, send, msg } = setup();
  const u = send(b, [['Action', 'UserEvent'], ['UserEvent', 'Hello'], ['ActionID', 'u1']]);
  mux.route(b, msg(`Response: Success\nActionID: ${u.id}\nMessage: Event Sent\n`), false);
  await u.done;
  mux.route(a, msg(`Event: UserEvent\nPrivilege: user,all\nUserEvent: Hello\nActionID: ${u.id}\n`), true);
  t.equal(events.length, 1);
  t.equal(events[0]!.actionId, 'u1');
  t.equal(mux.echoes.size, 0);
});

t.test('lost connection answers its actions at once; late items are dropped, not leaked', async (t) => {
  const { mux, events, a, b, send, msg } = setup();
  const l = send(a, [['Action', 'CoreShowChannels'], ['ActionID', 'c']]);
  const p = send(b, [['Action', 'Ping'], ['ActionID', 'p']]);
  mux.route(a, msg(`Response: Success\nActionID: ${l.id}\nEventList: start\n`), true);
  mux.failOwner(a, ErrorCodes.AMI_ERR_CONNECTION_LOST);
  const r = await l.done;
  t.equal(r.length, 1);
  t.equal(r[0]!.raw.toString(), 'Response: Error\r\nActionID: c\r\nMessage: AMI connection lost\r\n\r\n');
  t.equal(p.result, undefined, 'other connection untouched');
  mux.route(a, msg(`Event: CoreShowChannel\nActionID: ${l.id}\n`), true);
  mux.route(a, msg(`Response: Success\nActionID: test-999\n`), true);
  t.equal(events.length, 0);
  t.equal(mux.stats.dropped, 2);
  t.equal(a.inflight, 0);
  t.equal(b.inflight, 1);
  mux.failAll(ErrorCodes.AMI_ERR_CLOSED);
  t.equal((await p.done)[0]!.get('Message'), 'AMI connection closed');
  t.equal(mux.pending.size, 0);
});

t.test('timeout answers with an error and frees the entry', async (t) => {
  const { mux, a, send, msg } = setup(40);
  const x = send(a, [['Action', 'Ping'], ['ActionID', 'slow']]);
  const y = send(a, [['Action', 'Ping']], 10000);
  const r = await x.done;
  t.equal(r[0]!.response, 'Error');
  t.equal(r[0]!.actionId, 'slow');
  t.match(r[0]!.get('Message'), /timed out after 40 ms/);
  t.equal(mux.pending.size, 1, 'the long one is still waiting');
  t.equal(mux.stats.timeouts, 1);
  mux.route(a, msg(`Response: Success\nActionID: ${x.id}\n`), true);
  t.equal(mux.stats.dropped, 1, 'late answer dropped');
  mux.route(a, msg(`Response: Success\nActionID: ${y.id}\n`), true);
  await y.done;
  t.equal(mux.pending.size, 0);
  t.equal(a.inflight, 0);
});

t.test('events from other sources pass untouched; stray untagged responses are dropped', (t) => {
  const { mux, events, a, b, msg } = setup();
  mux.route(a, msg('Event: UserEvent\nActionID: someone-else\n'), true);
  mux.route(b, msg('Event: Newchannel\n'), false);
  mux.route(a, msg('Response: Success\nMessage: x\n'), true);
  t.equal(events.length, 1);
  t.equal(events[0]!.actionId, 'someone-else');
  t.equal(mux.stats.dropped, 2);
  t.end();
});
