// Bearer tokens: made here (`ajam-proxy token`), stored only as their SHA-256 in the users file
// (`token = sha256:<64 hex>`), so a copy of that file grants nothing.
import * as crypto from 'node:crypto';

/** Random bytes per token: 256 bits, far beyond any online guessing. */
export const TOKEN_BYTES = 32;

/** Lower-case hex SHA-256 of a token as sent in `Authorization: Bearer <token>`. */
// One-shot crypto.hash (Node ≥ 20.12) costs about a third of createHash, and this runs on every
// bearer request; older Node 20 releases lack it.
const oneShot: ((algorithm: string, data: string, encoding: 'hex') => string) | undefined =
  typeof crypto.hash === 'function' ? crypto.hash : undefined;

export function tokenHash(token: string): string {
  return oneShot !== undefined ? oneShot('sha256', token, 'hex') : crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The users-file line that accepts this token. */
export function tokenLine(token: string): string {
  return `token = sha256:${tokenHash(token)}`;
}

/** A fresh token (32 random bytes, base64url: header-safe, no padding) and its users-file line. */
export function newToken(): { token: string; line: string } {
  const token = crypto.randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, line: tokenLine(token) };
}
