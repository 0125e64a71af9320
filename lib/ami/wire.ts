// AMI wire tokens and limits, declared once.

export const CR = 13;
export const LF = 10;
export const COLON = 58;
export const SPACE = 32;
export const TAB = 9;

export const CRLF = '\r\n';
export const CRLF_BUF = Buffer.from(CRLF);

/** Markers that close a pre-Asterisk-14 `Response: Follows` body. */
export const END_MARKERS = ['--END COMMAND--', '--END SMS EVENT--'].map((s) => Buffer.from(s));

/** AMI default TCP port. */
export const AMI_DEFAULT_PORT = 5038;
