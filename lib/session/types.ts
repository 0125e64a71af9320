// What the session layer hands back to the HTTP layer, and what it needs from the AMI pool.
import type { AmiMessage } from '../ami/message.ts';
import type { LogEntry } from '../events/event-log.ts';

export interface ActionResult {
  /** AMI messages of the reply, in order; the rawman body is their concatenation (may be empty). */
  output: Buffer[];
  /**
   * Call once the response has been written to the client (not when the write failed or the
   * client went away): advances the session's event cursor past the events in `output`.
   */
  commit?: () => void;
  /** The session ended with this request (Logoff, failed login); it is already destroyed. */
  destroySession?: boolean;
  /**
   * Parallel to `output` (WaitEvent): where output[i] is a log entry's bytes, that entry, so the
   * HTTP layer uses the entry's once-formatted forms (DESIGN "Format once, fan out bytes").
   */
  entries?: ReadonlyArray<LogEntry | undefined>;
}

/** The part of AmiPool (lib/mux/pool.ts) the dispatcher uses. */
export interface ActionSender {
  send(headers: ReadonlyArray<readonly [string, string]>): Promise<AmiMessage[]>;
}

/** Several Asterisk servers (lib/mux/servers.ts): which one an action goes to, and sending there. */
export interface ServerRouter {
  /**
   * Server index for a user's server mask (User.serverMask) and the action's `Server` parameter
   * (undefined if absent), or an error text.
   */
  pick(mask: number | undefined, name: string | undefined): number | string;
  sendTo(index: number, headers: ReadonlyArray<readonly [string, string]>): Promise<AmiMessage[]>;
}

/**
 * The client's address, or an object that yields it when read. The HTTP layer passes a lazy one:
 * decoding the address from uWS cost more than the whole session lookup, and only a new session
 * and Login's ACL check need it. Read it synchronously, before any await (the HTTP response it
 * comes from may be gone after).
 */
export type ClientAddress = string | { readonly address: string };

export function addressOf(a: ClientAddress): string {
  return typeof a === 'string' ? a : a.address;
}
