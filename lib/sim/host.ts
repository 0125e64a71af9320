// What the simulator's actions may reach, as interfaces (as CallHost is for calls): an action sees
// its session (ActionSession) and, through it, the simulated Asterisk (SimHost), never the TCP
// server or the SimSession class. Keeps act-*.ts testable and free of import cycles.
import type { CallSpec } from './calls.ts';
import type { ChannelStore, Pairs } from './channels.ts';
import type { QueueSystem } from './queues.ts';
import type { RegisteredAction } from './registry.ts';

/** A manager.conf user with its class lists resolved to masks. */
export interface SimAccount {
  username: string;
  secret: string;
  readMask: number;
  writeMask: number;
}

/** The simulated Asterisk as actions see it. */
export interface SimHost {
  readonly amiVersion: string;
  readonly asteriskVersion: string;
  /** Answer Command in the pre-Asterisk-14 `Response: Follows` form. */
  readonly followsCommand: boolean;
  readonly loginFailDelayMs: number;
  /** An Originate's call starts this long after the action. */
  readonly ringMs: number;
  readonly startedAtSec: number;
  readonly uptime: number;
  readonly sinceReload: number;
  readonly channels: ChannelStore;
  readonly globals: Map<string, string>;
  /** astdb: `/family/key` -> value. */
  readonly db: Map<string, string>;
  /** app_queue: queues, members, waiting callers. */
  readonly queues: QueueSystem;
  findUser(name: string): SimAccount | undefined;
  /** The actions this Asterisk registers, in ListCommands order (the captured set minus `missingActions`). */
  readonly actions: ReadonlyArray<RegisteredAction>;
  /** A registered action by name, as Asterisk looks it up (case-insensitive); undefined if not registered. */
  findAction(name: string): RegisteredAction | undefined;
  /** An event from pairs, sent to every session whose filters let it through. */
  event(name: string, category: number, pairs: Pairs): void;
  /** An event from a ready-made body (header lines after `Event:` and `Privilege:`). */
  emitBody(name: string, category: number, body: string): void;
  startCall(spec: CallSpec, onAnswer?: () => void, onEnd?: () => void): unknown;
  originateFailure(spec: CallSpec): void;
  /** A tracked, unref'd timer (cleared on close). */
  later(ms: number, fn: () => void): NodeJS.Timeout;
  cancel(t: NodeJS.Timeout): void;
}

/** One AMI client session as actions see it. */
export interface ActionSession {
  readonly sim: SimHost;
  /** Like Asterisk's session pointer in security events. */
  readonly sessionId: string;
  readonly sessionTV: string;
  readonly localAddress: string;
  readonly remoteAddress: string;
  authenticated: boolean;
  username: string;
  readperm: number;
  writeperm: number;
  /** Asterisk's `send_events`: -1 (all) until Events / Login's Events changes it. */
  sendEvents: number;
  challenge: string;
  send(data: string | Buffer): void;
  /** Closes once everything queued has been written (Logoff, failed login). */
  end(): void;
  /** Waits until client input, an event for this session, close, or `ms` (-1: no limit). */
  waitForActivity(ms: number): Promise<void>;
}
