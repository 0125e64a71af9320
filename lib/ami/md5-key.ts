// The MD5 `Key` of an AMI `Login AuthType: MD5`: part of the wire protocol, computed by the
// connection for its own login and checked by auth/ for clients.
import { createHash } from 'node:crypto';

/** Lowercase hex of md5(challenge + secret), as Asterisk computes it. */
export function md5Key(challenge: string, secret: string): string {
  return createHash('md5').update(challenge, 'utf8').update(secret, 'utf8').digest('hex');
}
