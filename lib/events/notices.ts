// Notices the proxy itself puts into the event log, about the stream rather than about Asterisk.
// Every session with events on receives them, whatever its read classes and eventfilters (they
// need no class: LogEntry.notice), in every format (WaitEvent, /json, WebSocket, SSE). Their names
// start with `Proxy` (or are Asterisk's own EventsLost) so they are never mistaken for an event of
// Asterisk such as `Shutdown`.
import { AmiMessage } from '../ami/message.ts';

/**
 * No AMI connection carried events for `gapMs` (the events connection dropped or stalled and
 * another took over, or all were down): whatever Asterisk emitted meanwhile is gone, and how many
 * that was is unknowable, so `Count: unknown` (a cursor's own EventsLost has a number there).
 */
export function eventsGapNotice(gapMs: number): AmiMessage {
  return AmiMessage.from([
    ['Event', 'EventsLost'],
    ['Count', 'unknown'],
    ['Reason', 'AMI events connection lost'],
    ['GapMs', String(Math.max(0, Math.round(gapMs)))],
  ]);
}

/** Why no AMI connection is up, in words for any HTTP user (no host names or ports). */
export type AmiDownReason = 'connection lost' | 'not connected';

const REASON_TEXT: Record<AmiDownReason, string> = {
  'connection lost': 'The AMI connection to Asterisk was lost; the proxy is reconnecting',
  'not connected': 'No AMI connection to Asterisk is up yet; the proxy keeps trying',
};

/**
 * `Event: ProxyAMIDown`: the proxy has no AMI connection to Asterisk (or Asterisk has not sent
 * FullyBooted yet): actions are answered with an error, no events arrive, and what a page shows
 * may be stale until `ProxyAMIUp`.
 */
export function amiDownNotice(reason: AmiDownReason): AmiMessage {
  return AmiMessage.from([
    ['Event', 'ProxyAMIDown'],
    ['Status', reason === 'not connected' ? 'Not connected' : 'Down'],
    ['Reason', REASON_TEXT[reason]],
  ]);
}

/**
 * `Event: ProxyAMIUp`: the AMI link is back after a ProxyAMIDown. Asterisk may have restarted
 * meanwhile: channels a page shows may be gone, so it should re-read them (Status,
 * CoreShowChannels). Uptime / LastReload are Asterisk's, from its FullyBooted, when known.
 */
export function amiUpNotice(boot: { uptime: number; lastReload: number } | undefined): AmiMessage {
  const pairs: Array<[string, string]> = [['Event', 'ProxyAMIUp'], ['Status', 'Up']];
  if (boot !== undefined) pairs.push(['Uptime', String(Math.floor(boot.uptime))], ['LastReload', String(Math.floor(boot.lastReload))]);
  return AmiMessage.from(pairs);
}
