// Views (DESIGN "Views, not sessions, do fan-out work"): push clients whose sessions would see
// exactly the same events — same read classes, event mask and filters — share one View. Once per
// event-loop turn with new log entries, each view with live members filters the new entries once
// and hands them to its sink (the transport), which formats each entry once (LogEntry.bytes) and
// fans the bytes out (a uWS topic per view for WebSockets, one corked write per SSE stream).
//
// A view's `published` is the first sequence number it has not yet handed on. A client joining
// catches up from its own position to `published` (from the ring, at its own pace) and only then
// goes live, so nothing is lost or repeated between the catch-up and the live stream.
import type { ClassMask, EventFilterRule } from '../auth/types.ts';
import { acceptsEntry } from '../auth/event-access.ts';
import type { EventLog, LogEntry, LogWaiter } from './event-log.ts';

/** What decides which events a reader sees. */
export interface ViewSpec {
  /** The user's servers (`servers = a,b`); undefined = all. */
  readonly serverMask: number | undefined;
  readonly readPerm: ClassMask;
  readonly eventMask: ClassMask;
  readonly filters: readonly EventFilterRule[];
}

/** Receives each view's new entries, once per turn. */
export interface ViewSink<C> {
  /** `entries` passed the view's filter, oldest first; `lost` entries fell out of the ring first. */
  deliver(view: View<C>, entries: readonly LogEntry[], lost: number): void;
}

// Rules other than FilterRule (no `source`) are told apart by identity.
const ruleIds = new WeakMap<EventFilterRule, number>();
let nextRuleId = 1;

function ruleKey(rule: EventFilterRule): string {
  const source = (rule as { source?: unknown }).source;
  // A FilterRule is fully determined by its source text (parseFilter is deterministic).
  if (typeof source === 'string') return (rule.exclude ? '!' : '') + source;
  let id = ruleIds.get(rule);
  if (id === undefined) ruleIds.set(rule, (id = nextRuleId++));
  return `\u0000${id}`;
}

/** Two specs with the same key accept exactly the same events. */
export function viewKey(spec: ViewSpec): string {
  let key = `${spec.serverMask ?? '*'}:${spec.readPerm}:${spec.eventMask}`;
  for (const r of spec.filters) key += '\u0001' + ruleKey(r);
  return key;
}

export class View<C> {
  readonly key: string;
  /** Small integer, unique while the registry lives (topic names are built from it). */
  readonly id: number;
  readonly serverMask: number | undefined;
  readonly readPerm: ClassMask;
  readonly eventMask: ClassMask;
  readonly filters: readonly EventFilterRule[];
  /** First sequence number not yet handed to the sink. */
  published: number;
  /** Clients that joined (live or still catching up); the view is dropped at 0. */
  members: number;
  /** Clients receiving the live stream (the sink's to manage). */
  readonly live: Set<C>;

  constructor(key: string, id: number, spec: ViewSpec, published: number) {
    this.key = key;
    this.id = id;
    this.serverMask = spec.serverMask;
    this.readPerm = spec.readPerm;
    this.eventMask = spec.eventMask;
    this.filters = spec.filters.slice();
    this.published = published;
    this.members = 0;
    this.live = new Set();
  }

  accepts(entry: LogEntry): boolean {
    return acceptsEntry(this.serverMask, this.readPerm, this.eventMask, this.filters, entry);
  }

  /** `accepts` bound once, for EventLog.collect. */
  readonly accept = (entry: LogEntry): boolean => this.accepts(entry);
}

export class ViewRegistry<C> implements LogWaiter {
  readonly log: EventLog;
  private readonly sink: ViewSink<C>;
  private readonly views: Map<string, View<C>>;
  private nextId: number;
  private readonly scratch: LogEntry[];

  constructor(log: EventLog, sink: ViewSink<C>) {
    this.log = log;
    this.sink = sink;
    this.views = new Map();
    this.nextId = 1;
    this.scratch = [];
    log.watch(this);
  }

  get size(): number {
    return this.views.size;
  }

  /** The view for `spec` (created if new); the caller must `leave` it once. */
  join(spec: ViewSpec): View<C> {
    const key = viewKey(spec);
    let v = this.views.get(key);
    if (v === undefined) {
      v = new View<C>(key, this.nextId++, spec, this.log.nextSeq);
      this.views.set(key, v);
    }
    v.members++;
    return v;
  }

  leave(view: View<C>): void {
    if (--view.members > 0) return;
    view.live.clear();
    if (this.views.get(view.key) === view) this.views.delete(view.key);
  }

  /** Once per event-loop turn that appended entries (EventLog batches the wake-ups). */
  wake(): void {
    const log = this.log;
    const end = log.nextSeq;
    const entries = this.scratch;
    for (const v of this.views.values()) {
      const seq = v.published;
      if (seq >= end) continue;
      v.published = end;
      // Nobody is live yet: clients still catching up read the ring themselves.
      if (v.live.size === 0) continue;
      const lost = log.lostBetween(seq, end, v.serverMask);
      entries.length = 0;
      log.collect(seq, end, v.accept, entries, v.serverMask);
      if (entries.length > 0 || lost > 0) this.sink.deliver(v, entries, lost);
    }
    entries.length = 0;
  }

  close(): void {
    this.log.unwatch(this);
    this.views.clear();
  }
}
