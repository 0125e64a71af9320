// Whether an event reaches a reader (spec §4.4), as a function of what decides it: the user's read
// classes and the reader's event mask must each hold ALL of the event's classes, then the
// eventfilters / Filter rules. Sessions (lib/session/session.ts) and push views
// (lib/events/views.ts, many sessions with the same values) both call this one rule.
import type { AmiMessage } from '../ami/message.ts';
import type { LogEntry } from '../events/event-log.ts';
import type { ClassMask, EventFilterRule } from './types.ts';
import { shouldSendEvent } from './filter.ts';

export function acceptsEvent(
  readPerm: ClassMask,
  eventMask: ClassMask,
  filters: readonly EventFilterRule[],
  classes: ClassMask,
  msg: AmiMessage,
): boolean {
  if ((readPerm & classes) !== classes || (eventMask & classes) !== classes) return false;
  // An event without a `Privilege:` (classes 0) needs events to be on at all.
  if (classes === 0 && eventMask === 0) return false;
  return filters.length === 0 || shouldSendEvent(filters, msg);
}

/**
 * Whether a log entry reaches a reader: a user limited to some servers (`servers = a,b`, its
 * serverMask) sees only their entries; a proxy notice (an events gap) reaches every reader with
 * events on; an event follows acceptsEvent.
 */
export function acceptsEntry(
  serverMask: number | undefined,
  readPerm: ClassMask,
  eventMask: ClassMask,
  filters: readonly EventFilterRule[],
  entry: LogEntry,
): boolean {
  if (serverMask !== undefined && (serverMask & entry.serverBit) === 0) return false;
  return entry.notice ? eventMask !== 0 : acceptsEvent(readPerm, eventMask, filters, entry.classes, entry.msg);
}
