// A user's clone has nothing beside it: no source, test or benchmark may read the reference folder
// that sat beside the repository while it was built. Fixtures live in test/fixtures/.
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPTURES, EXAMPLES, corpusNames, readCorpus } from '../helpers/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['lib', 'bin', 'bench', 'test', 'conf', 'static', '.ci', 'package.json'];
const SKIP = new Set(['fixtures', 'node_modules', 'out']);
const CODE = /\.(ts|js|mjs|cjs|json|conf|html|css|sh)$|^run$/;

function files(path: string, out: string[] = []): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return out;
  if (st.isFile()) {
    if (CODE.test(path.split('/').pop()!)) out.push(path);
    return out;
  }
  for (const name of readdirSync(path)) if (!SKIP.has(name)) files(join(path, name), out);
  return out;
}

t.test('no file reads the reference folder beside the repository', async (t) => {
  const all = SCANNED.flatMap((p) => files(join(ROOT, p)));
  t.ok(all.length > 50, `scanned ${all.length} files`);
  // Spelled in pieces so this file does not match itself.
  const needle = new RegExp(['\\.\\./', 'shared', '|/work/', 'shared', '|AJAM_', 'SHARED'].join(''));
  const hits = all.filter((f) => needle.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
  t.same(hits, [], 'no references outside the repository');
});

t.test('the fixtures are in the repository', async (t) => {
  t.ok(readdirSync(CAPTURES).filter((f) => f.startsWith('http_')).length >= 50, 'HTTP captures');
  t.ok(readdirSync(CAPTURES).filter((f) => f.endsWith('.recv')).length >= 10, 'TCP captures');
  t.ok(readdirSync(EXAMPLES).filter((f) => f.endsWith('.bin')).length >= 10, 'spec examples');
  t.same(corpusNames(), ['asterisk22-calls.ami', 'asterisk22-sample.ami']);
  const calls = readCorpus('asterisk22-calls.ami');
  t.equal(calls.length, 7_382_404, 'corpus unpacks to its recorded size');
  t.equal(readCorpus('asterisk22-calls.ami'), calls, 'unpacked once per process');
  t.equal(calls.subarray(0, 7).toString(), 'Event: ', 'AMI bytes');
});
