// One error model: AjamError with a stable code and an optional `cause` (as undici's errors).
// Keep apart:
//  - an AMI `Response: Error` (a value, never an exception; when the proxy itself answers for
//    Asterisk, the reason is one of the AMI_ERR_* codes below and its text is failureText(code)),
//  - broken framing or a dead connection (reported as an AjamError, then reset / reconnect),
//  - API misuse (throws AjamError(AJAM_ERR_INVALID_ARG) synchronously).

export const ErrorCodes = {
  // AMI wire / parser
  AMI_ERR_MESSAGE_TOO_LARGE: 'AMI_ERR_MESSAGE_TOO_LARGE',
  AMI_ERR_MALFORMED: 'AMI_ERR_MALFORMED',
  AMI_ERR_INVALID_HEADER: 'AMI_ERR_INVALID_HEADER',
  // AMI connection
  AMI_ERR_CONNECT: 'AMI_ERR_CONNECT',
  AMI_ERR_LOGIN: 'AMI_ERR_LOGIN',
  AMI_ERR_BOOT_TIMEOUT: 'AMI_ERR_BOOT_TIMEOUT',
  AMI_ERR_CONNECTION_LOST: 'AMI_ERR_CONNECTION_LOST',
  /** TCP open but Asterisk answers nothing (keepalive or stall probe unanswered). */
  AMI_ERR_KEEPALIVE: 'AMI_ERR_KEEPALIVE',
  // an action the proxy had to answer itself
  AMI_ERR_ACTION_TIMEOUT: 'AMI_ERR_ACTION_TIMEOUT',
  AMI_ERR_NOT_CONNECTED: 'AMI_ERR_NOT_CONNECTED',
  AMI_ERR_CLOSED: 'AMI_ERR_CLOSED',
  // config
  CONF_ERR_SYNTAX: 'CONF_ERR_SYNTAX',
  CONF_ERR_VALUE: 'CONF_ERR_VALUE',
  CONF_ERR_UNKNOWN_CLASS: 'CONF_ERR_UNKNOWN_CLASS',
  CONF_ERR_FILE: 'CONF_ERR_FILE',
  // HTTP
  HTTP_ERR_LISTEN: 'HTTP_ERR_LISTEN',
  // API misuse (a programming error in the caller, not bad input from the network)
  AJAM_ERR_INVALID_ARG: 'AJAM_ERR_INVALID_ARG',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class AjamError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AjamError';
    this.code = code;
  }
}

/** API misuse: a bad option or argument (thrown synchronously, never for network input). */
export function invalidArgument(message: string): AjamError {
  return new AjamError(ErrorCodes.AJAM_ERR_INVALID_ARG, message);
}

/** Why the proxy answered an action itself instead of Asterisk. */
export type FailureCode =
  | typeof ErrorCodes.AMI_ERR_CONNECTION_LOST
  | typeof ErrorCodes.AMI_ERR_KEEPALIVE
  | typeof ErrorCodes.AMI_ERR_NOT_CONNECTED
  | typeof ErrorCodes.AMI_ERR_CLOSED
  | typeof ErrorCodes.AMI_ERR_ACTION_TIMEOUT;

/** The `Message:` of the `Response: Error` for a FailureCode (timeouts add their duration). */
export function failureText(code: FailureCode, timeoutMs = 0): string {
  switch (code) {
    case ErrorCodes.AMI_ERR_CONNECTION_LOST:
      return 'AMI connection lost';
    case ErrorCodes.AMI_ERR_KEEPALIVE:
      return 'AMI connection stalled (Asterisk answered nothing)';
    case ErrorCodes.AMI_ERR_NOT_CONNECTED:
      return 'AMI not connected';
    case ErrorCodes.AMI_ERR_CLOSED:
      return 'AMI connection closed';
    case ErrorCodes.AMI_ERR_ACTION_TIMEOUT:
      return `AMI action timed out after ${timeoutMs} ms without an answer from Asterisk`;
  }
}
