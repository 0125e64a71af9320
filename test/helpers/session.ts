// Shared fixtures for session tests: users built directly, a fake pool recording what it was sent.
import { AmiMessage } from '../../lib/ami/message.ts';
import { ALL } from '../../lib/auth/classes.ts';
import { ActionPermissions } from '../../lib/auth/actions.ts';
import type { EventFilterRule, User } from '../../lib/auth/types.ts';
import { EventLog } from '../../lib/events/event-log.ts';
import { Dispatcher } from '../../lib/session/dispatch.ts';
import type { Session } from '../../lib/session/session.ts';
import { SessionStore } from '../../lib/session/store.ts';
import type { ActionSender } from '../../lib/session/types.ts';

export const CALL = 2;
export const AGENT = 32;
export const REPORTING = 512;
export const SYSTEM = 1;

export function makeUser(o: Partial<User> & { name: string; deny?: string[] }): User {
  const deny = o.deny ?? [];
  return {
    name: o.name,
    secret: o.secret,
    read: o.read ?? 0,
    write: o.write ?? 0,
    allows: (address: string) => !deny.includes(address),
    eventFilters: o.eventFilters ?? ([] as EventFilterRule[]),
    allowMultipleLogin: o.allowMultipleLogin ?? true,
    ...(o.setvar === undefined ? {} : { setvar: o.setvar }),
  };
}

export function defaultUsers(): Map<string, User> {
  const users = [
    makeUser({ name: 'admin', secret: 'admin', read: ALL, write: ALL }),
    makeUser({ name: 'Wallboard', secret: 'wb', read: CALL | AGENT | REPORTING, write: REPORTING }),
    makeUser({ name: 'single', secret: 'one', read: CALL, write: CALL, allowMultipleLogin: false }),
    makeUser({ name: 'nosecret', read: ALL, write: ALL }),
    makeUser({ name: 'remote', secret: 'r', read: ALL, write: ALL, deny: ['10.0.0.9'] }),
  ];
  return new Map(users.map((u) => [u.name.toLowerCase(), u]));
}

/** A stand-in for AmiPool: records every action, answers like Asterisk with the ActionID kept. */
export class FakePool implements ActionSender {
  readonly sent: Array<ReadonlyArray<readonly [string, string]>> = [];
  answer: (pairs: ReadonlyArray<readonly [string, string]>) => AmiMessage[] = defaultAnswer;
  send(pairs: ReadonlyArray<readonly [string, string]>): Promise<AmiMessage[]> {
    this.sent.push(pairs);
    return Promise.resolve(this.answer(pairs));
  }
}

function defaultAnswer(pairs: ReadonlyArray<readonly [string, string]>): AmiMessage[] {
  const id = pairs.find(([k]) => k.toLowerCase() === 'actionid')?.[1];
  const idLine: [string, string][] = id ? [['ActionID', id]] : [];
  const action = pairs.find(([k, v]) => k.toLowerCase() === 'action' && v !== '')?.[1] ?? '';
  if (action.toLowerCase() === 'ping') {
    return [AmiMessage.from([['Response', 'Success'], ...idLine, ['Ping', 'Pong'], ['Timestamp', '1.000000']])];
  }
  if (action.toLowerCase() === 'status') {
    return [
      AmiMessage.from([['Response', 'Success'], ...idLine, ['EventList', 'start'], ['Message', 'Channel status will follow']]),
      AmiMessage.from([['Event', 'StatusComplete'], ...idLine, ['EventList', 'Complete'], ['ListItems', '0'], ['Items', '0']]),
    ];
  }
  return [AmiMessage.from([['Response', 'Success'], ...idLine, ['Message', `did ${action}`]])];
}

export interface Rig {
  store: SessionStore;
  log: EventLog;
  pool: FakePool;
  users: Map<string, User>;
  dispatcher: Dispatcher;
  /** One request, as the HTTP layer will do it: open, handle, (commit), release. */
  request(id: string | undefined, pairs: [string, string][], address?: string): Promise<Reply>;
  /** A logged-in session id. */
  login(username?: string, secret?: string, extra?: [string, string][]): Promise<string>;
  close(): void;
}

export interface Reply {
  text: string;
  session: Session;
  destroyed: boolean;
}

export function rig(opts: { httptimeout?: number; capacity?: number; failDelayMs?: number } = {}): Rig {
  const store = new SessionStore({ httptimeout: opts.httptimeout ?? 60, purgeIntervalMs: 50 });
  const log = new EventLog({ capacity: opts.capacity ?? 100 });
  const pool = new FakePool();
  const users = defaultUsers();
  const dispatcher = new Dispatcher({
    store,
    users,
    permissions: new ActionPermissions(),
    pool,
    log,
    failDelayMs: opts.failDelayMs ?? 20,
    bootInfo: () => ({ uptime: 3600, lastReload: 3600 }),
  });
  const r: Rig = {
    store,
    log,
    pool,
    users,
    dispatcher,
    async request(id, pairs, address = '127.0.0.1') {
      const session = store.open(id, address);
      try {
        const res = await dispatcher.handle(session, pairs, address);
        res.commit?.();
        return { text: Buffer.concat(res.output).toString(), session, destroyed: res.destroySession === true };
      } finally {
        store.release(session);
      }
    },
    async login(username = 'admin', secret = 'admin', extra = []) {
      const res = await r.request(undefined, [['Action', 'Login'], ['Username', username], ['Secret', secret], ...extra]);
      if (!res.text.startsWith('Response: Success')) throw new Error(`login failed: ${res.text}`);
      return res.session.id;
    },
    close() {
      store.close();
    },
  };
  return r;
}

export const event = (name: string, privilege: string, extra: [string, string][] = []): AmiMessage =>
  AmiMessage.from([['Event', name], ['Privilege', privilege], ...extra]);
