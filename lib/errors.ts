// One errors module with stable codes. Keep apart:
//  - an AMI `Response: Error` (a value, never an exception),
//  - broken framing or a dead connection (reported, then reset / reconnect),
//  - API misuse (throws).

export const ErrorCodes = {
  // AMI wire / parser
  AMI_ERR_MESSAGE_TOO_LARGE: 'AMI_ERR_MESSAGE_TOO_LARGE',
  AMI_ERR_MALFORMED: 'AMI_ERR_MALFORMED',
  // AMI connection
  AMI_ERR_CONNECT: 'AMI_ERR_CONNECT',
  AMI_ERR_LOGIN: 'AMI_ERR_LOGIN',
  AMI_ERR_CONNECTION_LOST: 'AMI_ERR_CONNECTION_LOST',
  AMI_ERR_KEEPALIVE: 'AMI_ERR_KEEPALIVE',
  AMI_ERR_BOOT_TIMEOUT: 'AMI_ERR_BOOT_TIMEOUT',
  AMI_ERR_ACTION_TIMEOUT: 'AMI_ERR_ACTION_TIMEOUT',
  AMI_ERR_NOT_CONNECTED: 'AMI_ERR_NOT_CONNECTED',
  AMI_ERR_INVALID_HEADER: 'AMI_ERR_INVALID_HEADER',
  // config
  CONF_ERR_SYNTAX: 'CONF_ERR_SYNTAX',
  CONF_ERR_VALUE: 'CONF_ERR_VALUE',
  CONF_ERR_UNKNOWN_CLASS: 'CONF_ERR_UNKNOWN_CLASS',
  CONF_ERR_FILE: 'CONF_ERR_FILE',
  // HTTP
  HTTP_ERR_BAD_REQUEST: 'HTTP_ERR_BAD_REQUEST',
  HTTP_ERR_TOO_LARGE: 'HTTP_ERR_TOO_LARGE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class AjamError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AjamError';
    this.code = code;
  }
}
