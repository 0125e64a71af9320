// Bounded sessions (issue 7 §2): junk cookies store nothing; Login and Challenge are the only
// ways in, and each cap (in all, per user, unauthenticated per address) answers a clear AMI error.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { AjamClient, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';
import { rawRequest, get } from '../helpers/http.ts';
import { CAP_MSG } from '../../lib/session/store.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp({ general: 'maxsessions = 6\nmaxsessionsperuser = 3\nmaxunauthperaddress = 2\nunauthrate = 0' });
});
t.teardown(() => ta.close());

t.test('a junk-cookie flood stores nothing', async (t) => {
  const before = ta.app.store.size;
  for (let round = 0; round < 20; round++) {
    await Promise.all(
      Array.from({ length: 50 }, () =>
        rawRequest(ta.port, get(`/rawman?action=Ping`, `Cookie: mansession_id="${randomBytes(16).toString('hex')}"\r\n`)),
      ),
    );
  }
  for (const action of ['Status', 'WaitEvent', 'Logoff', 'NoSuchAction', 'Originate']) {
    await rawRequest(ta.port, get(`/rawman?action=${action}`));
  }
  t.equal(ta.app.store.size, before, '1,000 requests with random cookies: no session kept');
});

t.test('caps answer a clear AMI error and nothing else breaks', async (t) => {
  // Unauthenticated per address: Challenge keeps a session, two at most from one address.
  const challenges = [new AjamClient(ta.base), new AjamClient(ta.base), new AjamClient(ta.base)];
  const ch = [];
  for (const c of challenges) ch.push((await c.get('/rawman?action=Challenge&AuthType=MD5')).body);
  t.match(ch[0], /^Response: Success\r\nChallenge: \d+/);
  t.match(ch[1], /^Response: Success\r\nChallenge: \d+/);
  t.equal(ch[2], `Response: Error\r\nMessage: ${CAP_MSG.PER_ADDRESS}\r\n\r\n`);

  // Per user: three admin sessions at most.
  const admins = [new AjamClient(ta.base), new AjamClient(ta.base), new AjamClient(ta.base), new AjamClient(ta.base)];
  const logins = [];
  for (const c of admins) logins.push((await c.login()).body);
  t.match(logins[2], /Authentication accepted/);
  t.equal(logins[3], `Response: Error\r\nMessage: ${CAP_MSG.PER_USER}\r\n\r\n`);
  t.match((await admins[0]!.get('/rawman?action=Ping')).body, /Ping: Pong/, 'the admitted sessions work');

  // In all: 2 challenges + 3 admins = 5 of 6.
  const w1 = new AjamClient(ta.base);
  const w2 = new AjamClient(ta.base);
  t.match((await w1.login('wallboard', 'wallpw')).body, /Authentication accepted/);
  t.equal((await w2.login('wallboard', 'wallpw')).body, `Response: Error\r\nMessage: ${CAP_MSG.TOTAL}\r\n\r\n`);
  t.equal(ta.app.store.size, 6);

  // A logoff frees a place.
  await admins[1]!.get('/rawman?action=Logoff');
  t.match((await w2.login('wallboard', 'wallpw')).body, /Authentication accepted/);
});
