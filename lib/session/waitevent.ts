// WaitEvent over HTTP (spec §4.1–4.3): a long-poll on the session's cursor.
//
// - Timeout (seconds, C `%i` syntax) missing or -1 means the maximum; the maximum is the session's
//   remaining life minus 10 s, floored at 0; 0 polls. Pending events return at once.
// - Reply: Response/[ActionID]/Message, the events, `Event: WaitEventComplete`/[ActionID].
// - A second WaitEvent on the session makes the first return an empty output; events stay queued.
// - The cursor advances only through the result's `commit()`, called once the reply is written.
import type { EventLog, LogEntry, LogWaiter } from '../events/event-log.ts';
import { eventsLostMessage, type Cursor } from '../events/cursor.ts';
import type { ParkedWait, Session } from './session.ts';
import type { ActionRequest } from './request.ts';
import type { ActionResult } from './types.ts';
import { MSG, success } from './replies.ts';
import { DEFAULTS } from '../config/defaults.ts';

/** Asterisk keeps 10 s of the session's life in reserve (spec §4.1). */
const RESERVE_MS = 10_000;

const TAIL = Buffer.from('Event: WaitEventComplete\r\n\r\n');
/** The reply's first message without an ActionID (built once: most long-polls send none). */
const COMPLETED = success(undefined, MSG.WAITEVENT_COMPLETED);

export function waitEvent(
  log: EventLog,
  s: Session,
  req: ActionRequest,
  maxReplyBytes: number = DEFAULTS.maxReplyBytes,
): ActionResult | Promise<ActionResult> {
  let timeout = parseCInt(req.get('Timeout')) ?? -1;
  if (timeout < -1) timeout = -1;
  const maxMs = Math.max(0, s.expiresAt - Date.now() - RESERVE_MS);
  const timeoutMs = timeout < 0 || timeout * 1000 > maxMs ? maxMs : timeout * 1000;

  // As Asterisk: a session with events off is switched back on by WaitEvent (spec §4.1); like the
  // per-session queue of Asterisk's new design, it then starts from now.
  if (s.eventMask === 0) {
    s.eventMask = s.readPerm;
    s.cursor!.reset();
  }

  const previous = s.wait;
  if (previous !== null) previous.supersede();

  if (s.destroyed || timeoutMs === 0 || s.cursor!.pending(s.accept)) return complete(s, req.actionId, maxReplyBytes);
  return new Promise<ActionResult>((resolve) => {
    const w = new ParkedWaitEvent(log, s, req.actionId, maxReplyBytes, resolve);
    s.wait = w;
    log.watch(w);
    w.timer = setTimeout(onTimeout, timeoutMs, w);
  });
}

/**
 * The reply with what the session may see now, at most `maxBytes` of events (AMI bytes; at least
 * one event, so a reply always makes progress): the rest stay pending, in order, for the next
 * WaitEvent. The cursor moves on `commit()`, to just after the last event sent.
 */
function complete(s: Session, actionId: string, maxBytes: number): ActionResult {
  const cursor = s.cursor!;
  const read = cursor.read(s.accept);
  const { entries, lost } = read;
  let end = read.end;
  const output: Buffer[] = [actionId ? success(actionId, MSG.WAITEVENT_COMPLETED) : COMPLETED];
  if (lost > 0) output.push(eventsLostMessage(lost));
  const cached: Array<LogEntry | undefined> = new Array<LogEntry | undefined>(output.length).fill(undefined);
  let bytes = 0;
  let n = 0;
  for (; n < entries.length; n++) {
    const raw = entries[n]!.msg.raw;
    if (n > 0 && bytes + raw.length > maxBytes) {
      end = entries[n]!.seq;
      break;
    }
    bytes += raw.length;
    output.push(raw);
    cached.push(entries[n]);
  }
  output.push(actionId ? Buffer.from(`Event: WaitEventComplete\r\nActionID: ${actionId}\r\n\r\n`) : TAIL);
  return {
    output,
    entries: entries.length > 0 ? cached : undefined,
    // bind, not an arrow: under tsx (keepNames) every named closure costs a defineProperty, and
    // this runs once per reply (it was 5% of the proxy's time at 1,000 long-polls).
    commit: commitRead.bind(null, cursor, end, n, lost),
  };
}

/** The reply was written: the cursor moves past what it carried, and the metrics count it. */
function commitRead(cursor: Cursor, end: number, sent: number, lost: number): void {
  cursor.commit(end);
  const counts = cursor.log.delivered;
  counts.events += sent;
  counts.lost += lost;
}

class ParkedWaitEvent implements LogWaiter, ParkedWait {
  readonly log: EventLog;
  readonly session: Session;
  readonly actionId: string;
  readonly maxBytes: number;
  readonly resolve: (r: ActionResult) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;

  constructor(log: EventLog, session: Session, actionId: string, maxBytes: number, resolve: (r: ActionResult) => void) {
    this.log = log;
    this.session = session;
    this.actionId = actionId;
    this.maxBytes = maxBytes;
    this.resolve = resolve;
    this.timer = undefined;
    this.done = false;
  }

  /** New entries in the log (at most once per event-loop turn): return if any is for us. */
  wake(): void {
    const s = this.session;
    if (!this.done && s.cursor!.pending(s.accept)) this.finish(false);
  }

  supersede(): void {
    this.finish(true);
  }

  sessionEnded(): void {
    this.finish(false);
  }

  finish(empty: boolean): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.log.unwatch(this);
    if (this.session.wait === this) this.session.wait = null;
    this.resolve(empty ? { output: [] } : complete(this.session, this.actionId, this.maxBytes));
  }
}

function onTimeout(w: ParkedWaitEvent): void {
  w.finish(false);
}

/**
 * C `sscanf("%i")`: optional blanks and sign, then `0x` hex, `0` octal or decimal, stopping at the
 * first other character. Undefined when no number starts the text (Asterisk then keeps -1).
 */
export function parseCInt(text: string): number | undefined {
  // The usual case (`Timeout=30`) without the regular expression.
  if (text.length > 0 && text.length < 10 && text.charCodeAt(0) > 48 && text.charCodeAt(0) <= 57) {
    let n = 0;
    let i = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    if (i === text.length) return n;
  }
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (m === null) return undefined;
  const digits = m[2]!;
  let n: number;
  if (digits.length > 2 && (digits[1] === 'x' || digits[1] === 'X')) n = parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits[0] === '0') n = parseInt(digits, 8);
  else n = parseInt(digits, 10);
  if (n > 0x7fffffff) n = 0x7fffffff;
  return m[1] === '-' ? -n : n;
}
