// Action dispatch in manager.c's `process_message` order: missing action, the unauthenticated
// allow-list, unknown action, write-class check (any one class is enough), then the handler.
import type { AmiMessage } from '../ami/message.ts';
import * as reply from './reply.ts';
import { securityEvent } from './security.ts';
import type { ActionSession } from './host.ts';
import * as sess from './act-session.ts';
import * as chan from './act-channels.ts';
import * as info from './act-info.ts';

/** A handler may return a promise: the session runs nothing else until it settles. */
export type Handler = (s: ActionSession, m: AmiMessage, id: string) => void | Promise<void>;

const HANDLERS = new Map<string, Handler>([
  ['login', sess.login],
  ['logoff', sess.logoff],
  ['challenge', sess.challenge],
  ['ping', sess.ping],
  ['events', sess.events],
  ['listcommands', sess.listCommands],
  ['waitevent', sess.waitEvent],
  ['userevent', sess.userEvent],
  ['getvar', chan.getvar],
  ['setvar', chan.setvar],
  ['status', chan.status],
  ['coreshowchannels', chan.coreShowChannels],
  ['originate', chan.originate],
  ['hangup', chan.hangup],
  ['redirect', chan.redirect],
  ['command', info.command],
  ['queuestatus', info.queueStatus],
  ['queuesummary', info.queueSummary],
  ['queuepause', info.queuePause],
  ['coresettings', info.coreSettings],
  ['corestatus', info.coreStatus],
  ['dbget', info.dbGet],
  ['dbput', info.dbPut],
  ['dbdel', info.dbDel],
  ['dbgettree', info.dbGetTree],
]);

const PRE_LOGIN = new Set(['login', 'logoff', 'challenge']);

export function dispatch(s: ActionSession, m: AmiMessage): void | Promise<void> {
  // Asterisk reads the first non-empty Action header (GET_HEADER_SKIP_EMPTY).
  let action = m.get('Action') ?? '';
  if (action === '') action = m.getAll('Action').find((v) => v !== '') ?? '';
  const id = m.get('ActionID') ?? '';
  if (action === '') {
    s.send(reply.error(id, 'Missing action in request'));
    return;
  }
  const low = action.toLowerCase();
  if (!s.authenticated && !PRE_LOGIN.has(low)) {
    s.send(reply.error(id, 'Permission denied'));
    return;
  }
  const reg = s.sim.findAction(action);
  if (reg === undefined) {
    s.send(reply.error(id, `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`));
    securityEvent(s, 'RequestBadFormat', 'Error', [['RequestType', `Action: ${action}`]]);
    return;
  }
  if (reg.authority !== 0 && (s.writeperm & reg.authority) === 0) {
    s.send(reply.error(id, 'Permission denied'));
    securityEvent(s, 'RequestNotAllowed', 'Error', [['RequestType', reg.name]]);
    return;
  }
  const h = HANDLERS.get(low);
  if (h === undefined) {
    // Registered in Asterisk 22 (ListCommands shows it) but not modelled here.
    s.send(reply.error(id, `Simulator does not implement ${reg.name}`));
    return;
  }
  return h(s, m, id);
}

/** Actions the simulator implements (for tests and docs). */
export function implementedActions(): string[] {
  return [...HANDLERS.keys()];
}
