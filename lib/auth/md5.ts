// MD5 challenge/response (AMI `Challenge` + `Login AuthType: MD5`) and constant-time comparison.
import { timingSafeEqual } from 'node:crypto';
import { md5Key } from '../ami/md5-key.ts';

// The `Key` a client sends is computed on the wire side (lib/ami/md5-key.ts); re-exported here for
// the callers that check one.
export { md5Key } from '../ami/md5-key.ts';

/**
 * Equality of two strings in time that depends only on their lengths, so a wrong secret or key
 * does not reveal how many leading bytes were right.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) {
    // Still do the work once, so a length mismatch is not much faster than a content mismatch.
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}

/**
 * Checks an MD5 login as Asterisk's authenticate(): the key must equal the lowercase hex exactly
 * (strcmp), a challenge must have been issued, and a user without a secret never passes.
 */
export function checkMd5Key(challenge: string, secret: string | undefined, key: string): boolean {
  if (secret === undefined || challenge === '' || key === '') return false;
  return safeEqual(md5Key(challenge, secret), key);
}

/** Checks a plain `Secret:` login: case-sensitive, as Asterisk's strcmp. No secret, no login. */
export function checkSecret(secret: string | undefined, given: string): boolean {
  if (secret === undefined) return false;
  return safeEqual(secret, given);
}
