import t from 'tap';
import { CAP_MSG, newSessionId, SessionStore } from '../../lib/session/store.ts';
import { makeUser } from '../helpers/session.ts';
import type { Session } from '../../lib/session/session.ts';

/** A kept session in flight, as after a Challenge or Login admitted it. */
function openKept(store: SessionStore, address: string): Session {
  const s = store.create(address);
  s.inFlight++;
  return s;
}

t.test('ids: 128-bit lowercase hex, unique', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newSessionId();
    if (!/^[0-9a-f]{32}$/.test(id)) t.fail(`bad id ${id}`);
    seen.add(id);
  }
  t.equal(seen.size, 2000);
});

t.test('open finds by id; unknown and missing ids get a new session that is not kept', async (t) => {
  const store = new SessionStore({ httptimeout: 60 });
  t.teardown(() => store.close());
  const s = store.open(undefined, '10.0.0.1');
  t.equal(s.inFlight, 1);
  t.equal(s.address, '10.0.0.1');
  t.notOk(s.authenticated);
  store.release(s);
  t.equal(s.inFlight, 0);
  t.equal(store.size, 0, 'a request without a valid session stores nothing');
  t.not(store.open(s.id, '10.0.0.2'), s, 'its id names nothing later');
  const kept = store.create('10.0.0.1');
  t.equal(store.open(kept.id, '10.0.0.2'), kept, 'same kept session by id');
  store.release(kept);
  const other = store.open('0'.repeat(32), '10.0.0.1');
  t.not(other, kept, 'unknown id → new session');
  t.not(other.id, '0'.repeat(32), 'the client does not choose the id');
  store.release(other);
  t.equal(store.size, 1);
  t.equal(store.find(kept.id), kept);
  t.equal(store.find(undefined), undefined);
});

t.test('caps: sessions in all, per user, unauthenticated per address', async (t) => {
  const store = new SessionStore({ maxSessions: 5, maxSessionsPerUser: 2, maxUnauthPerAddress: 2 });
  t.teardown(() => store.close());
  const a1 = store.transient('10.0.0.1');
  const a2 = store.transient('10.0.0.1');
  t.equal(store.admitUnauthenticated(a1), undefined);
  t.equal(store.admitUnauthenticated(a2), undefined);
  t.equal(store.admitUnauthenticated(store.transient('10.0.0.1')), CAP_MSG.PER_ADDRESS, 'third challenge from one address');
  t.equal(store.admitUnauthenticated(store.transient('10.0.0.2')), undefined, 'another address is fine');
  t.equal(store.admitLogin(a1, 'Admin'), undefined, 'a challenged session logs in');
  t.equal(store.unauthCount('10.0.0.1'), 1, 'and leaves the unauthenticated count');
  t.equal(store.admitUnauthenticated(store.transient('10.0.0.1')), undefined, 'which frees a place');
  t.equal(store.admitLogin(store.transient('10.0.0.3'), 'admin'), undefined);
  t.equal(store.admitLogin(store.transient('10.0.0.4'), 'ADMIN'), CAP_MSG.PER_USER, 'third login of one user');
  t.equal(store.userCount('admin'), 2);
  t.equal(store.size, 5);
  t.equal(store.admitLogin(store.transient('10.0.0.5'), 'other'), CAP_MSG.TOTAL, 'full');
  store.destroy(a1);
  t.equal(store.userCount('admin'), 1, 'destroy gives the place back');
  t.equal(store.admitLogin(store.transient('10.0.0.5'), 'other'), undefined);
  t.equal(store.size, 5);
  t.same(store.refusals, { maxsessions: 1, maxsessionsperuser: 1, maxunauthperaddress: 1 }, 'each refusal counted for /metrics');
});

t.test('lifetimes: 5 s unauthenticated, httptimeout authenticated, from the end of the last request', async (t) => {
  const store = new SessionStore({ httptimeout: 60 });
  t.teardown(() => store.close());
  const s = openKept(store, '127.0.0.1');
  store.release(s);
  const now = Date.now();
  t.ok(s.expiresAt <= now + 5000 && s.expiresAt > now + 4000, 'unauthenticated: 5 s');
  t.equal(store.purge(now + 4000), 0);
  t.equal(store.purge(now + 6000), 1, 'gone after 5 s');
  t.equal(store.find(s.id), undefined);
  t.ok(s.destroyed);

  const a = openKept(store, '127.0.0.1');
  a.authenticated = true;
  store.release(a);
  t.ok(a.expiresAt > Date.now() + 59000, 'authenticated: httptimeout');
  t.equal(store.purge(Date.now() + 30000), 0);
  t.equal(store.purge(Date.now() + 61000), 1);
});

t.test('never purged while a request is in flight', async (t) => {
  const store = new SessionStore({ httptimeout: 60 });
  t.teardown(() => store.close());
  const s = openKept(store, '127.0.0.1');
  store.open(s.id, '127.0.0.1');
  t.equal(s.inFlight, 2);
  t.equal(store.purge(Date.now() + 1e6), 0);
  store.release(s);
  t.equal(store.purge(Date.now() + 1e6), 0, 'one request still running');
  store.release(s);
  t.equal(store.purge(Date.now() + 1e6), 1);
});

t.test('the purge timer removes expired sessions; find never returns an expired one', async (t) => {
  // httptimeout below 5 s also caps the unauthenticated lifetime, as in Asterisk.
  const store = new SessionStore({ httptimeout: 0.05, purgeIntervalMs: 10 });
  t.teardown(() => store.close());
  t.equal(store.unauthLifetime, 0.05);
  const s = openKept(store, '127.0.0.1');
  store.release(s);
  const s2 = openKept(store, '127.0.0.1');
  store.release(s2);
  while (store.size > 0) await new Promise((r) => setTimeout(r, 10));
  t.ok(s.destroyed && s2.destroyed);
  const s3 = openKept(store, '127.0.0.1');
  store.release(s3);
  s3.expiresAt = Date.now() - 1;
  t.equal(store.find(s3.id), undefined, 'expired on lookup');
});

t.test('destroy forgets the id and ends a parked wait; close ends everything', async (t) => {
  const store = new SessionStore();
  const s = openKept(store, '127.0.0.1');
  const calls: string[] = [];
  s.wait = { supersede: () => calls.push('supersede'), sessionEnded: () => calls.push('ended') };
  store.destroy(s);
  store.destroy(s);
  t.same(calls, ['ended'], 'once');
  t.equal(store.find(s.id), undefined);
  const s2 = openKept(store, '127.0.0.1');
  store.close();
  t.ok(s2.destroyed);
  t.equal(store.size, 0);
});

t.test('userHasSession: logged-in, live sessions of that user only', async (t) => {
  const store = new SessionStore();
  t.teardown(() => store.close());
  const u = makeUser({ name: 'Single' });
  const s = openKept(store, '127.0.0.1');
  t.notOk(store.userHasSession('single'));
  s.user = u;
  s.authenticated = true;
  t.ok(store.userHasSession('SINGLE'), 'case-insensitive');
  t.notOk(store.userHasSession('single', s), 'except itself');
  store.release(s);
  s.expiresAt = Date.now() - 1;
  t.notOk(store.userHasSession('single'), 'an expired one does not count');
});

t.test('bad options are API misuse', async (t) => {
  t.throws(() => new SessionStore({ httptimeout: 0 }), { code: 'AJAM_ERR_INVALID_ARG' });
});
