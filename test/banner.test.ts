// The start banner prints demo secrets only for the shipped users file: a real manager.conf tried
// out against the simulator must not have its secrets written to the terminal or the journal.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../lib/config/config.ts';
import { loadUsers } from '../lib/auth/users.ts';
import { startBanner } from '../lib/banner.ts';

const SHIPPED_USERS = fileURLToPath(new URL('../conf/users.conf', import.meta.url));

function confWithUsers(users: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ajam-banner-'));
  const conf = join(dir, 'ajam-proxy.conf');
  writeFileSync(conf, `[general]\nusers = ${users}\n[asterisk]\nsimulate = yes\nusername = ajam-proxy\nsecret = proxy-secret\n`);
  return conf;
}

t.test('the shipped users file: demo logins with their secrets', async (t) => {
  const config = loadConfig(confWithUsers(SHIPPED_USERS));
  const banner = startBanner(config, loadUsers(SHIPPED_USERS), 8088, 'ajam-proxy/test');
  t.match(banner, 'Demo logins');
  t.match(banner, 'admin / admin');
});

t.test('another users file with --simulate: names only, never a secret', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ajam-banner-users-'));
  const users = join(dir, 'manager.conf');
  writeFileSync(users, '[operator]\nsecret = Very-Real-Secret-42\nread = all\nwrite = all\n');
  const config = loadConfig(confWithUsers(users));
  const banner = startBanner(config, loadUsers(users), 8088, 'ajam-proxy/test');
  t.notMatch(banner, 'Very-Real-Secret-42', 'the secret is not printed');
  t.notMatch(banner, 'Demo logins');
  t.match(banner, 'Logins: the 1 user(s)', 'the users are counted instead');
});
