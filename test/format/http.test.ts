import t from 'tap';
import {
  CONTENT_TYPE,
  ERROR_TEXT,
  ajamHeaders,
  cookieAttributes,
  errorHeaders,
  errorPage,
  httpDate,
  responseHead,
  setCookieValue,
} from '../../lib/format/http.ts';
import { readTxtExample } from '../helpers/format-fixtures.ts';

t.test('httpDate is IMF-fixdate', async (t) => {
  t.equal(httpDate(Date.UTC(2026, 7, 15, 10, 0, 0)), 'Sat, 15 Aug 2026 10:00:00 GMT');
  t.equal(httpDate(new Date(Date.UTC(2026, 0, 1, 1, 2, 3, 999))), 'Thu, 01 Jan 2026 01:02:03 GMT', 'day zero-padded, ms dropped');
  t.equal(httpDate(Date.UTC(2026, 0, 1, 1, 2, 4)), 'Thu, 01 Jan 2026 01:02:04 GMT', 'cache follows the second');
  t.match(httpDate(), /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
});

t.test('cookie: Asterisk attributes plus Path, HttpOnly, SameSite', async (t) => {
  t.equal(cookieAttributes(60), '; Version=1; Max-Age=60; Path=/; HttpOnly; SameSite=Strict');
  t.equal(cookieAttributes(60, 'asterisk'), '; Version=1; Max-Age=60; Path=/asterisk; HttpOnly; SameSite=Strict');
  t.equal(cookieAttributes(30, '/asterisk/'), '; Version=1; Max-Age=30; Path=/asterisk; HttpOnly; SameSite=Strict');
  t.equal(cookieAttributes(60, '/'), '; Version=1; Max-Age=60; Path=/; HttpOnly; SameSite=Strict');
  const id = '0123456789abcdef0123456789abcdef';
  t.equal(setCookieValue(id, cookieAttributes(60)), `mansession_id="${id}"; Version=1; Max-Age=60; Path=/; HttpOnly; SameSite=Strict`);
});

t.test('AJAM header order (spec §3.1)', async (t) => {
  const cookie = setCookieValue('3f9a2c1e', cookieAttributes(60));
  const h = ajamHeaders({ servername: 'ajam-proxy/0.1.0', date: 0, format: 'mxml', cookie, contentLength: 167 });
  t.same(h, [
    ['Server', 'ajam-proxy/0.1.0'],
    ['Date', 'Thu, 01 Jan 1970 00:00:00 GMT'],
    ['Cache-Control', 'no-cache, no-store'],
    ['Content-type', 'text/xml'],
    ['Set-Cookie', cookie],
    ['Pragma', 'SuppressEvents'],
    ['Content-Length', '167'],
  ]);
  const closing = ajamHeaders({ servername: '', date: 0, format: 'rawman', cookie, contentLength: 0, close: true });
  t.same(
    closing.map(([k]) => k),
    ['Date', 'Connection', 'Cache-Control', 'Content-type', 'Set-Cookie', 'Pragma', 'Content-Length'],
    'blank servername drops Server; Connection: close goes after Date',
  );
  t.same(CONTENT_TYPE, { rawman: 'text/plain', mxml: 'text/xml', manager: 'text/html' });
  t.equal(
    responseHead(200, [['A', 'b']]).toString(),
    'HTTP/1.1 200 OK\r\nA: b\r\n\r\n',
  );
  t.equal(responseHead(413, []).toString(), 'HTTP/1.1 413 Request Entity Too Large\r\n\r\n');
});

t.test('error page body (ast_http_create_response)', async (t) => {
  const [status, title, text] = ERROR_TEXT.notFound;
  t.equal(
    errorPage(status, title, text, 'Asterisk/22.10.1').toString(),
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n<title>404 Not Found</title>\r\n' +
      '</head><body>\r\n<h1>Not Found</h1>\r\n<p>The requested URL was not found on this server.</p>\r\n<hr />\r\n' +
      '<address>Asterisk/22.10.1</address>\r\n</body></html>\r\n',
  );
  t.notMatch(errorPage(404, 'Not Found', 'x', '').toString(), /address/, 'blank servername: no <address> line');
  t.match(
    errorPage(404, 'Not Found', '/phoneprov/<script>alert("x")</script>&\'', 'a<b>').toString(),
    /<p>\/phoneprov\/&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;&apos;<\/p>\r\n<hr \/>\r\n<address>a&lt;b&gt;<\/address>/,
    'text and servername XML-escaped (Asterisk since 2026-04)',
  );
  // Same bytes as the 413 example, headers included.
  const expected = readTxtExample('post_413.txt');
  const [s413, t413, x413] = ERROR_TEXT.bodyTooLarge;
  const body = errorPage(s413, t413, x413, 'Asterisk/22.5.2');
  const head = responseHead(
    s413,
    errorHeaders({ servername: 'Asterisk/22.5.2', date: Date.UTC(2026, 7, 15, 10), close: true, contentLength: body.length }),
  );
  t.equal(Buffer.concat([head, body]).toString(), expected.toString());
});
