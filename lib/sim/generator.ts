// Unsolicited traffic for the simulator: calls like tcp_07's, started at a steady rate.
import type { Call, CallSpec } from './calls.ts';
import { invalidArgument } from '../errors.ts';

export type StartCall = (spec: CallSpec, onAnswer?: () => void, onEnd?: () => void) => Call;

/** Unsolicited traffic: calls started at `cps`, at most `concurrency` at once. */
export class CallGenerator {
  private readonly startCall: StartCall;
  private timer: NodeJS.Timeout | undefined;
  private seq: number;
  /** Generated calls still running. */
  active: number;

  constructor(startCall: StartCall) {
    this.startCall = startCall;
    this.timer = undefined;
    this.seq = 0;
    this.active = 0;
  }

  start(cps: number, concurrency: number): void {
    this.stop();
    if (!(cps > 0) || !(concurrency > 0)) throw invalidArgument('cps and concurrency must be positive');
    // Calls are started when due (elapsed time x cps), so the rate holds whatever the timer
    // granularity; calls that would exceed `concurrency` are skipped, not queued up.
    const t0 = Date.now();
    let started = 0;
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - t0) * cps) / 1000);
      while (started < due) {
        started++;
        if (this.active < concurrency) this.spawn();
      }
    }, Math.max(1, Math.min(1000 / cps, 20)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private spawn(): void {
    const n = this.seq++;
    const ext = 100 + (n % 100);
    this.active++;
    this.startCall(
      {
        channel: `Local/${ext}@test`,
        context: 'test',
        exten: '200',
        priority: 1,
        application: '',
        data: '',
        callerIdNum: `555${String(n % 10000).padStart(4, '0')}`,
        callerIdName: `Sim Caller ${n}`,
        variables: [],
        originateResponse: false,
        actionId: '',
      },
      undefined,
      () => this.active--,
    );
  }
}
