// /json, /events and /ws on whichever HTTP layer is in use: test/http/uws-compat.test.ts runs this
// file again with the node:http compatibility layer forced (UWS_USE_FALLBACK=1), where /ws must be
// refused clearly (501 with the reason) while /json and SSE work.
import t from 'tap';
import WebSocket from 'ws';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { SseClient } from '../helpers/push.ts';

const FALLBACK = process.env.UWS_USE_FALLBACK === '1';

let ta: TestApp;
let cookie: string;
t.before(async () => {
  ta = await startTestApp();
  const c = new AjamClient(ta.base);
  await c.login();
  cookie = c.cookie!;
});
t.teardown(() => ta.close());

t.test('/json', async (t) => {
  const r = await fetch(`${ta.base}/json?action=Ping&ActionID=c1`, { headers: { cookie } });
  t.equal(r.headers.get('content-type'), 'application/json');
  const body = (await r.json()) as Array<Record<string, string>>;
  t.equal(body[0]!.Ping, 'Pong');
  t.equal(body[0]!.ActionID, 'c1');
});

t.test('/events streams records', async (t) => {
  const s = new SseClient(ta.port, '/events', { Cookie: cookie });
  await s.ready();
  t.equal(s.status, 200);
  t.equal(s.header('content-type'), 'text/event-stream');
  ta.app.sim!.emitEvent([['Event', 'CompatEv']], 'call');
  const r = await s.record((x) => x.event === 'CompatEv', 'the record');
  t.same(JSON.parse(r.data), { Event: 'CompatEv', Privilege: 'call,all' });
  s.close();
});

t.test(FALLBACK ? '/ws is refused with the reason (no native uWS)' : '/ws upgrades (native uWS)', async (t) => {
  const ws = new WebSocket(`ws://127.0.0.1:${ta.port}/ws`, { headers: { cookie } });
  const outcome = await new Promise<{ open: boolean; status?: number; body?: string }>((resolve) => {
    ws.once('open', () => resolve({ open: true }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ open: false, status: res.statusCode, body }));
    });
    ws.once('error', () => undefined);
  });
  if (FALLBACK) {
    t.equal(outcome.status, 501);
    t.match(outcome.body, /native uWebSockets\.js/);
  } else {
    t.ok(outcome.open);
    ws.close();
  }
});
