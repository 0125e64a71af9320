// app_queue as the simulator models it: queues, members and waiting callers, with the events
// Asterisk 22 sends (apps/app_queue.c: QueueCallerJoin/Leave/Abandon, AgentCalled/Connect/Complete,
// QueueMemberStatus/Added/Pause; field names and order as its JSON blobs and
// ast_manager_build_channel_state_string make them) and QueueStatus/QueueSummary built from the
// same state, so a wallboard's live numbers and a fresh QueueSummary always agree.
import { SimChannel, snapshot, STATE_RING, STATE_UP, type ChannelStore, type Pairs } from './channels.ts';
import { AGENT, CALL } from './perms.ts';

/** Device states (include/asterisk/devicestate.h) as QueueMemberStatus prints them. */
export const DEVICE_UNKNOWN = 0;
export const DEVICE_NOT_INUSE = 1;
export const DEVICE_INUSE = 2;
export const DEVICE_INVALID = 4;
export const DEVICE_UNAVAILABLE = 5;
export const DEVICE_RINGING = 6;

export interface QueueHost {
  readonly channels: ChannelStore;
  emit(name: string, category: number, pairs: Pairs): void;
  later(ms: number, fn: () => void): NodeJS.Timeout;
  cancel(t: NodeJS.Timeout): void;
}

export interface MemberSpec {
  name: string;
  iface: string;
  membership?: 'static' | 'dynamic';
}

export class QueueMember {
  readonly name: string;
  readonly iface: string;
  readonly membership: string;
  penalty = 0;
  callsTaken = 0;
  lastCall = 0;
  lastPause = 0;
  readonly loginTime: number;
  inCall = false;
  status = DEVICE_NOT_INUSE;
  paused = false;
  pausedReason = '';
  readonly ringinuse = 0;
  readonly wrapuptime = 0;

  constructor(spec: MemberSpec, loginTime: number) {
    this.name = spec.name;
    this.iface = spec.iface;
    this.membership = spec.membership ?? 'static';
    this.loginTime = loginTime;
  }

  /** app_queue's member_status_available and not paused: QueueSummary's Available. */
  get available(): boolean {
    return (this.status === DEVICE_NOT_INUSE || this.status === DEVICE_UNKNOWN) && !this.paused;
  }

  get loggedIn(): boolean {
    return this.status !== DEVICE_UNAVAILABLE && this.status !== DEVICE_INVALID;
  }
}

interface Entry {
  readonly chan: SimChannel;
  readonly start: number;
  readonly opos: number;
  /** While an agent's phone rings for this caller. */
  ringing: { member: QueueMember; agent: SimChannel; timer: NodeJS.Timeout } | undefined;
  patience: NodeJS.Timeout | undefined;
  readonly talkMs: number;
}

export interface QueueCallSpec {
  queue: string;
  callerIdNum: string;
  callerIdName: string;
  /** How long the caller waits for an agent before hanging up (abandon). */
  patienceMs: number;
  /** How long the agent's phone rings before it answers. */
  ringMs: number;
  /** Talk time once connected. */
  talkMs: number;
}

export class SimQueue {
  readonly name: string;
  readonly strategy = 'ringall';
  readonly maxlen = 0;
  /** Seconds (queues.conf servicelevel). */
  serviceLevel: number;
  readonly weight = 0;
  readonly members: QueueMember[] = [];
  readonly entries: Entry[] = [];
  holdtime = 0;
  talktime = 0;
  completed = 0;
  abandoned = 0;
  completedInSl = 0;
  abandonedInSl = 0;

  constructor(name: string, serviceLevel: number) {
    this.name = name;
    this.serviceLevel = serviceLevel;
  }

  member(nameOrIface: string): QueueMember | undefined {
    return this.members.find((m) => m.iface === nameOrIface || m.name === nameOrIface);
  }
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

/** `%2.1f` */
const perf = (n: number, d: number): string => (d > 0 ? ((100 * n) / d).toFixed(1) : '0.0');

export class QueueSystem {
  private readonly host: QueueHost;
  readonly queues: Map<string, SimQueue>;
  /** Active agent legs by channel, for hangups and talk timers. */
  private readonly talking: Map<SimChannel, { entry: Entry; member: QueueMember; queue: SimQueue; connected: number; timer: NodeJS.Timeout }>;

  constructor(host: QueueHost, startedAtSec: number) {
    this.host = host;
    this.queues = new Map();
    this.talking = new Map();
    // As configured on the capture machine (http_16d): one queue, one static member.
    const support = this.addQueue('support', 0);
    support.members.push(new QueueMember({ name: 'Agent300', iface: 'Local/300@test/n' }, startedAtSec));
  }

  addQueue(name: string, serviceLevel: number): SimQueue {
    let q = this.queues.get(name);
    if (q === undefined) {
      q = new SimQueue(name, serviceLevel);
      this.queues.set(name, q);
    }
    return q;
  }

  // ---- events ---------------------------------------------------------------------------------

  private memberPairs(q: SimQueue, m: QueueMember): Pairs {
    return [
      ['Queue', q.name],
      ['MemberName', m.name],
      ['Interface', m.iface],
      ['StateInterface', m.iface],
      ['Membership', m.membership],
      ['Penalty', String(m.penalty)],
      ['CallsTaken', String(m.callsTaken)],
      ['LastCall', String(m.lastCall)],
      ['LastPause', String(m.lastPause)],
      ['LoginTime', String(m.loginTime)],
      ['InCall', m.inCall ? '1' : '0'],
      ['Status', String(m.status)],
      ['Paused', m.paused ? '1' : '0'],
      ['PausedReason', m.pausedReason],
      ['Ringinuse', String(m.ringinuse)],
      ['Wrapuptime', String(m.wrapuptime)],
    ];
  }

  private memberEvent(name: string, q: SimQueue, m: QueueMember): void {
    this.host.emit(name, AGENT, this.memberPairs(q, m));
  }

  /** The member's device changed state: app_queue sends QueueMemberStatus for every queue it is in. */
  private setStatus(m: QueueMember, status: number, inCall: boolean): void {
    m.status = status;
    m.inCall = inCall;
    for (const q of this.queues.values()) if (q.members.includes(m)) this.memberEvent('QueueMemberStatus', q, m);
  }

  // ---- members --------------------------------------------------------------------------------

  /** QueueAdd: a dynamic member logs in (QueueMemberAdded). Returns false if already there. */
  addMember(queue: string, spec: MemberSpec): boolean {
    const q = this.queues.get(queue);
    if (q === undefined || q.member(spec.iface) !== undefined) return false;
    // One device in several queues is one member object, so its state is shared as in Asterisk.
    let m: QueueMember | undefined;
    for (const other of this.queues.values()) m ??= other.members.find((x) => x.iface === spec.iface);
    m ??= new QueueMember({ membership: 'dynamic', ...spec }, nowSec());
    q.members.push(m);
    this.memberEvent('QueueMemberAdded', q, m);
    return true;
  }

  /** QueuePause: pauses the member in `queue` (or every queue it is in when ''). */
  pause(queue: string, iface: string, paused: boolean, reason = ''): boolean {
    let found = false;
    for (const q of this.queues.values()) {
      if (queue !== '' && q.name !== queue) continue;
      const m = q.member(iface);
      if (m === undefined) continue;
      found = true;
      m.paused = paused;
      m.pausedReason = paused ? reason : '';
      m.lastPause = paused ? nowSec() : m.lastPause;
      this.memberEvent('QueueMemberPause', q, m);
    }
    if (found && !paused) for (const q of this.queues.values()) this.dispatch(q);
    return found;
  }

  // ---- callers --------------------------------------------------------------------------------

  /** A caller enters the queue (Queue() in the dialplan): channel events, then QueueCallerJoin. */
  call(spec: QueueCallSpec): SimChannel | undefined {
    const q = this.queues.get(spec.queue);
    if (q === undefined) return undefined;
    const ch = this.host.channels;
    const id = ch.nextUniqueid();
    const chan = new SimChannel(`PJSIP/trunk-${ch.nextLocalSuffix()}`, id, id, STATE_RING, 'from-trunk', q.name);
    chan.cidNum = spec.callerIdNum;
    chan.cidName = spec.callerIdName;
    ch.add(chan);
    this.host.emit('Newchannel', CALL, snapshot(chan));
    chan.state = STATE_UP;
    chan.answered = Date.now();
    chan.app = 'Queue';
    chan.appData = q.name;
    chan.priority = 2;
    this.host.emit('Newstate', CALL, snapshot(chan));
    const entry: Entry = { chan, start: Date.now(), opos: q.entries.length + 1, ringing: undefined, patience: undefined, talkMs: spec.talkMs };
    q.entries.push(entry);
    this.host.emit('QueueCallerJoin', AGENT, [...snapshot(chan), ['Queue', q.name], ['Position', String(q.entries.length)], ['Count', String(q.entries.length)]]);
    entry.patience = this.host.later(spec.patienceMs, () => {
      entry.patience = undefined;
      if (entry.ringing === undefined) this.abandon(q, entry, 16);
    });
    chan.onHangup = (_c, cause) => this.callerHungUp(q, entry, cause);
    this.dispatch(q, spec.ringMs);
    return chan;
  }

  /** Rings free members for waiting callers, head of the queue first. */
  private dispatch(q: SimQueue, ringMs = 1000): void {
    for (const entry of q.entries) {
      if (entry.ringing !== undefined) continue;
      const m = q.members.find((x) => x.available && !this.isRinging(x));
      if (m === undefined) return;
      this.ring(q, entry, m, ringMs);
    }
  }

  private isRinging(m: QueueMember): boolean {
    for (const q of this.queues.values()) for (const e of q.entries) if (e.ringing?.member === m) return true;
    return false;
  }

  private ring(q: SimQueue, entry: Entry, m: QueueMember, ringMs: number): void {
    const ch = this.host.channels;
    const dev = m.iface.replace(/\/n$/, '');
    const agent = new SimChannel(`${dev}-${ch.nextLocalSuffix()}`, ch.nextUniqueid(), entry.chan.linkedid, STATE_RING, 'agents', m.name);
    agent.cidNum = entry.chan.cidNum;
    agent.cidName = entry.chan.cidName;
    agent.app = 'AppQueue';
    agent.appData = '(Outgoing Line)';
    ch.add(agent);
    this.host.emit('Newchannel', CALL, snapshot(agent));
    this.host.emit('AgentCalled', AGENT, [...snapshot(entry.chan), ...snapshot(agent, 'Dest'), ['Queue', q.name], ['Interface', m.iface], ['MemberName', m.name]]);
    this.setStatus(m, DEVICE_RINGING, false);
    const timer = this.host.later(ringMs, () => this.connect(q, entry));
    entry.ringing = { member: m, agent, timer };
    agent.onHangup = () => this.agentRefused(q, entry);
  }

  /** The agent declined a ringing call: back to the queue. */
  private agentRefused(q: SimQueue, entry: Entry): void {
    const r = entry.ringing;
    if (r === undefined) return;
    this.host.cancel(r.timer);
    entry.ringing = undefined;
    this.hangupChannel(r.agent, 21);
    this.setStatus(r.member, DEVICE_NOT_INUSE, false);
    this.dispatch(q);
  }

  private connect(q: SimQueue, entry: Entry): void {
    const r = entry.ringing;
    if (r === undefined) return;
    entry.ringing = undefined;
    if (entry.patience !== undefined) this.host.cancel(entry.patience);
    const { member: m, agent } = r;
    const holdSec = Math.floor((Date.now() - entry.start) / 1000);
    this.leave(q, entry);
    agent.state = STATE_UP;
    agent.answered = Date.now();
    this.host.emit('Newstate', CALL, snapshot(agent));
    // recalc_holdtime: a running average weighted 3:1 toward the old value.
    q.holdtime = (q.holdtime * 3 + holdSec) >> 2;
    this.host.emit('AgentConnect', AGENT, [
      ...snapshot(entry.chan),
      ...snapshot(agent, 'Dest'),
      ['Queue', q.name],
      ['Interface', m.iface],
      ['MemberName', m.name],
      ['HoldTime', String(holdSec)],
      ['RingTime', String(Math.floor((Date.now() - agent.created) / 1000))],
    ]);
    this.setStatus(m, DEVICE_INUSE, true);
    const connected = Date.now();
    const timer = this.host.later(entry.talkMs, () => this.complete(agent, 'agent'));
    const talk = { entry, member: m, queue: q, connected, timer };
    this.talking.set(agent, talk);
    this.talking.set(entry.chan, talk);
    entry.chan.onHangup = () => this.complete(agent, 'caller');
    agent.onHangup = () => this.complete(agent, 'agent');
  }

  /** The end of a connected call: AgentComplete, both hangups, the member free again. */
  private complete(agent: SimChannel, reason: 'caller' | 'agent'): void {
    const t = this.talking.get(agent);
    if (t === undefined) return;
    const { entry, member: m, queue: q, connected } = t;
    this.talking.delete(agent);
    this.talking.delete(entry.chan);
    this.host.cancel(t.timer);
    const holdSec = Math.floor((connected - entry.start) / 1000);
    const talkSec = Math.floor((Date.now() - connected) / 1000);
    this.host.emit('AgentComplete', AGENT, [
      ...snapshot(entry.chan),
      ...snapshot(agent, 'Dest'),
      ['Queue', q.name],
      ['Interface', m.iface],
      ['MemberName', m.name],
      ['HoldTime', String(holdSec)],
      ['TalkTime', String(talkSec)],
      ['Reason', reason],
    ]);
    // update_queue: counted when the call ends, in the service level if answered in time.
    q.completed++;
    if (holdSec <= q.serviceLevel) q.completedInSl++;
    q.talktime = (q.talktime * 3 + talkSec) >> 2;
    m.callsTaken++;
    m.lastCall = nowSec();
    const [first, second] = reason === 'caller' ? [entry.chan, agent] : [agent, entry.chan];
    this.hangupChannel(first, 16);
    this.hangupChannel(second, 16);
    this.setStatus(m, DEVICE_NOT_INUSE, false);
    for (const queue of this.queues.values()) this.dispatch(queue);
  }

  private callerHungUp(q: SimQueue, entry: Entry, cause: number): void {
    this.abandon(q, entry, cause > 0 ? cause : 16);
  }

  /** record_abandoned, then leave_queue, then the caller's hangup. */
  private abandon(q: SimQueue, entry: Entry, cause: number): void {
    const idx = q.entries.indexOf(entry);
    if (idx === -1) return;
    if (entry.patience !== undefined) this.host.cancel(entry.patience);
    const r = entry.ringing;
    if (r !== undefined) {
      this.host.cancel(r.timer);
      entry.ringing = undefined;
      this.hangupChannel(r.agent, 26);
      this.setStatus(r.member, DEVICE_NOT_INUSE, false);
    }
    const holdSec = Math.floor((Date.now() - entry.start) / 1000);
    this.host.emit('QueueCallerAbandon', AGENT, [
      ...snapshot(entry.chan),
      ['Queue', q.name],
      ['Position', String(idx + 1)],
      ['OriginalPosition', String(entry.opos)],
      ['HoldTime', String(holdSec)],
    ]);
    q.abandoned++;
    if (holdSec <= q.serviceLevel) q.abandonedInSl++;
    this.leave(q, entry);
    this.hangupChannel(entry.chan, cause);
    this.dispatch(q);
  }

  /** leave_queue: QueueCallerLeave with the position it had and the count left. */
  private leave(q: SimQueue, entry: Entry): void {
    const idx = q.entries.indexOf(entry);
    q.entries.splice(idx, 1);
    this.host.emit('QueueCallerLeave', AGENT, [...snapshot(entry.chan), ['Queue', q.name], ['Count', String(q.entries.length)], ['Position', String(idx + 1)]]);
  }

  private hangupChannel(c: SimChannel, cause: number): void {
    c.onHangup = undefined;
    this.host.channels.remove(c);
    this.host.emit('Hangup', CALL, [...snapshot(c), ['Cause', String(cause)], ['Cause-txt', cause === 16 ? 'Normal Clearing' : cause === 21 ? 'Call Rejected' : cause === 26 ? 'Answered elsewhere' : 'Unknown']]);
  }

  /** Stops every timer without events (simulator closing). */
  abort(): void {
    for (const q of this.queues.values()) {
      for (const e of q.entries) {
        if (e.patience !== undefined) this.host.cancel(e.patience);
        if (e.ringing !== undefined) this.host.cancel(e.ringing.timer);
      }
      q.entries.length = 0;
    }
    for (const t of this.talking.values()) this.host.cancel(t.timer);
    this.talking.clear();
  }

  // ---- list actions (manager_queues_status / manager_queues_summary) --------------------------

  /** The items of QueueStatus: QueueParams, QueueMember..., QueueEntry... per queue. */
  statusItems(queueFilter: string, memberFilter: string): Array<[string, Pairs]> {
    const out: Array<[string, Pairs]> = [];
    const now = Date.now();
    for (const q of this.queues.values()) {
      if (queueFilter !== '' && queueFilter.toLowerCase() !== q.name.toLowerCase()) continue;
      out.push([
        'QueueParams',
        [
          ['Queue', q.name],
          ['Max', String(q.maxlen)],
          ['Strategy', q.strategy],
          ['Calls', String(q.entries.length)],
          ['Holdtime', String(q.holdtime)],
          ['TalkTime', String(q.talktime)],
          ['Completed', String(q.completed)],
          ['Abandoned', String(q.abandoned)],
          ['ServiceLevel', String(q.serviceLevel)],
          ['ServicelevelPerf', perf(q.completedInSl, q.completed)],
          ['ServicelevelPerf2', perf(q.abandonedInSl + q.completedInSl, q.abandoned + q.completed)],
          ['Weight', String(q.weight)],
        ],
      ]);
      for (const m of q.members) {
        if (memberFilter !== '' && memberFilter !== m.iface && memberFilter !== m.name) continue;
        out.push([
          'QueueMember',
          [
            ['Queue', q.name],
            ['Name', m.name],
            ['Location', m.iface],
            ['StateInterface', m.iface],
            ['Membership', m.membership === 'dynamic' ? 'dynamic' : 'static'],
            ['Penalty', String(m.penalty)],
            ['CallsTaken', String(m.callsTaken)],
            ['LastCall', String(m.lastCall)],
            ['LastPause', String(m.lastPause)],
            ['LoginTime', String(m.loginTime)],
            ['InCall', m.inCall ? '1' : '0'],
            ['Status', String(m.status)],
            ['Paused', m.paused ? '1' : '0'],
            ['PausedReason', m.pausedReason],
            ['Wrapuptime', String(m.wrapuptime)],
          ],
        ]);
      }
      q.entries.forEach((e, i) => {
        const c = e.chan;
        out.push([
          'QueueEntry',
          [
            ['Queue', q.name],
            ['Position', String(i + 1)],
            ['Channel', c.name],
            ['Uniqueid', c.uniqueid],
            ['CallerIDNum', c.cidNum || 'unknown'],
            ['CallerIDName', c.cidName || 'unknown'],
            ['ConnectedLineNum', c.connNum || 'unknown'],
            ['ConnectedLineName', c.connName || 'unknown'],
            ['Wait', String(Math.floor((now - e.start) / 1000))],
            ['Priority', '0'],
          ],
        ]);
      });
    }
    return out;
  }

  summaryItems(queueFilter: string): Pairs[] {
    const out: Pairs[] = [];
    const now = Date.now();
    for (const q of this.queues.values()) {
      if (queueFilter !== '' && queueFilter.toLowerCase() !== q.name.toLowerCase()) continue;
      let longest = 0;
      for (const e of q.entries) longest = Math.max(longest, Math.floor((now - e.start) / 1000));
      out.push([
        ['Queue', q.name],
        ['LoggedIn', String(q.members.filter((m) => m.loggedIn).length)],
        ['Available', String(q.members.filter((m) => m.loggedIn && m.available).length)],
        ['Callers', String(q.entries.length)],
        ['HoldTime', String(q.holdtime)],
        ['TalkTime', String(q.talktime)],
        ['LongestHoldTime', String(longest)],
      ]);
    }
    return out;
  }
}
