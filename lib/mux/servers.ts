// Several Asterisk servers behind one proxy: one AmiPool per server (its own connections,
// reconnect, event failover, stall detection), so one server down never touches the others.
// An action goes to the server its `Server` parameter names, or to the first one the user may
// reach; with more than one server every reply and event gets a `Server: NAME` line right after its
// first line, once, at ingestion — so every format (rawman, mxml, html, JSON, WebSocket, SSE) carries
// it without any formatter knowing. Events of every server go to one event log (a ring per server,
// one sequence space for the push endpoints); each entry remembers its server's bit for per-user
// limits and for its ring.
import { EventEmitter } from 'node:events';
import type { AmiMessage } from '../ami/message.ts';
import type { AmiPool } from './pool.ts';
import type { Headers } from './encode.ts';
import { insertHeader } from './rewrite.ts';
import { invalidArgument } from '../errors.ts';
import { MAX_SERVERS } from '../config/defaults.ts';

export interface NamedPool {
  /** As configured (`[asterisk:NAME]`); `default` for a plain `[asterisk]`. */
  readonly name: string;
  readonly pool: AmiPool;
}

/**
 * Events: 'event' (msg, index) — a server's event, already tagged when there are several;
 * 'eventsGap' (gapMs, index, conn) — that server's events resumed after a gap.
 */
export class AsteriskServers extends EventEmitter {
  readonly list: readonly NamedPool[];
  /** More than one server: replies and events carry `Server: NAME`. */
  readonly tagging: boolean;
  private readonly byName: Map<string, number>;

  constructor(list: readonly NamedPool[]) {
    super();
    if (list.length === 0 || list.length > MAX_SERVERS) throw invalidArgument(`1 to ${MAX_SERVERS} servers, got ${list.length}`);
    this.list = list;
    this.tagging = list.length > 1;
    this.byName = new Map(list.map((s, i) => [s.name.toLowerCase(), i]));
    list.forEach((s, i) => {
      const tag = this.tagging ? s.name : undefined;
      s.pool.on('event', (msg: AmiMessage) => this.emit('event', tag === undefined ? msg : insertHeader(msg, 'Server', tag), i));
      s.pool.on('eventsGap', (gapMs: number, conn: number) => this.emit('eventsGap', gapMs, i, conn));
    });
  }

  get first(): NamedPool {
    return this.list[0]!;
  }

  /** Index of the server named `name` (any case), or -1. */
  indexOf(name: string): number {
    return this.byName.get(name.trim().toLowerCase()) ?? -1;
  }

  /**
   * Which server an action goes to: the one its `Server` parameter names (undefined when absent),
   * else the first one in `mask` (the user's servers, bit i = server i; undefined = all). A string
   * is the error text for the client.
   */
  pick(mask: number | undefined, name: string | undefined): number | string {
    if (name === undefined || name.trim() === '') {
      if (mask === undefined) return 0;
      for (let i = 0; i < this.list.length; i++) if ((mask & (1 << i)) !== 0) return i;
      return 'Permission denied: no Asterisk server allowed for this user';
    }
    const i = this.indexOf(name);
    if (i === -1) return `Unknown server '${name.trim()}' (servers: ${this.list.map((s) => s.name).join(', ')})`;
    if (mask !== undefined && (mask & (1 << i)) === 0) return `Permission denied: server '${this.list[i]!.name}' is not allowed for this user`;
    return i;
  }

  /** Bit of server `index` in User.serverMask and LogEntry.serverBit. */
  bit(index: number): number {
    return 1 << index;
  }

  /** Sends an action to server `index`; the reply is tagged with `Server:` when there are several. */
  sendTo(index: number, headers: Headers): Promise<AmiMessage[]> {
    const s = this.list[index]!;
    const sent = s.pool.send(headers);
    if (!this.tagging) return sent;
    const name = s.name;
    return sent.then((msgs) => msgs.map((m) => insertHeader(m, 'Server', name)));
  }

  /** A message made by the proxy about server `index` (a gap notice), tagged like its events. */
  tag(msg: AmiMessage, index: number): AmiMessage {
    return this.tagging ? insertHeader(msg, 'Server', this.list[index]!.name) : msg;
  }

  /** At least one server has a ready connection. */
  get ready(): boolean {
    return this.list.some((s) => s.pool.ready);
  }

  start(): void {
    for (const s of this.list) s.pool.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.list.map((s) => s.pool.close()));
  }
}
