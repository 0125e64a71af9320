// A reply's body in its route's format, using the log entries' once-formatted forms where the reply
// carries events (WaitEvent): an event is formatted once per format, whichever session's reply it
// goes into (DESIGN "Format once, fan out bytes"); only the proxy-made messages around the events
// (Response, EventsLost, WaitEventComplete) are formatted per request.
//
// mxml and html blocks of consecutive messages join into exactly the whole-reply translation when
// every message ends in a blank line (lib/format/mxml.ts mxmlBlock); a reply with a message that
// does not is translated whole, as is an mxml reply with a non-default ajaxdest/ajaxobjtype (the
// cached blocks carry the default opener).
import type { LogEntry } from '../events/event-log.ts';
import { jsonMessage } from '../format/json.ts';
import { DEFAULT_DEST, DEFAULT_OBJTYPE, mxmlBlock, mxmlJoin } from '../format/mxml.ts';
import { htmlBlock, htmlJoin } from '../format/html.ts';
import { jsonOutput } from '../format/push.ts';

export type ReplyFormat = 'json' | 'mxml' | 'html' | 'htmlDigest';

/** True when the bytes end in a line break followed by an empty line (CRLF CRLF or CRLF LF). */
function endsWithBlankLine(b: Buffer): boolean {
  const n = b.length;
  if (n >= 4 && b[n - 4] === 13 && b[n - 3] === 10 && b[n - 2] === 13 && b[n - 1] === 10) return true;
  return n >= 3 && b[n - 3] === 13 && b[n - 2] === 10 && b[n - 1] === 10;
}

function mxmlOf(e: LogEntry): Buffer {
  return e.bytes('mxml', (m) => mxmlBlock(m.raw));
}

function htmlOf(e: LogEntry): Buffer {
  return e.bytes('html', (m) => htmlBlock(m.raw));
}

function jsonOf(e: LogEntry): Buffer {
  return e.bytes('json', jsonMessage);
}

/**
 * The body from the entries' caches, or undefined when this reply must be translated whole
 * (no entries, a message without a closing blank line, or a non-default mxml target).
 */
export function cachedBody(
  format: ReplyFormat,
  output: readonly Buffer[],
  entries: ReadonlyArray<LogEntry | undefined> | undefined,
  target?: { dest: string; objtype: string },
): Buffer | undefined {
  if (entries === undefined) return undefined;
  if (format === 'json') return jsonOutput(output, output.map((_, i) => (entries[i] === undefined ? undefined : jsonOf(entries[i]!))));
  if (format === 'mxml') {
    const dest = target?.dest ?? '';
    const objtype = target?.objtype ?? '';
    if ((dest !== '' && dest !== DEFAULT_DEST) || (objtype !== '' && objtype !== DEFAULT_OBJTYPE)) return undefined;
  }
  for (const b of output) if (!endsWithBlankLine(b)) return undefined;
  const blocks = new Array<Buffer>(output.length);
  for (let i = 0; i < output.length; i++) {
    const e = entries[i];
    if (format === 'mxml') blocks[i] = e === undefined ? mxmlBlock(output[i]!) : mxmlOf(e);
    else blocks[i] = e === undefined ? htmlBlock(output[i]!) : htmlOf(e);
  }
  return format === 'mxml' ? mxmlJoin(blocks) : htmlJoin(blocks, format === 'htmlDigest');
}
