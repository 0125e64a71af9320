// Asterisk reads an AMI line into a 1025-byte buffer: a longer parameter line is answered with
// `Failed to parse message: line too long`, and a line of exactly 1023 bytes even splits the message
// in two (its CR stays past the full buffer, its LF reads as a blank line). The simulator does the
// same (lib/sim/manager-input.ts). Through the proxy the caller gets Asterisk's error, the second
// half's `Missing action in request` (no ActionID) reaches nobody, and every other client's replies
// stay theirs.
import t from 'tap';
import { AjamClient, field, messages, startTestApp, type TestApp } from '../helpers/app.ts';

let ta: TestApp;
t.before(async () => {
  ta = await startTestApp();
});
t.teardown(() => ta.close());

/** A query parameter whose upstream line `X-Pad: ppp…` is `len` bytes before its CRLF. */
const pad = (len: number): string => `&X-Pad=${'p'.repeat(len - 'X-Pad: '.length)}`;

async function admin(): Promise<AjamClient> {
  const c = new AjamClient(ta.base);
  const r = await c.login();
  if (!r.body.includes('Authentication accepted')) throw new Error(r.body);
  return c;
}

for (const len of [1022, 1023, 1024, 5000]) {
  t.test(`a ${len}-byte parameter line`, async (t) => {
    const caller = await admin();
    const others = await Promise.all([admin(), admin(), admin()]);
    ta.app.sim!.clearReceived();
    const [mine, ...pings] = await Promise.all([
      // POSTed: a GET this long is refused at the HTTP request line already, as by Asterisk.
      caller.post('/rawman', `action=UserEvent&UserEvent=long&ActionID=mine${pad(len)}`),
      ...others.flatMap((o, i) => [1, 2, 3].map((n) => o.get(`/rawman?action=Ping&ActionID=p${i}-${n}`))),
    ]);
    const reply = messages(mine!.body);
    t.equal(reply.length, 1, 'one reply for the one action');
    t.equal(field(reply[0]!, 'ActionID'), 'mine');
    if (len <= 1022) {
      t.equal(field(reply[0]!, 'Response'), 'Success', 'Asterisk takes a line of up to 1022 bytes');
    } else {
      t.equal(field(reply[0]!, 'Response'), 'Error');
      t.equal(field(reply[0]!, 'Message'), 'Failed to parse message: line too long', "Asterisk's own answer");
    }
    let i = 0;
    for (const p of pings) {
      const m = messages(p.body);
      const want = `p${Math.floor(i / 3)}-${(i % 3) + 1}`;
      i++;
      t.equal(m.length, 1, `${want}: one reply`);
      t.equal(field(m[0]!, 'Response'), 'Success', `${want}: its own Ping reply`);
      t.equal(field(m[0]!, 'ActionID'), want);
    }
    const ran = ta.app.sim!.received.filter((m) => m.get('Action') === 'UserEvent');
    t.equal(ran.length, len <= 1022 ? 1 : 0, 'the UserEvent ran only when its line fit');
    const halves = ta.app.sim!.received.filter((m) => m.get('Action') === undefined);
    t.equal(halves.length, len === 1023 ? 1 : 0, 'a 1023-byte line split the message, and only that one');
    // The same session goes on, in step.
    const next = messages((await caller.get('/rawman?action=Ping&ActionID=after')).body);
    t.equal(field(next[0]!, 'Response'), 'Success');
    t.equal(field(next[0]!, 'ActionID'), 'after');
  });
}
