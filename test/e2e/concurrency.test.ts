// 200 sessions at once, each firing several actions concurrently with its own ActionIDs over the
// two shared AMI connections: every reply is complete, carries only its own ActionID and belongs to
// its own session.
import t from 'tap';
import { AjamClient, field, messages, startTestApp } from '../helpers/app.ts';
import type { TestApp } from '../helpers/app.ts';

const SESSIONS = 200;

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp();
});
t.teardown(() => ta.close());

t.test(`${SESSIONS} concurrent sessions, isolated replies`, async (t) => {
  const clients = Array.from({ length: SESSIONS }, () => new AjamClient(ta.base));
  const logins = await Promise.all(clients.map((c, i) => c.login('admin', 'adminpw', `&ActionID=login-${i}&Events=off`)));
  logins.forEach((r, i) => {
    if (r.body !== `Response: Success\r\nActionID: login-${i}\r\nMessage: Authentication accepted\r\n\r\n`) t.fail(`login ${i}: ${r.body}`);
  });
  t.equal(new Set(clients.map((c) => c.cookie)).size, SESSIONS, 'distinct sessions');

  const problems: string[] = [];
  let replies = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      const id = (what: string) => `s${i}-${what}`;
      const [ping, status, settings, user, local] = await Promise.all([
        c.get(`/rawman?action=Ping&ActionID=${id('ping')}`),
        c.get(`/rawman?action=Status&ActionID=${id('status')}`),
        c.get(`/mxml?action=CoreSettings&ActionID=${id('settings')}`),
        c.get(`/rawman?action=UserEvent&UserEvent=Load&ActionID=${id('user')}`),
        c.get(`/rawman?action=Events&EventMask=off&ActionID=${id('events')}`),
      ]);
      const check = (name: string, body: string, expectItems: boolean): void => {
        replies++;
        const msgs = messages(body);
        if (msgs.length === 0) problems.push(`${id(name)}: empty`);
        for (const m of msgs) {
          const got = field(m, 'ActionID');
          if (got !== id(name)) problems.push(`${id(name)}: saw ActionID ${got}`);
        }
        if (field(msgs[0] ?? [], 'Response') !== 'Success') problems.push(`${id(name)}: ${body}`);
        if (expectItems && field(msgs.at(-1) ?? [], 'Event') !== 'StatusComplete') problems.push(`${id(name)}: list not complete`);
      };
      check('ping', ping.body, false);
      check('status', status.body, true);
      check('user', user.body, false);
      check('events', local.body, false);
      replies++;
      if (!settings.body.includes(`actionid='${id('settings')}'`) || settings.body.split('actionid=').length !== 2) {
        problems.push(`${id('settings')}: ${settings.body}`);
      }
      if (c.cookie !== clients[i]!.cookie) problems.push(`${i}: session changed`);
    }),
  );
  t.same(problems, [], 'every reply correct and isolated');
  t.equal(replies, SESSIONS * 5);
  t.equal(ta.app.pool.pendingCount, 0, 'nothing left in flight');
});
