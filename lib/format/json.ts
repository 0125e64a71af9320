// JSON (not an Asterisk format): a reply is an array with one object per AMI message, in order.
//   [{"Response":"Success","ActionID":"1","Ping":"Pong","Timestamp":"1786788000.123456"}]
// - Keys keep their case and their order (the object is written by hand, so a key like "2" is not
//   moved to the front as a JS object would do).
// - A repeated key becomes an array of its values in order: {"Output":["a","b"]}.
// - The text of a pre-Asterisk-14 `Response: Follows` body (as received, line ends included) goes in
//   "body"; so do lines without a colon elsewhere (joined with "\n"). Should a header literally
//   named "body" exist too, the values are kept together as an array, so nothing is lost.
import type { AmiMessage } from '../ami/message.ts';

const BODY = 'body';
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** One message as a JSON object, UTF-8 bytes. */
export function jsonMessage(msg: AmiMessage): Buffer {
  return Buffer.from(jsonMessageString(msg));
}

function jsonMessageString(msg: AmiMessage): string {
  const fields = new Map<string, string | string[]>();
  let opaque: string[] | undefined;
  for (let i = 0; i < msg.count; i++) {
    if (msg.isOpaque(i)) {
      (opaque ??= []).push(msg.key(i));
      continue;
    }
    add(fields, msg.key(i), msg.value(i));
  }
  const body = msg.body;
  if (body !== undefined) (opaque ??= []).push(body);
  if (opaque !== undefined) add(fields, BODY, opaque.join('\n'));
  let s = '{';
  let first = true;
  for (const [k, v] of fields) {
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + JSON.stringify(v);
    first = false;
  }
  return s + '}';
}

function add(fields: Map<string, string | string[]>, k: string, v: string): void {
  const prev = fields.get(k);
  if (prev === undefined) fields.set(k, v);
  else if (Array.isArray(prev)) prev.push(v);
  else fields.set(k, [prev, v]);
}

/** A whole reply: `[msg, msg, …]`, UTF-8 bytes. */
export function json(messages: readonly AmiMessage[]): Buffer {
  let s = '[';
  for (let i = 0; i < messages.length; i++) s += (i === 0 ? '' : ',') + jsonMessageString(messages[i]!);
  return Buffer.from(s + ']');
}

/** Joins per-message objects made by jsonMessage (format once, fan out) into a reply array. */
export function jsonJoin(objects: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  for (let i = 0; i < objects.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(objects[i]!);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
