// Tests that drive a real system program (Chromium, nginx, openssl) find it here. A missing one is
// installed with apt-get when the tests run as root (CI, a fresh machine), otherwise the test fails
// with one line naming the command to run: never a skip, so a green run means it really ran.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Test } from 'tap';

/** Folders searched besides PATH: nginx lives in /usr/sbin, which a non-root PATH may lack. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of an executable named `binary`, or undefined. */
export function findExecutable(binary: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = join(dir, binary);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function installCommand(debianPackage: string): string {
  return `apt-get install -y --no-install-recommends ${debianPackage}`;
}

function aptGet(args: string[]): boolean {
  try {
    // Two test files may install at once: wait for dpkg's lock instead of failing on it.
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 15 * 60_000,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `binary`, installing Debian's `debianPackage` first when it is missing and
 * we are root (unless `install: false`). Throws an Error whose message is one line naming the command when it stays missing.
 */
export function ensureSystemPackage(binary: string, debianPackage: string, opts: { install?: boolean } = {}): string {
  const found = findExecutable(binary);
  if (found !== undefined) return found;
  const command = installCommand(debianPackage);
  const root = process.getuid?.() === 0;
  if ((opts.install ?? true) && root && findExecutable('apt-get') !== undefined) {
    const pkgArgs = ['install', '-y', '--no-install-recommends', debianPackage];
    // A fresh machine has no package lists yet: update once, then retry.
    if (!aptGet(pkgArgs)) aptGet(['update']) && aptGet(pkgArgs);
    const installed = findExecutable(binary);
    if (installed !== undefined) return installed;
    throw new Error(`${binary} is missing and \`${command}\` did not install it: run it by hand to see why`);
  }
  throw new Error(`${binary} is missing: install it with \`${command}\` (as root)`);
}

/** ensureSystemPackage for a test file: on failure, one failed assertion with the message. */
export function systemPackageOrFail(t: Test, binary: string, debianPackage: string): string | undefined {
  try {
    return ensureSystemPackage(binary, debianPackage);
  } catch (err) {
    t.fail((err as Error).message);
    return undefined;
  }
}
