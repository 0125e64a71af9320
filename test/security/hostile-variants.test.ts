// Hostile spellings the endpoint tables in normalize.test.ts leave out (issue 7 §1): the same tricks
// over /ws frames (leading blanks, keys differing only by case in one JSON object, an array whose
// first Action is blank, lookalike letters), a POST body beside a query string, and the actions the
// proxy must answer itself (Events, Filter, Logoff) whatever their spelling. Each case asserts on
// what the simulator RECEIVED.
import t from 'tap';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import { USERS_WITH_CALLER, receivedUpstream } from '../helpers/upstream.ts';
import type { TestApp } from '../helpers/app.ts';
import { WsClient } from '../helpers/push.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';

let ta: TestApp;
let url: string;
t.before(async () => {
  ta = await startTestApp({ users: USERS_WITH_CALLER, general: 'authlimit = 100000' });
  url = `ws://127.0.0.1:${ta.port}/ws`;
});
t.teardown(() => ta.close());

/** What the simulator received since `clear()`. */
const received = (): AmiMessage[] => receivedUpstream(ta);
const clear = (): void => ta.app.sim!.clearReceived();

async function ws(user: string, secret: string): Promise<WsClient> {
  const c = new AjamClient(ta.base);
  const r = await c.login(user, secret);
  if (!r.body.includes('Authentication accepted')) throw new Error(`login ${user}: ${r.body}`);
  return WsClient.open(url, { cookie: c.cookie! });
}

let n = 0;
/** Sends one frame and waits for its reply's first message. */
async function send(c: WsClient, frame: Record<string, unknown>): Promise<Record<string, string | string[]>> {
  const id = `h${++n}`;
  c.send({ ...frame, ActionID: id });
  const r = await c.reply(id);
  if (r.messages === undefined) throw new Error(`no messages in ${JSON.stringify(r)}`);
  return r.messages[0]!;
}

t.test('/ws: the wallboard gets nothing forbidden through, however the frame is spelled', async (t) => {
  const c = await ws('wallboard', 'wallpw');
  const frames: Array<[string, Record<string, unknown>]> = [
    ['leading blank', { Action: ' Originate', Channel: 'Local/1@x', Application: 'System', Data: 'id' }],
    ['tab and case', { action: '\tcOmMaNd', Command: 'core show version' }],
    ['blank first in an array', { Action: ['', ' ', 'DBPut'], Family: 'a', Key: 'b', Val: 'c' }],
    ['Getvar SHELL behind a blank', { Action: 'Getvar', Variable: ' SHELL(id)' }],
    ['Setvar', { Action: 'Setvar', Variable: 'FILE(/tmp/x)', Value: 'y' }],
    ['Status SHELL in Variables', { Action: 'Status', Variables: 'SHELL(id)' }],
    ['UserEvent', { Action: '+UserEvent'.replace('+', ' '), UserEvent: 'Boom' }],
  ];
  for (const [name, frame] of frames) {
    clear();
    const m = await send(c, frame);
    t.equal(m.Response, 'Error', `${name}: refused`);
    t.match(m.Message as string, /Permission denied|Access Forbidden|Invalid\/unknown command/, `${name}: Asterisk's text`);
    t.same(received().map((r) => r.toObject()), [], `${name}: nothing reached the simulator`);
  }
  c.close();
  await c.closed;
});

t.test('/ws: keys differing only by case in one object: the first one is what runs and what is sent', async (t) => {
  const c = await ws('caller', 'callerpw');
  clear();
  // JSON keeps both keys; Asterisk reads the first match, so does the proxy, and only that goes up.
  const m = await send(c, {
    Action: 'Originate',
    Channel: 'Local/100@test',
    Async: 'true',
    Application: 'Playback',
    APPLICATION: 'System',
    Data: 'hello',
    DATA: 'id',
    'X-Mark': '1',
  });
  t.equal(m.Response, 'Success', 'the first Application is harmless: queued');
  const got = received().filter((r) => r.get('Action') === 'Originate');
  t.equal(got.length, 1);
  t.same(got[0]!.getAll('Application'), ['Playback'], 'only the checked Application went upstream');
  t.same(got[0]!.getAll('Data'), ['hello'], 'only the checked Data went upstream');

  clear();
  const d = await send(c, { action: 'Originate', ACTION: 'Ping', Channel: 'Local/1@x', Application: 'System', Data: 'id' });
  t.match(d.Message as string, /Originate Access Forbidden/, 'action/ACTION: the first names the action, its guard rail runs');
  t.same(received().map((r) => r.toObject()), [], 'nothing upstream');
  c.close();
  await c.closed;
});

t.test('lookalike letters never become an Action or a guarded parameter upstream', async (t) => {
  const c = await ws('caller', 'callerpw');
  clear();
  // Cyrillic А (U+0410) and a Kelvin sign K (U+212A, which lower-cases to ASCII k in JavaScript).
  const m = await send(c, { Action: 'Ping', '\u0410ction': 'Originate', 'X-Mark': '1' });
  t.equal(m.Response, 'Success', 'the real Action (Ping) ran');
  const got = received();
  t.equal(got.length, 1);
  t.same(got[0]!.getAll('Action'), ['Ping'], 'one Action line upstream, the checked one');
  t.equal(got[0]!.raw.includes(Buffer.from('\u0410ction: Originate', 'utf8')), true, 'the lookalike travels as UTF-8 bytes Asterisk never matches');

  clear();
  const k = await send(c, { Action: 'BridgeKic\u212A', 'X-Mark': '1' });
  t.equal(k.Response, 'Error', 'a name with a Kelvin sign is not BridgeKick');
  t.same(received().map((r) => r.toObject()), [], 'and is not forwarded');
  c.close();
  await c.closed;
});

t.test('POST: the body is the request, a query string beside it is not read (as Asterisk)', async (t) => {
  const wall = new AjamClient(ta.base);
  await wall.login('wallboard', 'wallpw');
  clear();
  const r = await wall.post('/rawman?action=Originate&Channel=Local/1@x&Application=System&Data=id', 'action=Ping&X-Mark=1');
  t.match(r.body, /Pong/, 'the body ran');
  const got = received();
  t.equal(got.length, 1);
  t.same(got[0]!.getAll('Action'), ['Ping']);
  t.notOk(got[0]!.has('Application'), 'nothing of the query string went upstream');
});

t.test('session-local actions are answered by the proxy and never forwarded, whatever the spelling', async (t) => {
  const admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw');
  const local = [
    ' Events&EventMask=off',
    '%09eVeNtS&EventMask=on',
    'Filter&Operation=Add&Filter=Event: Newchannel',
    '+fIlTeR&Operation=Add&Filter=!Event: Hangup',
    'WaitEvent&Timeout=0',
  ];
  for (const q of local) {
    clear();
    const r = await admin.get(`/rawman?action=${q.replace(/ /g, '%20')}`);
    t.match(r.body, /^Response: Success/, `${q}: answered`);
    t.same(received().map((m) => m.toObject()), [], `${q}: nothing reached the shared AMI connection`);
  }
  clear();
  const bye = await admin.get('/rawman?action=%20LOGOFF');
  t.match(bye.body, /Goodbye/, 'Logoff answered');
  t.same(received().map((m) => m.toObject()), [], 'Logoff never reaches the shared AMI login');
});

t.test('/ws: a page of another site (Origin) does not ride on the cookie; the same host does', async (t) => {
  const admin = new AjamClient(ta.base);
  await admin.login('admin', 'adminpw');
  const cookie = admin.cookie!;
  for (const origin of ['http://evil.example', 'null', `http://127.0.0.1.evil.example:${ta.port}`]) {
    clear();
    const c = await WsClient.open(url, { cookie, Origin: origin });
    c.send({ Action: 'UserEvent', UserEvent: 'ForgedWs', ActionID: 'f' });
    t.equal((await c.closed).code, 1008, `Origin ${origin}: not logged in, the first frame must be a Login`);
    t.same(received().map((m) => m.toObject()), [], `Origin ${origin}: nothing reached the simulator`);
  }
  for (const origin of [`http://127.0.0.1:${ta.port}`, 'https://127.0.0.1', '']) {
    const c = await WsClient.open(url, origin === '' ? { cookie } : { cookie, Origin: origin });
    const m = await send(c, { Action: 'Ping' });
    t.equal(m.Ping, 'Pong', `Origin ${origin === '' ? '(none: not a browser)' : origin}: the cookie's session`);
    c.close();
    await c.closed;
  }
});
