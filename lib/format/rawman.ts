// /rawman: the AMI output bytes exactly as they are (spec §3.2) — every message of the reply,
// each already ending in its blank line. Nothing is re-encoded.

const EMPTY = Buffer.alloc(0);

/** Concatenation of the messages' bytes; a single message is returned as is (no copy). */
export function rawman(messages: readonly Buffer[]): Buffer {
  if (messages.length === 1) return messages[0]!;
  if (messages.length === 0) return EMPTY;
  return Buffer.concat(messages as Buffer[]);
}
