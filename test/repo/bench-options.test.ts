// The benchmarks' options: `--seconds N` and `--save`, and that a run without --save leaves the
// tracked results (bench/RESULTS.md, bench/results/) untouched, writing bench/out/ instead.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(script: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, AJAM_LOG: 'warn' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

const tracked = (path: string): string | undefined => (existsSync(ROOT + path) ? readFileSync(ROOT + path, 'utf8') : undefined);

t.test('--help names --seconds and --save; a bad value is refused', async (t) => {
  for (const script of ['bench/ajam.bench.ts', 'bench/parser.bench.ts']) {
    const help = await run(script, ['--help']);
    t.equal(help.code, 0, `${script} --help`);
    t.match(help.out, /--seconds N/);
    t.match(help.out, /--save/);
    const bad = await run(script, ['--seconds', 'soon']);
    t.equal(bad.code, 2, `${script}: --seconds soon`);
    t.match(bad.err, '--seconds: expected a number of seconds');
  }
});

t.test('a short bench:ajam run writes bench/out/, not the tracked results', async (t) => {
  const before = { md: tracked('bench/RESULTS.md'), json: tracked('bench/results/ajam.json') };
  const started = Date.now();
  const r = await run('bench/ajam.bench.ts', ['--seconds', '0.2']);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.err.slice(-300)})`);
  t.match(r.out, /c=50: proxy [\d,]+ req\/s/, 'measured every level');
  t.match(r.out, 'results in ');
  const json = `${ROOT}bench/out/results/ajam.json`;
  t.ok(statSync(json).mtimeMs >= started - 1000, 'bench/out/results/ajam.json written by this run');
  const data = JSON.parse(readFileSync(json, 'utf8')) as Record<string, { proxy: { reqPerSec: number } }>;
  t.ok(data.c1!.proxy.reqPerSec > 0, 'with numbers');
  t.match(readFileSync(`${ROOT}bench/out/RESULTS.md`, 'utf8'), '0.2 s per cell');
  t.equal(tracked('bench/RESULTS.md'), before.md, 'bench/RESULTS.md untouched');
  t.equal(tracked('bench/results/ajam.json'), before.json, 'bench/results/ajam.json untouched');
});
