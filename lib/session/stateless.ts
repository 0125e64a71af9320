// The session a stateless request (Bearer / Basic, lib/auth/stateless.ts) runs on: built for one
// request, never stored, never named by a cookie, ended when the reply is written or the client
// goes away. It has the user's classes and eventfilters like a logged-in session.
//
// WaitEvent on it returns the events that arrive while the request is open (its cursor starts at
// "now"; the cap is httptimeout − 10 s as for any session); nothing is kept between requests. A
// client that needs every event uses a cookie session (or the WebSocket/SSE endpoints).
import type { User } from '../auth/types.ts';
import { Cursor } from '../events/cursor.ts';
import type { EventLog } from '../events/event-log.ts';
import { Session } from './session.ts';

/** Never a valid session id (those are 32 hex digits), so no cookie or lookup can name it. */
const STATELESS_ID = '';

export function statelessSession(user: User, address: string, log: EventLog, httptimeout: number): Session {
  const s = new Session(STATELESS_ID, address, Date.now() + httptimeout * 1000);
  s.user = user;
  s.authenticated = true;
  s.readPerm = user.read;
  s.writePerm = user.write;
  s.eventMask = user.read;
  // Shared, not copied: the Filter action replaces a session's array, never pushes to it (local.ts).
  s.filters = user.eventFilters;
  s.cursor = new Cursor(log, user.serverMask);
  s.inFlight = 1;
  return s;
}
