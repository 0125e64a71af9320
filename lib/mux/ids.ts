// Proxy ActionIDs: `<instance>-<counter>`. The instance prefix is random per process (32 bits from
// crypto), so ids stay unique across the pool's connections and across restarts of the process:
// a late reply to an action of a previous run can never be taken for one of ours.
import { randomBytes } from 'node:crypto';

export class IdSpace {
  /** `<instance>-`: every id this space hands out starts with it. */
  readonly prefix: string;
  private counter: number;

  constructor(instanceId?: string) {
    const inst = instanceId ?? randomBytes(4).toString('hex');
    if (!/^[0-9A-Za-z_.]+$/.test(inst)) throw new TypeError(`instanceId must be [0-9A-Za-z_.]+, got ${JSON.stringify(inst)}`);
    this.prefix = inst + '-';
    this.counter = 0;
  }

  next(): string {
    // Base 36 keeps ids short on the wire; 2^53 is never reached.
    return this.prefix + (++this.counter).toString(36);
  }

  /** True if `id` came from this space (cheap: one startsWith). */
  owns(id: string): boolean {
    return id.startsWith(this.prefix);
  }
}
