// Security events (category security): SuccessfulAuth as tcp_01 shows it, RequestBadFormat as the
// corpus shows it; the others follow the same layout (required fields first, optional last).
import type { Pairs } from './channels.ts';
import { SECURITY } from './perms.ts';
import { eventTV } from './reply.ts';
import type { ActionSession } from './host.ts';

/** Events whose AccountID is a required field (printed right after EventVersion). */
const ACCOUNT_REQUIRED = new Set(['SuccessfulAuth', 'RequestNotAllowed', 'InvalidAccountID', 'InvalidPassword', 'ChallengeResponseFailed']);

export function securityEvent(s: ActionSession, name: string, severity: string, specific: Pairs, account = s.username): void {
  const required = ACCOUNT_REQUIRED.has(name);
  const pairs: Pairs = [
    ['EventTV', eventTV(Date.now())],
    ['Severity', severity],
    ['Service', 'AMI'],
    ['EventVersion', '1'],
  ];
  if (required) pairs.push(['AccountID', account]);
  pairs.push(['SessionID', s.sessionId], ['LocalAddress', s.localAddress], ['RemoteAddress', s.remoteAddress]);
  pairs.push(...specific, ['SessionTV', s.sessionTV]);
  if (!required && account !== '') pairs.push(['AccountID', account]);
  s.sim.event(name, SECURITY, pairs);
}
