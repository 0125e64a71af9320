// The pool's own liveness Pings (keepalive and stall probes, ActionID `ajam-proxy-ping.N`): an idle
// AMI connection sends one every stalltimeout / 2 or so, whenever a test happens to run. Tests that
// assert on exactly what the simulator received leave these out, and only these.
import type { AmiMessage } from '../../lib/ami/message.ts';

const PROBE = /^Action: Ping\r\nActionID: ajam-proxy-ping\.\d+\r\n\r\n/;

/** True for a Ping the pool sent on its own. */
export function isProbe(m: AmiMessage): boolean {
  return PROBE.test(m.raw.toString('latin1'));
}

/** `received` without the pool's own Pings. */
export function withoutProbes(received: readonly AmiMessage[]): AmiMessage[] {
  return received.filter((m) => !isProbe(m));
}

/** Raw received bytes without the pool's own Pings. */
export function bytesWithoutProbes(text: string): string {
  return text.replace(new RegExp(PROBE.source.slice(1), 'g'), '');
}
