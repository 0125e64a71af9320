// After a users reload (SIGHUP): may a session (or a push stream) that `old` opened from `address`
// go on? Only if the reloaded file still has that user with the same credentials (secret, bearer
// tokens), classes and servers, and its ACL still admits the address. A removed token line, a
// changed secret or a narrowed permit ends what was opened with the old ones (README "Signals").
import type { User } from './types.ts';

export function reloadKeeps(old: User, now: User | undefined, address: string): boolean {
  return (
    now !== undefined &&
    now.secret === old.secret &&
    now.secretSha256 === old.secretSha256 &&
    now.read === old.read &&
    now.write === old.write &&
    now.serverMask === old.serverMask &&
    sameTokens(now.tokenHashes, old.tokenHashes) &&
    now.allows(address)
  );
}

function sameTokens(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((h) => y.includes(h));
}
