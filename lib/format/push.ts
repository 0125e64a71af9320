// Push formats (not Asterisk's): the JSON reply of /json and /ajson from a reply's raw AMI messages,
// and the frames of /ws and the records of /events (text/event-stream). Events are formatted once
// per log entry and format (LogEntry.bytes), so every client of every view shares the same bytes.
import type { AmiMessage } from '../ami/message.ts';
import { AmiParser } from '../ami/parser.ts';
import { jsonJoin, jsonMessage } from './json.ts';

/** A reply's messages (each Buffer one or more whole AMI messages, as rawman writes them) as AmiMessages. */
export function parseOutput(output: readonly Buffer[]): AmiMessage[] {
  const out: AmiMessage[] = [];
  // A parser per call: its messages keep references into its line pool.
  const parser = new AmiParser({ onMessage: (m) => out.push(m) });
  for (const b of output) parser.push(b);
  return out;
}

/**
 * The /json body: `[{…},{…}]`, one object per AMI message in order. `cached[i]`, when given,
 * supplies message i's object already formatted (a log entry's shared bytes).
 */
export function jsonOutput(output: readonly Buffer[], cached?: ReadonlyArray<Buffer | undefined>): Buffer {
  const objects: Buffer[] = [];
  for (let i = 0; i < output.length; i++) {
    const hit = cached?.[i];
    if (hit !== undefined) objects.push(hit);
    else for (const m of parseOutput([output[i]!])) objects.push(jsonMessage(m));
  }
  return jsonJoin(objects);
}

const FRAME_SEQ = '{"seq":';
const FRAME_EVENT = ',"event":';

/** WebSocket event frame: `{"seq":123,"event":{…}}`. */
export function wsEventFrame(seq: number, msg: AmiMessage): Buffer {
  return Buffer.concat([Buffer.from(FRAME_SEQ + seq + FRAME_EVENT), jsonMessage(msg), CLOSE_BRACE]);
}

const CLOSE_BRACE = Buffer.from('}');

/**
 * Why a resuming client lost an unknown number of events: its resume point is newer than anything
 * this log handed out, so it comes from before a proxy restart (sequence numbers start again at 1).
 */
export const RESUME_AHEAD_REASON = "resume point is not from this run of the proxy's event log (the proxy restarted)";

/** The EventsLost event as JSON; `unknown` (after a restart) says why, as the failover notice does. */
function eventsLostJson(count: number | 'unknown'): string {
  if (count === 'unknown') return `{"Event":"EventsLost","Count":"unknown","Reason":${JSON.stringify(RESUME_AHEAD_REASON)}}`;
  return `{"Event":"EventsLost","Count":"${count}"}`;
}

/** The EventsLost notice as a WebSocket frame; `seq` is the last lost sequence number. */
export function wsEventsLostFrame(seq: number, count: number | 'unknown'): Buffer {
  return Buffer.from(`${FRAME_SEQ}${seq}${FRAME_EVENT}${eventsLostJson(count)}}`);
}

/** One action's reply frame: `{"actionid":"a1","messages":[…]}` (`messages` as /json returns). */
export function wsReplyFrame(actionId: string, messagesJson: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{"actionid":${JSON.stringify(actionId)},"messages":`), messagesJson, CLOSE_BRACE]);
}

/** `{"error":"<reason>"}`. */
export function wsErrorFrame(reason: string): Buffer {
  return Buffer.from(JSON.stringify({ error: reason }));
}

/** The `event:` field: the Event name; anything that could break the record's line framing is dropped. */
function sseEventName(name: string): string {
  return name.replace(/[\r\n]/g, '');
}

/** SSE record: `id: <seq>`, `event: <Event name>`, `data: <the event as one JSON object>`, blank line. */
export function sseRecord(seq: number, name: string, msg: AmiMessage): Buffer {
  // JSON.stringify escapes CR and LF, so the data is one line.
  const head = `id: ${seq}\n` + (name === '' ? '' : `event: ${sseEventName(name)}\n`) + 'data: ';
  return Buffer.concat([Buffer.from(head), jsonMessage(msg), SSE_END]);
}

const SSE_END = Buffer.from('\n\n');

/** The EventsLost record; its id is the last lost sequence number. */
export function sseEventsLostRecord(seq: number, count: number | 'unknown'): Buffer {
  return Buffer.from(`id: ${seq}\nevent: EventsLost\ndata: ${eventsLostJson(count)}\n\n`);
}

/** The heartbeat: a comment line (ignored by EventSource) that keeps idle proxies from timing out. */
export const SSE_HEARTBEAT = Buffer.from(':\n\n');

/** A comment line between records: written to push out bytes the socket held (see push-sse.ts). */
export const SSE_NOOP = Buffer.from(':\n');
