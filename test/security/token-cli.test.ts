// `ajam-proxy token` (issue 7 §4): a fresh token and the users-file line that accepts it, as an
// operator runs it (bin/ajam-proxy.js in a child process); the line then works end to end.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { get, header, rawRequest } from '../helpers/http.ts';
import { startTestApp } from '../helpers/app.ts';
import { tokenLine } from '../../lib/auth/tokens.ts';

const BIN = fileURLToPath(new URL('../../bin/ajam-proxy.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('prints a token and its line; the line authenticates the token', async (t) => {
  const a = await run(['token']);
  const b = await run(['token']);
  t.equal(a.code, 0);
  const [token, line, rest] = a.stdout.split('\n');
  t.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url without padding');
  t.equal(line, tokenLine(token!), 'line 2 is token = sha256:<hex of SHA-256(token)>');
  t.equal(rest, '', 'two lines');
  t.not(b.stdout.split('\n')[0], token, 'a new token each time');
  t.match(a.stderr, /Authorization: Bearer/);

  const ta = await startTestApp({ users: `[script]\nsecret = s\nread = all\nwrite = all\n${line}\n` });
  t.teardown(() => ta.close());
  const ok = await rawRequest(ta.port, get('/rawman?action=Ping', `Authorization: Bearer ${token}\r\n`));
  t.equal(ok.status, 200);
  t.match(ok.body.toString(), /Pong/);
  t.equal(header(ok, 'Set-Cookie'), undefined);
  const other = await rawRequest(ta.port, get('/rawman?action=Ping', `Authorization: Bearer ${b.stdout.split('\n')[0]}\r\n`));
  t.equal(other.status, 401, 'a token without its line is refused');
});

t.test('token takes no arguments', async (t) => {
  const r = await run(['token', 'extra']);
  t.equal(r.code, 2);
  t.match(r.stderr, /^ajam-proxy: token takes no arguments/);
});
