// The AMI side (issue 7 §2): a message over the parser's limit resets that connection and answers
// its actions in flight at once; nothing later is swallowed. A fake Asterisk sends 50 MB without
// the blank line that would end the message, and a message of 100,000 headers.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { AmiPool } from '../../lib/mux/pool.ts';
import { FakeAmi, asteriskLike } from '../helpers/fake-ami.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';
import { setLogLevel } from '../../lib/log.ts';

if (process.env.AJAM_LOG === undefined) setLogLevel('silent');

const plain = asteriskLike();

/** A pool of one connection to `fake`, both closed when `t` ends. */
async function setup(t: Test, fake: FakeAmi, maxReplyBytes?: number): Promise<AmiPool> {
  const port = await fake.listen();
  const pool = new AmiPool({
    host: '127.0.0.1',
    port,
    username: 'admin',
    secret: 'adminpw',
    connections: 1,
    // Far beyond the test: an answer can only come from the reset, never from the timeout.
    actionTimeoutMs: 120_000,
    keepaliveMs: 0,
    backoff: { initialMs: 10, maxMs: 50 },
    maxReplyBytes,
  });
  t.teardown(async () => {
    await pool.close();
    await fake.close();
  });
  pool.start();
  await once(pool, 'ready');
  return pool;
}

t.test('50 MB without a terminator: the connection resets, every action in flight is answered', async (t) => {
  let floods = 0;
  const fake = new FakeAmi((c, m) => {
    const action = m.get('Action')?.toLowerCase();
    if (action === 'hold') return; // stays in flight until the reset answers it
    if (action === 'flood') {
      floods++;
      c.write(`Response: Success\r\nActionID: ${m.actionId}\r\nData: `);
      const mb = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 50; i++) c.write(mb.toString('latin1'));
      return;
    }
    plain(c, m);
  });
  const pool = await setup(t, fake);
  const parseErrors: string[] = [];
  pool.on('parseError', (code: string) => parseErrors.push(code));
  const held = pool.send([['Action', 'Hold'], ['ActionID', 'h1']]);
  const flood = pool.send([['Action', 'Flood'], ['ActionID', 'f1']]);
  const [h, f] = await Promise.all([held, flood]);
  t.equal(floods, 1);
  t.equal(h[0]!.get('Response'), 'Error', 'the action in flight beside it is answered');
  t.equal(h[0]!.get('ActionID'), 'h1');
  t.equal(f[0]!.get('Response'), 'Error', 'the flooding action is answered');
  t.equal(f[0]!.get('ActionID'), 'f1');
  t.match(f[0]!.get('Message'), /lost|closed|reset/i, 'with a clear message');
  t.same(parseErrors, ['AMI_ERR_MESSAGE_TOO_LARGE'], 'reported once');
  // A fresh connection, in sync: the next Ping gets its own reply.
  while (!pool.ready) await once(pool, 'ready');
  const ping = await pool.send([['Action', 'Ping'], ['ActionID', 'p1']]);
  t.equal(ping[0]!.get('Ping'), 'Pong');
  t.equal(ping[0]!.get('ActionID'), 'p1');
  t.equal(fake.clients.length, 2, 'one reconnect');
});

t.test('a message of 100,000 headers is bounded; the connection stays usable', async (t) => {
  const fake = new FakeAmi((c, m) => {
    const action = m.get('Action')?.toLowerCase();
    if (action === 'many' || action === 'toomany') {
      const n = 100_000;
      const width = action === 'many' ? 1 : 12; // ~0.5 MB, or ~1.7 MB (over the 1 MiB limit)
      const lines: string[] = [`Response: Success`, `ActionID: ${m.actionId}`];
      for (let i = 0; i < n; i++) lines.push(`h:${'x'.repeat(width)}`);
      c.write(lines.join('\r\n') + '\r\n\r\n');
      return;
    }
    plain(c, m);
  });
  const pool = await setup(t, fake);
  const many: AmiMessage[] = await pool.send([['Action', 'Many'], ['ActionID', 'm1']]);
  t.equal(many[0]!.count, 100_002, 'under the byte limit: delivered whole, every header');
  t.equal(many[0]!.get('ActionID'), 'm1');
  const ping1 = await pool.send([['Action', 'Ping'], ['ActionID', 'p1']]);
  t.equal(ping1[0]!.get('ActionID'), 'p1', 'in sync after it');

  const tooMany = await pool.send([['Action', 'TooMany'], ['ActionID', 't1']]);
  t.equal(tooMany[0]!.get('Response'), 'Error', 'over the byte limit: an error, at once');
  while (!pool.ready) await once(pool, 'ready');
  const ping2 = await pool.send([['Action', 'Ping'], ['ActionID', 'p2']]);
  t.equal(ping2[0]!.get('ActionID'), 'p2', 'nothing swallowed: the next reply is the next reply');
  t.equal(ping2[0]!.get('Ping'), 'Pong');
});

t.test('an action reply over maxactionreplybytes is a clear error; the connection stays in sync', async (t) => {
  const fake = new FakeAmi((c, m) => {
    if (m.get('Action')?.toLowerCase() === 'biglist') {
      const id = m.actionId;
      let out = `Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: Items will follow\r\n\r\n`;
      for (let i = 0; i < 1000; i++) out += `Event: Item\r\nActionID: ${id}\r\nN: ${i}\r\nPad: ${'p'.repeat(100)}\r\n\r\n`;
      out += `Event: BigListComplete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: 1000\r\n\r\n`;
      c.write(out);
      return;
    }
    plain(c, m);
  });
  const pool = await setup(t, fake, 20_000);
  const [big, ping] = await Promise.all([
    pool.send([['Action', 'BigList'], ['ActionID', 'b1']]),
    pool.send([['Action', 'Ping'], ['ActionID', 'p1']]),
  ]);
  t.equal(big.length, 1, 'one message, not the list');
  t.equal(big[0]!.get('Response'), 'Error');
  t.equal(big[0]!.get('ActionID'), 'b1');
  t.match(big[0]!.get('Message'), /Reply too large: more than 20000 bytes/);
  t.equal(ping[0]!.get('ActionID'), 'p1', 'the Ping sent beside it gets its own reply');
  t.equal(pool.stats.tooLarge, 1, 'counted once for /metrics (ajam_limit_refusals_total{limit="maxactionreplybytes"})');
  const after = await pool.send([['Action', 'Ping'], ['ActionID', 'p2']]);
  t.equal(after[0]!.get('ActionID'), 'p2', 'and the next one too: in sync');
  t.equal(fake.clients.length, 1, 'no reconnect needed');
});
