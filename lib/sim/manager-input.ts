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
  private readonly buf = Buffer.allocUnsafe(LINE_BUFFER_BYTES);
  private inlen = 0;
  private lines: Buffer[] = [];
  private lineTooLong = false;
  private tooManyLines = false;

  constructor(sink: ManagerInputSink) {
    this.sink = sink;
  }

  push(chunk: Buffer): void {
    let at = 0;
    for (;;) {
      while (this.takeLine()) {
        // every complete line in the buffer first, as get_input() does before it reads again
      }
      if (this.inlen >= LINE_BUFFER_BYTES) {
        // Buffer full and no end of line: keep the last byte (it may be the CR of a CRLF).
        this.buf[0] = this.buf[this.inlen - 1]!;
        this.inlen = 1;
        this.lineTooLong = true;
        continue;
      }
      if (at >= chunk.length) return;
      const n = Math.min(LINE_BUFFER_BYTES - this.inlen, chunk.length - at);
      chunk.copy(this.buf, this.inlen, at, at + n);
      this.inlen += n;
      at += n;
    }
  }

  /** Takes one line out of the buffer if it holds a whole one. */
  private takeLine(): boolean {
    const buf = this.buf;
    const len = this.inlen;
    for (let x = 0; x < len; x++) {
      let end: number;
      if (buf[x] === CR && x + 1 < len && buf[x + 1] === LF) end = 2;
      else if (buf[x] === LF) end = 1;
      else continue;
      const line = Buffer.from(buf.subarray(0, x));
      buf.copy(buf, 0, x + end, len);
      this.inlen = len - x - end;
      this.line(line);
      return true;
    }
    return false;
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
