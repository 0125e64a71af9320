// HTTP framing (issue 7 §2): two Content-Length headers (equal or not), or Content-Length beside
// Transfer-Encoding, get a 400 and a closed connection on every route, and nothing reaches the
// simulator; header floods and idle connections are bounded by the HTTP engine.
import t from 'tap';
import { connect } from 'node:net';
import { startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp();
});
t.teardown(() => ta.close());

/** Sends bytes, returns what came back and whether the server closed (bounded wait). */
function exchange(bytes: string, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(ta.port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ text, closed });
    };
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('close', () => finish(true));
    s.on('error', () => {});
    const timer = setTimeout(() => finish(false), waitMs);
    s.write(bytes);
  });
}

const FORM = 'Content-Type: application/x-www-form-urlencoded\r\n';
const SMUGGLED = 'GET /rawman?action=Login&username=admin&secret=adminpw HTTP/1.1\r\nHost: x\r\n\r\n';

t.test('two Content-Length headers: 400 and close, whatever the route, nothing forwarded', async (t) => {
  for (const path of ['/rawman', '/mxml', '/arawman', '/nowhere', '/static/x']) {
    for (const [a, b] of [['11', '5'], ['11', '11']]) {
      ta.app.sim!.clearReceived();
      const r = await exchange(`POST ${path} HTTP/1.1\r\nHost: x\r\n${FORM}Content-Length: ${a}\r\nContent-Length: ${b}\r\n\r\naction=Ping${SMUGGLED}`);
      // With a request pipelined behind, native uWS drops the connection instead of answering.
      t.match(r.text, /^(HTTP\/1\.1 400 Bad Request\r\n|$)/, `${path} CL ${a}/${b}: 400 or nothing`);
      t.ok((r.text.match(/HTTP\/1\.1 /g) ?? []).length <= 1, `${path}: nothing after it was read as a request`);
      t.notMatch(r.text, /Authentication accepted/, `${path}: the smuggled Login never ran`);
      t.ok(r.closed, `${path}: closed`);
      t.same(ta.app.sim!.received.filter((m) => m.get('Action') !== 'Ping').map((m) => m.toObject()), [], `${path}: nothing upstream`);
    }
  }
});

t.test('two Content-Length headers alone: the 400 page, then close', async (t) => {
  const r = await exchange(`POST /rawman HTTP/1.1\r\nHost: x\r\n${FORM}Content-Length: 11\r\nContent-Length: 11\r\n\r\naction=Ping`);
  t.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.match(r.text, /Conflicting Content-Length or Transfer-Encoding|Bad Request/);
  t.ok(r.closed);
});

t.test('Content-Length with Transfer-Encoding: refused and closed', async (t) => {
  const r = await exchange(`POST /rawman HTTP/1.1\r\nHost: x\r\n${FORM}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\nb\r\naction=Ping\r\n0\r\n\r\n${SMUGGLED}`);
  t.ok(r.closed, 'closed');
  t.match(r.text, /^(HTTP\/1\.1 400 |$)/, 'a 400 (ours or the engine\'s) or no reply at all');
  t.notMatch(r.text, /Authentication accepted/, 'the smuggled request never ran');
});

t.test('a header flood is not served and the connection does not stay', async (t) => {
  let many = '';
  for (let i = 0; i < 500; i++) many += `X-H${i}: v\r\n`;
  const r = await exchange(`GET /rawman?action=Ping HTTP/1.1\r\nHost: x\r\n${many}\r\n`, 20_000);
  t.notMatch(r.text, /Permission denied|Pong/, 'not handled');
  t.match(r.text, /^(HTTP\/1\.1 431 |$)/, 'a 431 (node:http layer) or nothing (uWS)');
  t.ok(r.closed, 'closed (by the engine: at once, or at its idle timeout)');
});

t.test('a request line sent slowly is cut off by the idle timeout', async (t) => {
  const r = await exchange('GET /rawman?action=Ping HTTP/1.1\r\nHost: x\r\n', 20_000);
  t.ok(r.closed, 'closed without ever completing');
  t.match(r.text, /^(HTTP\/1\.1 408 |$)/, 'a 408 (node:http layer) or nothing (uWS)');
});
