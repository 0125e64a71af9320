// Unsolicited queue traffic for the demo and tests: agents log in to two queues, callers arrive at
// a steady rate with varied patience and talk times, and an agent goes on a break now and then.
// Randomness comes from a seeded generator so a run can be repeated.
import type { QueueCallSpec, QueueSystem } from './queues.ts';
import { invalidArgument } from '../errors.ts';
import { prng } from './prng.ts';

export interface QueueTrafficOptions {
  /** New queue callers per second. */
  cps: number;
  /** Seed of the pseudo-random choices (patience, talk time, queue, breaks). */
  seed?: number;
  /** Mean talk time in ms (default 20 s). */
  talkMs?: number;
  /** Mean caller patience in ms before abandoning (default 40 s). */
  patienceMs?: number;
}

/** The demo's agents: name, device, the queues they answer. */
export const DEMO_AGENTS: ReadonlyArray<{ name: string; iface: string; queues: string[] }> = [
  { name: 'Alice Martin', iface: 'PJSIP/301', queues: ['support'] },
  { name: 'Bob Chen', iface: 'PJSIP/302', queues: ['support'] },
  { name: 'Carla Diaz', iface: 'PJSIP/303', queues: ['support', 'sales'] },
  { name: 'Dev Patel', iface: 'PJSIP/304', queues: ['sales'] },
  { name: 'Emma Novak', iface: 'PJSIP/305', queues: ['sales'] },
];

export class QueueTraffic {
  private readonly queues: QueueSystem;
  private timer: NodeJS.Timeout | undefined;
  private breaks: NodeJS.Timeout | undefined;
  private n = 0;

  constructor(queues: QueueSystem) {
    this.queues = queues;
  }

  /** Logs the demo agents in (QueueMemberAdded) once; service levels 60 s (support) and 30 s (sales). */
  staffQueues(): void {
    this.queues.addQueue('support', 0).serviceLevel = 60;
    this.queues.addQueue('sales', 30);
    for (const a of DEMO_AGENTS) for (const q of a.queues) this.queues.addMember(q, { name: a.name, iface: a.iface });
  }

  start(opts: QueueTrafficOptions): void {
    this.stop();
    if (!(opts.cps > 0)) throw invalidArgument('cps must be positive');
    this.staffQueues();
    const rnd = prng(opts.seed ?? 1);
    const talk = opts.talkMs ?? 20_000;
    const patience = opts.patienceMs ?? 40_000;
    const t0 = Date.now();
    let started = 0;
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - t0) * opts.cps) / 1000);
      while (started < due) {
        started++;
        this.queues.call(this.nextCall(rnd, talk, patience));
      }
    }, Math.max(20, Math.min(1000 / opts.cps, 250)));
    this.timer.unref();
    // Every ~15 s one agent toggles a break, so paused agents show up on the board.
    this.breaks = setInterval(() => {
      const a = DEMO_AGENTS[Math.floor(rnd() * DEMO_AGENTS.length)]!;
      const m = this.queues.queues.get(a.queues[0]!)?.member(a.iface);
      if (m !== undefined) this.queues.pause('', a.iface, !m.paused, m.paused ? '' : rnd() < 0.5 ? 'Lunch' : 'Training');
    }, 15_000);
    this.breaks.unref();
  }

  /** One caller with times drawn around the means (0.25x to 1.75x). */
  nextCall(rnd: () => number, talkMs: number, patienceMs: number): QueueCallSpec {
    const n = this.n++;
    return {
      queue: rnd() < 0.6 ? 'support' : 'sales',
      callerIdNum: `0170${String(1000000 + ((n * 7919) % 9000000))}`,
      callerIdName: `Caller ${n + 1}`,
      patienceMs: Math.round(patienceMs * (0.25 + rnd() * 1.5)),
      ringMs: 500 + Math.round(rnd() * 2500),
      talkMs: Math.round(talkMs * (0.25 + rnd() * 1.5)),
    };
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.breaks !== undefined) clearInterval(this.breaks);
    this.timer = undefined;
    this.breaks = undefined;
  }
}
