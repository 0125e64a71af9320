// The simulator's channel model: the few fields Asterisk's channel snapshot puts in events, kept
// mutable so Status / CoreShowChannels during a call show where each channel is in the dialplan.

export type Pairs = Array<readonly [string, string]>;

export const STATE_DOWN = 0;
export const STATE_RING = 4;
export const STATE_UP = 6;

const STATE_DESC: Record<number, string> = {
  0: 'Down',
  1: 'Rsrvd',
  2: 'OffHook',
  3: 'Dialing',
  4: 'Ring',
  5: 'Ringing',
  6: 'Up',
  7: 'Busy',
};

export class SimChannel {
  readonly name: string;
  state: number;
  cidNum: string;
  cidName: string;
  connNum: string;
  connName: string;
  readonly language: string;
  accountCode: string;
  context: string;
  exten: string;
  priority: number;
  readonly uniqueid: string;
  readonly linkedid: string;
  app: string;
  appData: string;
  readonly created: number;
  answered: number;
  readonly vars: Map<string, string>;
  /** Called by the Hangup action; set by whoever drives the channel (a call). */
  onHangup: ((ch: SimChannel, cause: number) => void) | undefined;

  constructor(name: string, uniqueid: string, linkedid: string, state: number, context: string, exten: string) {
    this.name = name;
    this.state = state;
    this.cidNum = '';
    this.cidName = '';
    this.connNum = '';
    this.connName = '';
    this.language = 'en';
    this.accountCode = '';
    this.context = context;
    this.exten = exten;
    this.priority = 1;
    this.uniqueid = uniqueid;
    this.linkedid = linkedid;
    this.app = '';
    this.appData = '';
    this.created = Date.now();
    this.answered = 0;
    this.vars = new Map();
    this.onHangup = undefined;
  }

  get stateDesc(): string {
    return STATE_DESC[this.state] ?? 'Unknown';
  }

  /** Seconds since the channel was created. */
  get seconds(): number {
    return Math.floor((Date.now() - this.created) / 1000);
  }
}

function orUnknown(s: string): string {
  return s === '' ? '<unknown>' : s;
}

/** The channel snapshot headers (`ast_manager_build_channel_state_string_prefix`). */
export function snapshot(ch: SimChannel, prefix = ''): Pairs {
  return [
    [prefix + 'Channel', ch.name],
    [prefix + 'ChannelState', String(ch.state)],
    [prefix + 'ChannelStateDesc', ch.stateDesc],
    [prefix + 'CallerIDNum', orUnknown(ch.cidNum)],
    [prefix + 'CallerIDName', orUnknown(ch.cidName)],
    [prefix + 'ConnectedLineNum', orUnknown(ch.connNum)],
    [prefix + 'ConnectedLineName', orUnknown(ch.connName)],
    [prefix + 'Language', ch.language],
    [prefix + 'AccountCode', ch.accountCode],
    [prefix + 'Context', ch.context],
    [prefix + 'Exten', ch.exten],
    [prefix + 'Priority', String(ch.priority)],
    [prefix + 'Uniqueid', ch.uniqueid],
    [prefix + 'Linkedid', ch.linkedid],
  ];
}

/** Live channels plus the counters Asterisk uses to name them. */
export class ChannelStore {
  private readonly byName: Map<string, SimChannel>;
  private uniqueCounter: number;
  private localCounter: number;
  /** Calls completed (for `core show channels`). */
  processed: number;

  constructor() {
    this.byName = new Map();
    this.uniqueCounter = 0;
    this.localCounter = 0;
    this.processed = 0;
  }

  /** `<epoch>.<n>` like Asterisk without a systemname. */
  nextUniqueid(): string {
    return `${Math.floor(Date.now() / 1000)}.${this.uniqueCounter++}`;
  }

  /** The 8-hex-digit suffix of the next Local channel pair. */
  nextLocalSuffix(): string {
    return (this.localCounter++).toString(16).padStart(8, '0');
  }

  add(ch: SimChannel): void {
    this.byName.set(ch.name.toLowerCase(), ch);
  }

  remove(ch: SimChannel): void {
    this.byName.delete(ch.name.toLowerCase());
  }

  /** By name, case-insensitive (`ast_channel_get_by_name`). */
  get(name: string): SimChannel | undefined {
    return this.byName.get(name.toLowerCase());
  }

  get size(): number {
    return this.byName.size;
  }

  /** Newest first, the order the captures show. */
  list(): SimChannel[] {
    return [...this.byName.values()].reverse();
  }

  /** Distinct linkedids: active calls. */
  calls(): number {
    const ids = new Set<string>();
    for (const ch of this.byName.values()) ids.add(ch.linkedid);
    return ids.size;
  }
}
