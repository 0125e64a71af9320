import t from 'tap';
import { AuthLimiter } from '../../lib/auth/limiter.ts';
import { setLogLevel } from '../../lib/log.ts';
import { captureLogs } from '../helpers/log.ts';

if (process.env.AJAM_LOG === undefined) setLogLevel('silent');

function clock(): { now: () => number; advance(ms: number): void } {
  let at = 1_000_000;
  return { now: () => at, advance: (ms) => (at += ms) };
}

t.test('an address is locked after `limit` failures in the window, at once for any user', async (t) => {
  const c = clock();
  const l = new AuthLimiter({ limit: 3, windowMs: 60_000, now: c.now });
  for (let i = 0; i < 2; i++) {
    t.equal(l.check('10.0.0.1', 'admin').locked, false);
    l.recordFailure('10.0.0.1', 'admin');
  }
  t.equal(l.check('10.0.0.1', 'admin').locked, false, 'two failures: still open');
  l.recordFailure('10.0.0.1', 'admin');
  const v = l.check('10.0.0.1', 'someoneelse');
  t.equal(v.locked, true, 'the third locks the address, whatever the user');
  t.equal(v.delayMs, 60_000, 'first lockout lasts one window');
  t.equal(l.check('10.0.0.2', 'admin').locked, false, 'another address is not locked');
  c.advance(60_001);
  t.equal(l.check('10.0.0.1', 'admin').locked, false, 'the lock ends');
});

t.test('lockouts double up to the maximum and failures in the window are what count', async (t) => {
  const c = clock();
  const l = new AuthLimiter({ limit: 2, windowMs: 1000, maxLockMs: 5000, now: c.now });
  const lockFor = (): number => {
    l.recordFailure('a', 'u');
    l.recordFailure('a', 'u');
    const v = l.check('a', 'u');
    t.equal(v.locked, true);
    c.advance(v.delayMs + 1);
    return v.delayMs;
  };
  t.same([lockFor(), lockFor(), lockFor(), lockFor(), lockFor()], [1000, 2000, 4000, 5000, 5000]);
  l.recordFailure('a', 'u');
  c.advance(1001);
  l.recordFailure('a', 'u');
  t.equal(l.check('a', 'u').locked, false, 'one failure per window never locks');
});

t.test('per user: slowed down, capped at 2 s, never locked', async (t) => {
  const c = clock();
  const l = new AuthLimiter({ limit: 5, now: c.now });
  for (let i = 0; i < 100; i++) l.recordFailure(`192.0.2.${i}`, 'admin');
  const v = l.check('198.51.100.7', 'ADMIN');
  t.equal(v.locked, false, 'the real admin from a clean address is not locked out');
  t.equal(v.delayMs, 2000, 'but slowed down, by at most 2 s');
  t.equal(l.check('198.51.100.7', 'other').delayMs, 0, 'other users are not slowed');
  l.recordSuccess('198.51.100.7', 'admin');
  t.equal(l.check('198.51.100.7', 'admin').delayMs, 0, 'a good login clears the slow-down');
});

t.test('per user: password checks take turns, the slow-down apart; the queue is bounded; known places skip it', async (t) => {
  const c = clock();
  const l = new AuthLimiter({ limit: 3, userStepMs: 100, maxUserDelayMs: 400, maxUserQueue: 5, now: c.now });
  t.equal(l.reserveTurn('192.0.2.1', 'admin'), 0, 'no failures: checked at once');
  l.recordSuccess('198.51.100.7', 'admin');
  for (let i = 0; i < 3; i++) l.recordFailure(`192.0.2.${i}`, 'admin');
  // 1,000 attempts at the same instant: five get turns 100 ms apart, the rest are refused unchecked.
  const waits = Array.from({ length: 1000 }, (_, i) => l.reserveTurn(`203.0.113.${i % 250}`, 'Admin'));
  t.same(waits.slice(0, 6), [100, 200, 300, 400, 500, -1], 'one turn per slow-down, in order; then the queue is full');
  t.equal(waits.filter((w) => w === -1).length, 995, 'the rest refused at once');
  t.equal(l.turns.queueFull, 995);
  t.equal(l.turns.waited, 5);
  t.equal(l.queuedFor('admin'), 5);
  t.equal(l.reserveTurn('198.51.100.7', 'admin'), 0, 'the real admin from where it logged in before: no wait, no queue');
  t.equal(l.reserveTurn('203.0.113.1', 'other'), 0, 'other users are not slowed');
  for (let i = 0; i < 5; i++) l.turnTaken('admin');
  t.equal(l.queuedFor('admin'), 0, 'turns taken free the queue');
  c.advance(500);
  for (let i = 0; i < 20; i++) l.recordFailure(`192.0.2.${i}`, 'admin');
  t.equal(l.reserveTurn('203.0.113.9', 'admin'), 400, 'the slow-down per attempt is capped (authusermaxdelay)');
  t.equal(l.reserveTurn('203.0.113.9', 'admin'), 800, 'and the next turn comes that much later');
});

t.test('the tables stay bounded', async (t) => {
  const l = new AuthLimiter({ maxTracked: 100 });
  for (let i = 0; i < 10_000; i++) l.recordFailure(`addr${i}`, `user${i}`);
  t.ok(l.trackedAddresses <= 100, `addresses ${l.trackedAddresses}`);
  t.ok(l.trackedUsers <= 100, `users ${l.trackedUsers}`);
});

t.test('log lines carry address and user, never anything else given', async (t) => {
  const l = new AuthLimiter({ limit: 2 });
  const records = await captureLogs('warn', () => {
    l.recordFailure('203.0.113.9', 'admin');
    l.recordFailure('203.0.113.9', 'admin');
    l.recordFailure('203.0.113.9', 'admin');
  });
  t.equal(records.filter((r) => r.msg === 'authentication failed').length, 2, 'one line per counted failure');
  t.equal(records.filter((r) => r.msg.includes('locked out')).length, 1, 'one line per lockout');
  t.ok(records.every((r) => r.address === '203.0.113.9' && r.user === 'admin'));
  t.same(l.totals, { failures: 3, lockouts: 1 }, 'totals for /metrics');
});
