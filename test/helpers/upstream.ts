// What the hostile-input tests share: a user who may originate but reads only call events, and
// what the simulator received (the thing to assert on), without the pool's own keepalive Pings.
import { USERS, type TestApp } from './app.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';

/** The test users plus `caller` (callerpw): read = call, write = call,originate,reporting. */
export const USERS_WITH_CALLER = `${USERS}
[caller]
secret = callerpw
read = call
write = call,originate,reporting
`;

/**
 * The actions the simulator received since `ta.app.sim.clearReceived()`. A keepalive is a lone
 * `Action: Ping` without the tests' X-Mark; a message with a second Action header is kept.
 */
export function receivedUpstream(ta: TestApp): AmiMessage[] {
  return ta.app.sim!.received.filter((m) => !(m.get('Action') === 'Ping' && m.getAll('Action').length === 1 && !m.has('X-Mark')));
}
