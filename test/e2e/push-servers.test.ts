// Push clients with several Asterisk servers: a user limited by `servers = west` gets only west's
// events on /ws and /events (views keep the limit), everyone sees the `Server` field.
import t from 'tap';
import { AjamClient, type TestApp } from '../helpers/app.ts';
import { startTwoServerApp } from '../helpers/two-servers.ts';
import { CALL } from '../../lib/sim/perms.ts';
import type { AmiSimulator } from '../../lib/sim/index.ts';
import { SseClient, WsClient } from '../helpers/push.ts';

let ta: TestApp;
let east: AmiSimulator;
let west: AmiSimulator;
t.before(async () => {
  ({ ta, east, west } = await startTwoServerApp());
});
t.teardown(() => ta.close());

async function cookieOf(user: string, secret: string): Promise<string> {
  const c = new AjamClient(ta.base);
  await c.login(user, secret);
  return c.cookie!;
}

t.test('servers = west on /ws and /events: only west events; admin sees both with Server', async (t) => {
  const url = `ws://127.0.0.1:${ta.port}/ws`;
  const admin = await WsClient.open(url, { cookie: await cookieOf('admin', 'adminpw') });
  const limited = await WsClient.open(url, { cookie: await cookieOf('westonly', 'westpw') });
  const sse = new SseClient(ta.port, '/events', { Cookie: await cookieOf('westonly', 'westpw') });
  await sse.ready();
  east.emitEvent([['Event', 'PushMark'], ['N', 'e']], CALL);
  west.emitEvent([['Event', 'PushMark'], ['N', 'w']], CALL);
  east.emitEvent([['Event', 'PushEnd']], CALL);
  west.emitEvent([['Event', 'PushEnd']], CALL);
  await admin.frame(() => admin.events.filter((e) => e.event.Event === 'PushEnd').length === 2, 'both ends');
  await limited.event('PushEnd');
  await sse.record((r) => r.event === 'PushEnd', 'the SSE end');
  const marks = (c: WsClient): Array<[unknown, unknown]> =>
    c.events.filter((e) => e.event.Event === 'PushMark').map((e) => [e.event.N, e.event.Server]);
  t.same(marks(admin).sort(), [['e', 'east'], ['w', 'west']]);
  t.same(marks(limited), [['w', 'west']], 'the limited user: west only');
  t.same(
    sse.all().filter((r) => r.event === 'PushMark').map((r) => (JSON.parse(r.data) as { N: string }).N),
    ['w'],
  );
  admin.close();
  limited.close();
  sse.close();
});
