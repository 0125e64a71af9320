// Notices the proxy itself puts into the event log, about the stream rather than about Asterisk.
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
