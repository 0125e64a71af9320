// Calls: the event sequences of a real Asterisk 22 running the captures' test dialplan
// (tcp_07_originate_events: Originate to an extension; tcp_08: Originate to an application).
// Every event is built from the live channel model, so Status during a call matches the events.
import { SimChannel, snapshot, STATE_DOWN, STATE_RING, STATE_UP, type ChannelStore, type Pairs } from './channels.ts';
import { CALL, CDR, DIALPLAN, USER } from './perms.ts';

/** What a call needs from the simulator. */
export interface CallHost {
  readonly channels: ChannelStore;
  /** Total length of a call, answer to hangup. */
  readonly callDurationMs: number;
  emit(name: string, category: number, pairs: Pairs): void;
  /** A tracked, unref'd timer (cleared on close). */
  later(ms: number, fn: () => void): NodeJS.Timeout;
  cancel(t: NodeJS.Timeout): void;
}

export interface CallSpec {
  /** Dial string, `Local/100@test`. */
  channel: string;
  /** Where ;1 goes when answered (extension flow) ... */
  context: string;
  exten: string;
  priority: number;
  /** ... or the application it runs (application flow) when set. */
  application: string;
  data: string;
  callerIdNum: string;
  callerIdName: string;
  variables: Array<readonly [string, string]>;
  /** OriginateResponse: sent when true (Async originate). */
  originateResponse: boolean;
  actionId: string;
}

const CAUSE_TXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
};

/** `ast_callerid_parse` for the usual shapes: `"Name" <num>`, `Name <num>`, `num`. */
export function parseCallerId(text: string): { name: string; num: string } {
  const t = text.trim();
  const lt = t.lastIndexOf('<');
  const gt = t.lastIndexOf('>');
  if (lt !== -1 && gt > lt) {
    let name = t.slice(0, lt).trim();
    if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1);
    return { name, num: t.slice(lt + 1, gt).trim() };
  }
  if (/^[0-9+*#]+$/.test(t)) return { name: '', num: t };
  return { name: t.replace(/^"(.*)"$/, '$1'), num: '' };
}

function clid(name: string, num: string): string {
  if (name !== '' && num !== '') return `"${name}" <${num}>`;
  return name !== '' ? name : num;
}

function cdrTime(ms: number): string {
  return ms === 0 ? '' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `exten@context` of a Local dial string (options after `/` dropped). */
export function localTarget(data: string): { exten: string; context: string } {
  const d = data.split('/')[0]!;
  const at = d.indexOf('@');
  return at === -1 ? { exten: d, context: 'default' } : { exten: d.slice(0, at), context: d.slice(at + 1) };
}

/** One Local channel pair from dial to Cdr. */
export class Call {
  private readonly host: CallHost;
  private readonly spec: CallSpec;
  readonly one: SimChannel;
  readonly two: SimChannel;
  private readonly device: string;
  private readonly timers: NodeJS.Timeout[];
  private ended: boolean;
  /** Called when the originating side is answered (a non-Async Originate replies then). */
  private readonly onAnswer: (() => void) | undefined;
  private readonly onEnd: (() => void) | undefined;

  constructor(host: CallHost, spec: CallSpec, onAnswer?: () => void, onEnd?: () => void) {
    this.host = host;
    this.spec = spec;
    this.onAnswer = onAnswer;
    this.onEnd = onEnd;
    this.timers = [];
    this.ended = false;
    const data = spec.channel.slice(spec.channel.indexOf('/') + 1);
    const { exten, context } = localTarget(data);
    this.device = `Local/${exten}@${context}`;
    const ch = host.channels;
    const base = `Local/${data.split('/')[0]}-${ch.nextLocalSuffix()}`;
    const id1 = ch.nextUniqueid();
    this.one = new SimChannel(`${base};1`, id1, id1, STATE_DOWN, context, exten);
    this.two = new SimChannel(`${base};2`, ch.nextUniqueid(), id1, STATE_RING, context, exten);
    const hang = (c: SimChannel, cause: number): void => this.hangup(c, cause);
    this.one.onHangup = hang;
    this.two.onHangup = hang;
  }

  /** Runs the call: the dial and answer now, the rest of the dialplan on timers. */
  start(): void {
    const D = this.host.callDurationMs;
    this.dial();
    if (this.spec.application !== '') {
      this.at(D / 2, () => this.finish(this.one, 0, false));
    } else {
      this.at(D / 4, () => this.playbackDone());
      this.at(D, () => this.extenTail());
    }
  }

  private at(ms: number, fn: () => void): void {
    this.timers.push(this.host.later(ms, fn));
  }

  private ev(name: string, category: number, pairs: Pairs): void {
    this.host.emit(name, category, pairs);
  }

  private newexten(c: SimChannel, app: string, data: string): void {
    c.app = app;
    c.appData = data;
    this.ev('Newexten', DIALPLAN, [...snapshot(c), ['Extension', c.exten], ['Application', app], ['AppData', data]]);
  }

  private varset(c: SimChannel, name: string, shown: string, value = shown): void {
    c.vars.set(name, value);
    this.ev('VarSet', DIALPLAN, [...snapshot(c), ['Variable', name], ['Value', shown]]);
  }

  private step(c: SimChannel, priority: number, app: string, data: string): void {
    c.priority = priority;
    this.newexten(c, app, data);
  }

  private callerId(c: SimChannel, connectedFirst: boolean): void {
    const { callerIdNum: num, callerIdName: name } = this.spec;
    c.cidNum = num;
    c.cidName = name;
    if (connectedFirst) {
      c.connNum = num;
      c.connName = name;
    }
    this.ev('NewCallerid', CALL, [...snapshot(c), ['CID-CallingPres', '0 (Presentation Allowed, Not Screened)']]);
    c.connNum = num;
    c.connName = name;
    this.ev('NewConnectedLine', CALL, snapshot(c));
  }

  private dial(): void {
    const { one, two, spec } = this;
    const channels = this.host.channels;
    channels.add(one);
    channels.add(two);
    this.ev('Newchannel', CALL, snapshot(one));
    this.ev('Newchannel', CALL, snapshot(two));
    this.newexten(one, 'AppDial2', '(Outgoing Line)');
    const hasCid = spec.callerIdNum !== '' || spec.callerIdName !== '';
    for (const [k, v] of spec.variables) this.varset(one, k, v);
    if (hasCid) this.callerId(one, false);
    for (const [k, v] of spec.variables) this.varset(two, k, v);
    if (hasCid) this.callerId(two, true);
    this.ev('LocalBridge', CALL, [
      ...snapshot(one, 'LocalOne'),
      ...snapshot(two, 'LocalTwo'),
      ['Context', two.context],
      ['Exten', two.exten],
      ['LocalOptimization', 'Yes'],
    ]);
    this.ev('DialBegin', CALL, [...snapshot(one, 'Dest'), ['DialString', `${two.exten}@${two.context}`]]);
    this.newexten(two, 'Answer', '');
    const now = Date.now();
    two.state = STATE_UP;
    two.answered = now;
    this.ev('Newstate', CALL, snapshot(two));
    this.deviceState('INUSE');
    one.state = STATE_UP;
    one.answered = now;
    this.ev('Newstate', CALL, snapshot(one));
    this.ev('DialEnd', CALL, [...snapshot(one, 'Dest'), ['DialStatus', 'ANSWER']]);
    if (spec.application !== '') {
      // tcp_08: the device state lands before the OriginateResponse in the application flow.
      this.deviceState('INUSE');
      this.answered();
      one.app = spec.application;
      one.appData = spec.data;
      this.step(two, 2, 'Wait', '2');
      return;
    }
    this.answered();
    this.deviceState('INUSE');
    one.context = spec.context;
    one.exten = spec.exten;
    this.step(one, spec.priority, 'Answer', '');
    this.step(one, spec.priority + 1, 'Set', 'CALLTYPE=peer-test');
    this.varset(one, 'CALLTYPE', 'peer-test');
    this.step(one, spec.priority + 2, 'Playback', 'peer-silence');
    this.step(two, 2, 'Wait', '2');
  }

  private answered(): void {
    const { spec, one } = this;
    if (spec.originateResponse) {
      const target: Pairs =
        spec.application !== ''
          ? [['Application', spec.application], ['Data', spec.data]]
          : [['Context', spec.context], ['Exten', spec.exten]];
      const pairs: Pairs = [];
      if (spec.actionId !== '') pairs.push(['ActionID', spec.actionId]);
      pairs.push(['Response', 'Success'], ['Channel', one.name], ...target, ['Reason', '4'], ['Uniqueid', one.uniqueid]);
      pairs.push(['CallerIDNum', one.cidNum || '<unknown>'], ['CallerIDName', one.cidName || '<unknown>']);
      this.ev('OriginateResponse', CALL, pairs);
    }
    this.onAnswer?.();
  }

  private deviceState(state: string): void {
    this.ev('DeviceStateChange', CALL, [['Device', this.device], ['State', state]]);
  }

  private playbackDone(): void {
    const p = this.one.priority;
    this.varset(this.one, 'PLAYBACKSTATUS', 'SUCCESS');
    this.step(this.one, p + 1, 'Wait', '1');
  }

  private extenTail(): void {
    const one = this.one;
    const p = one.priority;
    const weird = `a<b>&"c"'d`;
    this.step(one, p + 1, 'Set', `WEIRD=${weird}`);
    // VarSet values are C-escaped by Asterisk.
    this.varset(one, 'WEIRD', `a<b>&\\"c\\"\\'d`, weird);
    this.step(one, p + 2, 'Set', '__INHERITED=yes');
    this.varset(one, '__INHERITED', 'yes');
    this.step(one, p + 3, 'UserEvent', `PeerTest,Status: done,Weird: ${weird}`);
    // UserEvent drops the double quotes (the app's argument parser eats them).
    this.ev('UserEvent', USER, [...snapshot(one), ['UserEvent', 'PeerTest'], ['Status', 'done'], ['Weird', `a<b>&c'd`]]);
    this.step(one, p + 4, 'Hangup', '');
    this.finish(one, 16, true);
  }

  /** The Hangup action (or a dialplan Hangup) on one side. */
  hangup(c: SimChannel, cause: number): void {
    this.finish(c, cause > 0 ? cause : 16, true);
  }

  /** Hangup events for both sides, then the Cdrs and device states (tcp_07 / tcp_08 order). */
  private finish(first: SimChannel, cause: number, soft: boolean): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) this.host.cancel(t);
    this.timers.length = 0;
    const other = first === this.one ? this.two : this.one;
    if (soft) this.ev('SoftHangupRequest', CALL, [...snapshot(first), ['Cause', String(cause)]]);
    this.ev('HangupRequest', CALL, [...snapshot(other), ['Cause', String(cause)]]);
    this.ev('Hangup', CALL, [...snapshot(first), ['Cause', String(cause)], ['Cause-txt', CAUSE_TXT[cause] ?? 'Unknown']]);
    this.ev('SoftHangupRequest', CALL, [...snapshot(other), ['Cause', '16']]);
    this.ev('Hangup', CALL, [...snapshot(other), ['Cause', '0'], ['Cause-txt', 'Unknown']]);
    const channels = this.host.channels;
    channels.remove(this.one);
    channels.remove(this.two);
    channels.processed++;
    const end = Date.now();
    this.cdr(this.one, end);
    this.cdr(this.two, end);
    this.deviceState('NOT_INUSE');
    this.deviceState('NOT_INUSE');
    this.onEnd?.();
  }

  private cdr(c: SimChannel, end: number): void {
    this.ev('Cdr', CDR, [
      ['AccountCode', c.accountCode],
      ['Source', c.cidNum],
      ['Destination', c.exten],
      ['DestinationContext', c.context],
      ['CallerID', clid(c.cidName, c.cidNum)],
      ['Channel', c.name],
      ['DestinationChannel', ''],
      ['LastApplication', c.app],
      ['LastData', c.appData],
      ['StartTime', cdrTime(c.created)],
      ['AnswerTime', cdrTime(c.answered)],
      ['EndTime', cdrTime(end)],
      ['Duration', String(Math.floor((end - c.created) / 1000))],
      ['BillableSeconds', String(c.answered === 0 ? 0 : Math.floor((end - c.answered) / 1000))],
      ['Disposition', c.answered === 0 ? 'NO ANSWER' : 'ANSWERED'],
      ['AMAFlags', 'DOCUMENTATION'],
      ['UniqueID', c.uniqueid],
      ['UserField', ''],
    ]);
  }

  /** Stops the call's timers without events (simulator closing). */
  abort(): void {
    this.ended = true;
    for (const t of this.timers) this.host.cancel(t);
    this.timers.length = 0;
  }
}
