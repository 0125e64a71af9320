// test/helpers/system.ts: finds programs on PATH and the sbin folders; a package that cannot be had
// fails with one line naming the apt-get command.
import t from 'tap';
import { ensureSystemPackage, findExecutable } from '../helpers/system.ts';

t.test('finds a present program without installing anything', async (t) => {
  const sh = findExecutable('sh');
  t.ok(sh !== undefined && sh.endsWith('/sh'), 'sh on PATH');
  t.equal(ensureSystemPackage('sh', 'dash'), sh);
});

t.test('a missing program that cannot be installed: one line naming the command', async (t) => {
  const name = 'ajam-no-such-program';
  t.equal(findExecutable(name), undefined);
  // install: false, as when not root: no apt-get run (and no network) for a package that cannot exist.
  const err = t.throws(() => ensureSystemPackage(name, `${name}-pkg`, { install: false })) as Error;
  t.match(err.message, `apt-get install -y --no-install-recommends ${name}-pkg`);
  t.notMatch(err.message, /\n/, 'one line');
});
