// The node:http compatibility layer (lib/http/uws-compat.ts), used when uWS has no native binary
// for this Node build: the HTTP server tests and the capture comparisons run again with the
// package's fallback forced (UWS_USE_FALLBACK=1), each file in a child process; the HTTPS listener
// (node:https there) too.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runWithFallback(file: string): Promise<{ code: number | null; out: string }> {
  // Without tap's own variables the child runs as a standalone TAP producer (with its summary).
  const env: NodeJS.ProcessEnv = { UWS_USE_FALLBACK: '1', AJAM_LOG: 'silent' };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TAP') && !k.startsWith('_TAP')) env[k] ??= v;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import=tsx', file], { cwd: ROOT, env });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

const FILES = [
  'test/http/server.test.ts',
  'test/e2e/captures.test.ts',
  'test/security/tls.test.ts',
  'test/security/connection-limits.test.ts',
  // /json and SSE work there too; /ws is refused with the reason.
  'test/e2e/push-compat.test.ts',
];
for (const file of FILES) {
  t.test(`${file} on the compatibility layer`, async (t) => {
    const { code, out } = await runWithFallback(file);
    const summary = /# \{ total: (\d+), pass: (\d+)/.exec(out);
    t.ok(summary, 'a TAP summary');
    t.equal(summary?.[1], summary?.[2], 'every assertion passed');
    t.equal(code, 0, code === 0 ? 'exit 0' : out.split('\n').filter((l) => /not ok/.test(l)).join('\n'));
  });
}
