// A users reload (SIGHUP) that removes a user, or revokes the token a push client authenticated
// with, ends that user's open WebSockets and SSE streams: a revoked credential never keeps receiving
// events or running actions (README "Signals": sessions of a removed or changed user are ended).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, AjamClient } from '../helpers/app.ts';
import { WsClient, SseClient } from '../helpers/push.ts';
import { newToken } from '../../lib/auth/tokens.ts';
import { until, untilValue } from '../helpers/until.ts';

const tok = newToken();
const other = newToken();
const section = (lines: string): string => `[general]\nallowmultiplelogin = yes\n\n[script]\nsecret = s3cret\nread = all\nwrite = all\n${lines}\n`;

t.test('a revoked token and a removed user end their open WebSockets and SSE streams', async (t) => {
  const ta = await startTestApp({ users: section(tok.line), general: 'authlimit = 100000' });
  t.teardown(() => ta.close());
  const wsUrl = `ws://127.0.0.1:${ta.port}/ws`;
  const auth = { Authorization: `Bearer ${tok.token}` };
  const ws = await WsClient.open(wsUrl, auth);
  const sse = new SseClient(ta.port, '/events', auth);
  t.teardown(() => sse.socket.destroy());
  await sse.ready();
  t.equal(sse.status, 200);
  // The token line is replaced (the secret and classes stay): what it opened must end.
  writeFileSync(join(ta.dir, 'users.conf'), section(other.line));
  t.ok(ta.app.reloadUsers().ok);
  const closed = await untilValue(() => ws.closeInfo, 'the bearer WebSocket to close');
  t.equal(closed.code, 1008, 'the WebSocket is closed (policy)');
  await untilValue(() => (sse.ended ? true : undefined), 'the SSE stream to end');

  // A reload that leaves the user as it was leaves its sockets open.
  const kept = await WsClient.open(wsUrl, { Authorization: `Bearer ${other.token}` });
  writeFileSync(join(ta.dir, 'users.conf'), section(other.line));
  t.ok(ta.app.reloadUsers().ok);
  kept.send({ Action: 'Ping', ActionID: 'still-here' });
  t.match((await kept.reply('still-here')).messages?.[0], { Response: 'Success' }, 'an unchanged user keeps its WebSocket');
  // A cookie login's WebSocket ends when its user is removed.
  const c = new AjamClient(ta.base);
  await c.login('script', 's3cret');
  const ws2 = await WsClient.open(wsUrl, { Cookie: c.cookie! });
  writeFileSync(join(ta.dir, 'users.conf'), '[general]\n\n[someone]\nsecret = x\nread = all\nwrite = all\n');
  t.ok(ta.app.reloadUsers().ok);
  t.equal((await untilValue(() => ws2.closeInfo, 'the cookie WebSocket to close')).code, 1008, 'the cookie WebSocket of a removed user is closed');
  t.equal((await untilValue(() => kept.closeInfo, 'the bearer WebSocket to close')).code, 1008, 'and its bearer WebSocket');
});

t.test('a revoked token ends its parked WaitEvent: no event after the reload reaches it', async (t) => {
  const viewer = `[viewer]\nsecret = v1ewer\nread = all\nwrite = all\n${other.line}\n`;
  const ta = await startTestApp({ users: section(tok.line) + viewer, general: 'authlimit = 100000\nhttptimeout = 60' });
  t.teardown(() => ta.close());
  const auth = { Authorization: `Bearer ${tok.token}` };
  const waiting = ta.app.events.waiterCount;
  const kept = fetch(`${ta.base}/rawman?action=WaitEvent&Timeout=30`, { headers: { Authorization: `Bearer ${other.token}` } });
  const parked = fetch(`${ta.base}/rawman?action=WaitEvent&Timeout=30`, { headers: auth });
  await until(() => ta.app.events.waiterCount === waiting + 2, 'both WaitEvents to be parked');
  // script's token line is replaced; viewer is unchanged.
  writeFileSync(join(ta.dir, 'users.conf'), section(newToken().line) + viewer);
  t.ok(ta.app.reloadUsers().ok);
  ta.app.sim!.emitEvent([['Event', 'AfterRevoke']], 'call,all');
  const revoked = await (await parked).text();
  t.match(revoked, /Response: Success/, 'the parked WaitEvent answered');
  t.notMatch(revoked, /AfterRevoke/, 'without the event that came after its token was revoked');
  const still = await (await kept).text();
  t.match(still, /Event: AfterRevoke/, "a WaitEvent of an unchanged user's token gets it");
  const again = await fetch(`${ta.base}/rawman?action=Ping`, { headers: auth });
  t.equal(again.status, 401, 'and the revoked token is refused from then on');
});
