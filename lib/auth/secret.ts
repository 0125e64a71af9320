// A user's `secret`: plain text (manager.conf compatibility) or hashed, `secret = sha256:<64 hex>`
// (the SHA-256 of the secret's UTF-8 bytes, lowercase or uppercase hex). Both compare in constant
// time. A hashed secret cannot answer an MD5 Challenge login or HTTP Digest: those need the plain
// secret on the server side (md5(challenge + secret), md5(user:realm:secret)), so such a user logs
// in with a plain `Secret:` (or Bearer/Basic) only. Make one with
// `printf %s 'the secret' | sha256sum` (meant for long random secrets: SHA-256 is fast to guess).
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkSecret } from './md5.ts';
import type { User } from './types.ts';

const HASHED = /^sha256:([0-9a-fA-F]{64})$/;

/** The hex digest of a `sha256:<hex>` secret value, lowercased; undefined for a plain secret. */
export function hashedSecretHex(value: string): string | undefined {
  const m = HASHED.exec(value);
  return m === null ? undefined : m[1]!.toLowerCase();
}

/** The `secret = …` value that stores `secret` hashed. */
export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** A plain `Secret:` (or Basic) login: against the plain secret, or the hash of the given one. */
export function verifySecret(user: Pick<User, 'secret' | 'secretSha256'>, given: string): boolean {
  if (user.secretSha256 !== undefined) {
    const want = Buffer.from(user.secretSha256, 'hex');
    const got = createHash('sha256').update(given, 'utf8').digest();
    return timingSafeEqual(want, got);
  }
  return checkSecret(user.secret, given);
}
