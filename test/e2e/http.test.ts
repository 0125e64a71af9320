// The HTTP surface through the whole stack: limits and their pages, parameters as the simulator
// receives them, POST rules, HEAD, and CR/LF/NUL injection never reaching Asterisk.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { RawClient, get, header, post, rawRequest } from '../helpers/http.ts';
import { AjamClient, messages, field, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { withoutProbes } from '../helpers/probes.ts';

const SERVER = 'Asterisk/22.10.1';
const EXAMPLES = new URL('../fixtures/spec-examples/', import.meta.url);

function page(code: number, title: string, text: string): string {
  return (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n' +
    `<title>${code} ${title}</title>\r\n</head><body>\r\n<h1>${title}</h1>\r\n<p>${text}</p>\r\n<hr />\r\n` +
    `<address>${SERVER}</address>\r\n</body></html>\r\n`
  );
}

let ta: TestApp;
let admin: AjamClient;
t.before(async () => {
  ta = await startTestApp();
  admin = new AjamClient(ta.base);
  await admin.login();
});
t.teardown(() => ta.close());

t.test('413 page as spec example post_413', async (t) => {
  const example = readFileSync(new URL('post_413.txt', EXAMPLES), 'latin1').replace(/\\r\\n\n/g, '\r\n');
  const body = example.slice(example.indexOf('<!DOCTYPE')).replace('Asterisk/22.5.2', SERVER);
  const c = new RawClient(ta.port);
  const r = await c.request(post('/rawman', 'action=ping&x=' + 'a'.repeat(41000)));
  t.equal(r.statusLine, 'HTTP/1.1 413 Request Entity Too Large');
  t.equal(header(r, 'Connection'), 'close');
  t.equal(r.body.toString(), body);
  await c.waitClosed();
});

t.test('400 pages', async (t) => {
  const long = await rawRequest(ta.port, get('/rawman?action=ping&x=' + 'a'.repeat(4096)));
  t.equal(long.statusLine, 'HTTP/1.1 400 Bad Request');
  t.equal(long.body.toString(), page(400, 'Bad Request', 'Request line too long'));
  const many = await rawRequest(ta.port, get('/rawman?action=ping' + '&v=1'.repeat(128)));
  t.equal(many.statusLine, 'HTTP/1.1 400 Bad Request');
  t.equal(many.body.toString(), page(400, 'Bad Request', 'Too many parameters'));
});

t.test('501 and 404 pages', async (t) => {
  for (const m of ['DELETE', 'OPTIONS', 'PATCH']) {
    const r = await rawRequest(ta.port, `${m} /rawman HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal(r.statusLine, 'HTTP/1.1 501 Not Implemented');
    t.equal(r.body.toString(), page(501, 'Not Implemented', 'Attempt to use unimplemented / unsupported method'));
  }
  const r = await rawRequest(ta.port, get('/rawman/x?action=ping'));
  t.equal(r.body.toString(), page(404, 'Not Found', 'The requested URL was not found on this server.'));
});

t.test('parameters reach Asterisk decoded, in order, duplicates kept', async (t) => {
  ta.app.sim!.clearReceived();
  const r = await admin.get(
    '/rawman?action=UserEvent&UserEvent=Demo&ActionID=u1&Note=hello+world%21&Variable=a%3D1&Variable=b=2&Empty&Euro=%E2%82%AC',
  );
  t.equal(r.status, 200);
  t.match(r.body, /^Response: Success\r\nActionID: u1\r\n/);
  const got = ta.app.sim!.received.find((m) => m.get('Action') === 'UserEvent')!;
  t.ok(got, 'the simulator received it');
  t.same(got.getAll('Variable'), ['a=1', 'b=2']);
  t.equal(got.get('Note'), 'hello world!');
  t.equal(got.get('Empty'), '');
  t.equal(got.get('Euro'), '€');
  t.not(got.get('ActionID'), 'u1', "the simulator sees the proxy's ActionID, not the client's");
  // Names keep their case (Action is written from the normalized name); the pool inserts its own ActionID.
  const keys = [...got].map(([k]) => k);
  t.same(keys.filter((k) => k !== 'ActionID'), ['Action', 'UserEvent', 'Note', 'Variable', 'Variable', 'Empty', 'Euro']);
});

t.test('Action is the first non-empty one', async (t) => {
  const r = await admin.get('/rawman?action=&action=Ping&ActionID=p');
  // Asterisk reads the first non-empty Action header (GET_HEADER_SKIP_EMPTY).
  t.match(r.body, /^Response: Success\r\nActionID: p\r\nPing: Pong\r\n/);
});

t.test('POST', async (t) => {
  const form = await admin.post('/rawman?action=Logoff', 'action=Ping&ActionID=f1');
  t.match(form.body, /^Response: Success\r\nActionID: f1\r\nPing: Pong\r\n/, 'body used, query ignored');
  const wrong = await admin.post('/rawman?action=Ping', 'action=Ping', 'text/plain');
  t.equal(wrong.status, 200);
  t.equal(wrong.body, 'Response: Error\r\nMessage: Missing action in request\r\n\r\n');
  const json = await admin.post('/rawman', '{"action":"Ping"}', 'application/json');
  t.equal(json.body, 'Response: Error\r\nMessage: Missing action in request\r\n\r\n');
  const empty = await admin.post('/rawman?action=Ping', '');
  t.equal(empty.body, 'Response: Error\r\nMessage: Missing action in request\r\n\r\n');
  const ping = await admin.get('/rawman?action=ping');
  t.match(ping.body, /^Response: Success/, 'still logged in (the query Logoff was ignored)');
});

t.test('HEAD runs the action, no body, full Content-Length', async (t) => {
  ta.app.sim!.clearReceived();
  const full = await admin.get('/rawman?action=UserEvent&UserEvent=Get');
  const c = new RawClient(ta.port);
  t.teardown(() => c.close());
  const r = await c.request(`HEAD /rawman?action=UserEvent&UserEvent=Head HTTP/1.1\r\nHost: x\r\nCookie: ${admin.cookie}\r\n\r\n`, true);
  t.equal(r.status, 200);
  t.equal(r.body.length, 0);
  t.equal(header(r, 'Content-Length'), String(Buffer.byteLength(full.body)));
  t.ok(ta.app.sim!.received.some((m) => m.get('UserEvent') === 'Head'), 'the action ran');
  const next = await c.request(get('/rawman?action=ping', `Cookie: ${admin.cookie}\r\n`));
  t.equal(next.status, 200, 'connection still usable');
});

t.test('CR, LF and NUL never reach Asterisk', async (t) => {
  const sim = ta.app.sim!;
  sim.clearReceived();
  const attempts: Array<[string, string]> = [
    ['/rawman?action=Ping&ActionID=x%0D%0AAction: Originate', 'ActionID'],
    ['/rawman?action=UserEvent&UserEvent=a%0D%0A%0D%0AAction: Command%0D%0ACommand: core stop now', 'UserEvent'],
    ['/rawman?action=UserEvent&UserEvent=a&X%0AInjected=1', 'X\\nInjected'],
    ['/rawman?action=UserEvent&UserEvent=a%0Ab', 'UserEvent'],
    ['/rawman?action=UserEvent&UserEvent=a%0Db', 'UserEvent'],
    ['/rawman?action=UserEvent&UserEvent=a%00b', 'UserEvent'],
    ['/rawman?action=Ping%0D%0AAction: Originate', 'action'],
    ['/mxml?action=Command&Command=core+show+uptime%0D%0A%0D%0AAction: Logoff', 'Command'],
  ];
  for (const [path, name] of attempts) {
    const r = await admin.get(path);
    t.equal(r.status, 200, path);
    if (path.startsWith('/mxml')) {
      t.match(r.body, `message='Invalid character in parameter ${name}'`);
    } else {
      const [msg] = messages(r.body);
      t.equal(field(msg!, 'Response'), 'Error', path);
      t.equal(field(msg!, 'Message'), `Invalid character in parameter ${name}`, path);
    }
  }
  // POST bodies too
  const p = await admin.post('/rawman', 'action=UserEvent&UserEvent=x%0d%0aAction%3a+Originate');
  t.match(p.body, 'Invalid character in parameter UserEvent');
  t.equal(withoutProbes(sim.received).length, 0, 'the simulator received no action at all');
  const bytes = sim.receivedBytes().toString('latin1');
  t.notMatch(bytes, 'Originate');
  t.notMatch(bytes, 'Injected');
  t.notMatch(bytes, 'core stop');
  // and the shared connection still works
  const ok = await admin.get('/rawman?action=Ping&ActionID=after');
  t.match(ok.body, /^Response: Success\r\nActionID: after\r\n/);
});
