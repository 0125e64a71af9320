// Reads a manager connection the way Asterisk's get_input() and do_message() do (main/manager.c),
// so that what the simulator acts on is what a real Asterisk would act on:
//  - lines end with CRLF or a bare LF; a lone CR is part of the line;
//  - a line lives in a 1025-byte buffer (1024 usable): when the buffer is full with no end of line,
//    the bytes are dropped but the last one, and the message is answered with
//    `Failed to parse message: line too long` at its blank line, not run. A line of 1023 bytes before
//    its CRLF thus leaves its CR behind, and the LF then reads as an empty line: the message ends
//    there and the lines after it form the next message;
//  - at most 128 header lines (AST_MAX_MANHEADERS); more and the message is answered with
//    `Too many lines in message or allocation failure`, not run;
//  - every blank line ends a message, even an empty one (which is then `Missing action in request`).

/** sizeof(mansession_session.inbuf) - 1. */
export const LINE_BUFFER_BYTES = 1024;
/** AST_MAX_MANHEADERS. */
export const MAX_HEADER_LINES = 128;

export const LINE_TOO_LONG = 'Failed to parse message: line too long';
export const TOO_MANY_LINES = 'Too many lines in message or allocation failure';

export interface ManagerInputSink {
  /**
   * One message: its header lines (without their line ends) and, when Asterisk would not run it,
   * the error text it answers with instead.
   */
  message(lines: Buffer[], parseError: string | undefined): void;
}

const CR = 0x0d;
const LF = 0x0a;

export class ManagerInput {
  private readonly sink: ManagerInputSink;
  /** The start of a line not ended yet (fewer than LINE_BUFFER_BYTES bytes), or null. */
  private partial: Buffer | null = null;
  private lines: Buffer[] = [];
  private lineTooLong = false;
  private tooManyLines = false;

  constructor(sink: ManagerInputSink) {
    this.sink = sink;
  }

  /**
   * Reads the bytes in place: a line is a view of the chunk (socket chunks are not reused). Where
   * Asterisk's buffer would fill up, the same bytes are dropped as get_input() drops them: a line
   * ends in the buffer when its LF lies within LINE_BUFFER_BYTES of its start; otherwise all but the
   * window's last byte go and the line goes on from that byte.
   */
  push(chunk: Buffer): void {
    const data = this.partial === null ? chunk : Buffer.concat([this.partial, chunk]);
    this.partial = null;
    let pos = 0;
    while (pos < data.length) {
      const window = Math.min(data.length, pos + LINE_BUFFER_BYTES);
      const lf = data.indexOf(LF, pos);
      if (lf !== -1 && lf < window) {
        this.line(data.subarray(pos, lf > pos && data[lf - 1] === CR ? lf - 1 : lf));
        pos = lf + 1;
      } else if (window - pos === LINE_BUFFER_BYTES) {
        // Buffer full and no end of line: keep the last byte (it may be the CR of a CRLF).
        this.lineTooLong = true;
        pos = window - 1;
      } else {
        // A copy: a view would keep the whole chunk alive for a few bytes.
        this.partial = Buffer.from(data.subarray(pos));
        return;
      }
    }
  }

  private line(line: Buffer): void {
    if (line.length > 0) {
      if (this.lines.length < MAX_HEADER_LINES) this.lines.push(line);
      else this.tooManyLines = true;
      return;
    }
    const error = this.tooManyLines ? TOO_MANY_LINES : this.lineTooLong ? LINE_TOO_LONG : undefined;
    const lines = this.lines;
    this.lines = [];
    // do_message() leaves the line-too-long state only through handle_parse_error(); when too many
    // lines were answered first, the state carries over to the next message, as in Asterisk.
    if (error === LINE_TOO_LONG) this.lineTooLong = false;
    this.tooManyLines = false;
    this.sink.message(lines, error);
  }
}
