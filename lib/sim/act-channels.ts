// Channel actions: Status and CoreShowChannels (tcp_05, tcp_07), Originate (tcp_07, tcp_08b),
// Hangup, Getvar, Setvar — over the simulator's live channel model.
import type { AmiMessage } from '../ami/message.ts';
import { parseCallerId, type CallSpec } from './calls.ts';
import { snapshot, type Pairs, type SimChannel } from './channels.ts';
import { DIALPLAN, SYSTEM } from './perms.ts';
import * as reply from './reply.ts';
import type { ActionSession } from './host.ts';

const TRUE_WORDS = ['yes', 'true', 'y', 't', '1', 'on'];

function astTrue(v: string | undefined): boolean {
  return v !== undefined && TRUE_WORDS.includes(v.toLowerCase());
}

/** `sscanf("%30d")`: leading integer, or undefined. */
function scanInt(v: string): number | undefined {
  const m = /^\s*([+-]?\d+)/.exec(v);
  return m === null ? undefined : parseInt(m[1]!, 10);
}

function hms(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}

export function status(s: ActionSession, m: AmiMessage, id: string): void {
  const name = m.get('Channel') ?? '';
  const store = s.sim.channels;
  let list: SimChannel[];
  if (name !== '') {
    const ch = store.get(name);
    if (ch === undefined) {
      s.send(reply.error(id, 'No such channel'));
      return;
    }
    list = [ch];
  } else list = store.list();
  const wanted = (m.get('Variables') ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  let out = reply.listAck(id, 'Channel status will follow');
  for (const ch of list) {
    const pairs: Pairs = [
      ...snapshot(ch),
      ['Type', 'Local'],
      ['DNID', ''],
      ['EffectiveConnectedLineNum', ch.connNum || '<unknown>'],
      ['EffectiveConnectedLineName', ch.connName || '<unknown>'],
      ['TimeToHangup', '0'],
      ['BridgeID', ''],
      ['Application', ch.app],
      ['Data', ch.appData],
      ['Nativeformats', '(slin)'],
      ['Readformat', 'slin'],
      ['Readtrans', ''],
      ['Writeformat', 'slin'],
      ['Writetrans', ''],
      ['Callgroup', '0'],
      ['Pickupgroup', '0'],
      ['Seconds', String(ch.seconds)],
    ];
    for (const v of wanted) pairs.push(['Variable', `${v}=${ch.vars.get(v) ?? ''}`]);
    // Status items say `Privilege: Call` (a literal in manager.c, not authority_to_str).
    out += reply.itemIdLast('Status', [['Privilege', 'Call'], ...pairs], id);
  }
  out += reply.listComplete('StatusComplete', id, list.length, [['Items', String(list.length)]]);
  s.send(out);
}

export function coreShowChannels(s: ActionSession, _m: AmiMessage, id: string): void {
  const list = s.sim.channels.list();
  let out = reply.listAck(id, 'Channels will follow');
  for (const ch of list) {
    out += reply.itemIdFirst(
      'CoreShowChannel',
      [
        ...snapshot(ch),
        ['Application', ch.app],
        ['ApplicationData', ch.appData],
        ['Duration', hms(ch.seconds)],
        ['BridgeId', ''],
      ],
      id,
    );
  }
  out += reply.listComplete('CoreShowChannelsComplete', id, list.length);
  s.send(out);
}

/** Originate with an application that reaches a shell needs the system class too (manager.c). */
function forbiddenApp(app: string, data: string): string | undefined {
  const a = app.toLowerCase();
  if (['system', 'exec', 'mixmonitor', 'externalivr', 'originate'].some((w) => a.includes(w)) || (a.includes('agi') && a.length === 3)) {
    return 'Application';
  }
  if (data.includes('SHELL') || data.includes('EVAL')) return 'Data';
  return undefined;
}

export function originate(s: ActionSession, m: AmiMessage, id: string): void | Promise<void> {
  const channel = m.get('Channel') ?? '';
  if (channel === '') {
    s.send(reply.error(id, 'Channel not specified'));
    return;
  }
  const prioText = m.get('Priority') ?? '';
  const priority = prioText === '' ? 1 : scanInt(prioText);
  if (priority === undefined) {
    s.send(reply.error(id, 'Invalid priority'));
    return;
  }
  const timeoutText = m.get('Timeout') ?? '';
  if (timeoutText !== '' && scanInt(timeoutText) === undefined) {
    s.send(reply.error(id, 'Invalid timeout'));
    return;
  }
  const slash = channel.indexOf('/');
  if (slash === -1) {
    s.send(reply.error(id, 'Invalid channel'));
    return;
  }
  const application = m.get('Application') ?? '';
  const data = m.get('Data') ?? '';
  if (application !== '' && (s.writeperm & SYSTEM) === 0) {
    const bad = forbiddenApp(application, data);
    if (bad !== undefined) {
      s.send(reply.error(id, `Originate Access Forbidden: ${bad}`));
      return;
    }
  }
  const cid = parseCallerId(m.get('CallerID') ?? '');
  const variables: Array<readonly [string, string]> = [];
  for (const v of m.getAll('Variable')) {
    for (const item of v.split(',')) {
      const eq = item.indexOf('=');
      if (eq > 0) variables.push([item.slice(0, eq), item.slice(eq + 1)]);
    }
  }
  const isAsync = astTrue(m.get('Async'));
  const spec: CallSpec = {
    channel,
    context: m.get('Context') || 'default',
    exten: m.get('Exten') || 's',
    priority,
    application,
    data,
    callerIdNum: cid.num,
    callerIdName: cid.name,
    variables,
    originateResponse: isAsync,
    actionId: id,
  };
  const sim = s.sim;
  if (channel.slice(0, slash).toLowerCase() !== 'local') {
    // Only Local channels exist here: any other technology fails like an unreachable endpoint.
    if (!isAsync) {
      return new Promise((resolve) =>
        sim.later(10, () => {
          s.send(reply.error(id, 'Originate failed'));
          resolve();
        }),
      );
    }
    s.send(reply.ack(id, 'Originate successfully queued'));
    sim.later(10, () => sim.originateFailure(spec));
    return;
  }
  if (isAsync) {
    s.send(reply.ack(id, 'Originate successfully queued'));
    sim.later(sim.ringMs, () => sim.startCall(spec));
    return;
  }
  // Not Async: the session waits until the call is answered (Asterisk blocks its thread).
  return new Promise((resolve) => {
    sim.later(sim.ringMs, () =>
      sim.startCall(spec, () => {
        s.send(reply.ack(id, 'Originate successfully queued'));
        resolve();
      }),
    );
  });
}

export function hangup(s: ActionSession, m: AmiMessage, id: string): void {
  const name = m.get('Channel') ?? '';
  if (name === '') {
    s.send(reply.error(id, 'No channel specified'));
    return;
  }
  const causeText = m.get('Cause') ?? '';
  let cause = 0;
  if (causeText !== '') {
    cause = /^\d+$/.test(causeText) ? parseInt(causeText, 10) : -1;
    if (cause < 0 || cause > 127) cause = 0;
  }
  const store = s.sim.channels;
  if (!name.startsWith('/')) {
    const ch = store.get(name);
    if (ch === undefined) {
      s.send(reply.error(id, 'No such channel'));
      return;
    }
    s.send(reply.ack(id, 'Channel Hungup'));
    ch.onHangup?.(ch, cause);
    return;
  }
  // `Channel: /regex/` hangs up every match and lists them.
  let re: RegExp;
  try {
    re = new RegExp(name.slice(1, name.endsWith('/') && name.length > 1 ? -1 : undefined));
  } catch {
    s.send(reply.error(id, `Regex compile failed on: ${name}`));
    return;
  }
  const hit = store.list().filter((ch) => re.test(ch.name));
  let out = reply.listAck(id, 'Channels hung up will follow');
  for (const ch of hit) out += `Event: ChannelHungup\r\nChannel: ${ch.name}\r\n${reply.idLine(id)}\r\n`;
  out += reply.listComplete('ChannelsHungupListComplete', id, hit.length);
  s.send(out);
  for (const ch of hit) ch.onHangup?.(ch, cause);
}

function forbiddenVar(name: string, writeperm: number): boolean {
  return (writeperm & SYSTEM) === 0 && (name.includes('SHELL') || name.includes('EVAL'));
}

export function getvar(s: ActionSession, m: AmiMessage, id: string): void {
  const name = m.get('Variable') ?? '';
  if (name === '') {
    s.send(reply.error(id, 'No variable specified'));
    return;
  }
  if (forbiddenVar(name, s.writeperm)) {
    s.send(reply.error(id, 'GetVar Access Forbidden: Variable'));
    return;
  }
  const chanName = m.get('Channel') ?? '';
  let vars = s.sim.globals;
  if (chanName !== '') {
    const ch = s.sim.channels.get(chanName);
    if (ch === undefined) {
      s.send(reply.error(id, 'No such channel'));
      return;
    }
    vars = ch.vars;
  }
  s.send(reply.response('Success', id, [['Variable', name], ['Value', vars.get(name) ?? '']]));
}

export function setvar(s: ActionSession, m: AmiMessage, id: string): void {
  const name = m.get('Variable') ?? '';
  if (name === '') {
    s.send(reply.error(id, 'No variable specified'));
    return;
  }
  const value = m.get('Value') ?? '';
  const chanName = m.get('Channel') ?? '';
  if (chanName === '') {
    s.sim.globals.set(name, value);
    s.send(reply.ack(id, 'Variable Set'));
    s.sim.event('VarSet', DIALPLAN, [['Channel', 'none'], ['Uniqueid', 'none'], ['Variable', name], ['Value', value]]);
    return;
  }
  const ch = s.sim.channels.get(chanName);
  if (ch === undefined) {
    s.send(reply.error(id, 'No such channel'));
    return;
  }
  ch.vars.set(name, value);
  s.send(reply.ack(id, 'Variable Set'));
  s.sim.event('VarSet', DIALPLAN, [...snapshot(ch), ['Variable', name], ['Value', value]]);
}

/**
 * Redirect (manager.c action_redirect) of one channel: its dialplan location moves and a Newexten
 * says so. The simulator does not run the target's dialplan: the call goes on as it was.
 */
export function redirect(s: ActionSession, m: AmiMessage, id: string): void {
  const name = m.get('Channel') ?? '';
  if (name === '') {
    s.send(reply.error(id, 'Channel not specified'));
    return;
  }
  const prioText = m.get('Priority') ?? '';
  const priority = prioText === '' ? 1 : scanInt(prioText);
  if (priority === undefined) {
    s.send(reply.error(id, 'Invalid priority'));
    return;
  }
  const ch = s.sim.channels.get(name);
  if (ch === undefined) {
    s.send(reply.error(id, `Channel does not exist: ${name}`));
    return;
  }
  ch.context = m.get('Context') || ch.context;
  ch.exten = m.get('Exten') || ch.exten;
  ch.priority = priority;
  s.send(reply.ack(id, 'Redirect successful'));
  s.sim.event('Newexten', DIALPLAN, [...snapshot(ch), ['Extension', ch.exten], ['Application', ch.app], ['AppData', ch.appData]]);
}
