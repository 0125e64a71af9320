// A proxy in front of two simulated Asterisk servers, `[asterisk:east]` and `[asterisk:west]`, with
// the test users plus `westonly` (secret westpw), limited by `servers = west`.
import { USERS, startTestApp, type TestApp } from './app.ts';
import type { AmiSimulator } from '../../lib/sim/index.ts';

/** The two sections, each with its extra lines (e.g. its own `eventbuffer`). */
const servers = (extra: { east?: string; west?: string }): string =>
  (['east', 'west'] as const)
    .map((n) => `[asterisk:${n}]\nsimulate = yes\nusername = proxy\nsecret = proxypw\nconnections = 2\nactiontimeout = 5\n${extra[n] ?? ''}\n`)
    .join('\n');

const LIMITED = `
[westonly]
secret = westpw
read = all
write = all
servers = west
`;

export interface TwoServerApp {
  ta: TestApp;
  east: AmiSimulator;
  west: AmiSimulator;
}

/**
 * Starts the app with `general` lines added (and `sections` lines in each server's section);
 * resolves once both servers' event links are up.
 */
export async function startTwoServerApp(general?: string, sections: { east?: string; west?: string } = {}): Promise<TwoServerApp> {
  const ta = await startTestApp({ asterisk: servers(sections), users: USERS + LIMITED, general });
  const [east, west] = ta.app.sims as [AmiSimulator, AmiSimulator];
  // Both servers ready (app.ready() waits for the first one to answer).
  for (const x of ta.app.servers.list) while (!x.pool.eventsReady) await new Promise((r) => setTimeout(r, 5));
  return { ta, east, west };
}
