// Requests without a valid session are budgeted per client address (`unauthrate`): past the
// budget the connection is closed without an answer (after a second), and a logged-in client is
// untouched; other addresses have their own budget.
import t from 'tap';
import { request } from 'node:http';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ general: 'unauthrate = 20' });
});
t.teardown(() => ta.close());

/** One GET from `from` on its own connection: the body, or null when closed without an answer. */
function getFrom(from: string, path: string, headers: Record<string, string> = {}): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: ta.port, path, localAddress: from, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

t.test('past the budget: closed without an answer; the logged-in client and other addresses are fine', async (t) => {
  const client = new AjamClient(ta.base);
  t.match((await client.login()).body, /Authentication accepted/);
  const flood = await Promise.all(
    Array.from({ length: 120 }, (_, i) => getFrom('127.0.0.21', '/rawman?action=Ping', { cookie: `mansession_id="junk${i}"` })),
  );
  const answered = flood.filter((b) => b !== null);
  t.ok(answered.length >= 20 && answered.length <= 45, `${answered.length} of 120 answered (burst 40)`);
  t.ok(answered.every((b) => b === 'Response: Error\r\nMessage: Permission denied\r\n\r\n'));
  t.equal(flood.length - answered.length, flood.filter((b) => b === null).length, 'the rest: closed, no answer');
  t.match((await client.get('/rawman?action=Ping')).body, /Ping: Pong/, 'the logged-in client is not budgeted');
  t.equal(await getFrom('127.0.0.22', '/rawman?action=Ping'), 'Response: Error\r\nMessage: Permission denied\r\n\r\n', 'another address has its own budget');
  t.equal(ta.app.store.size, 1, 'nothing stored for any of it');
  const metrics = await (await fetch(`${ta.base}/metrics`)).text();
  t.match(metrics, new RegExp(`^ajam_limit_refusals_total\\{limit="unauthrate"\\} ${flood.length - answered.length}$`, 'm'), 'each refusal counted');
});
