// Proxy ActionIDs: `<instance>-<counter>`. The instance prefix is random per process (32 bits from
// crypto), so ids stay unique across the pool's connections and across restarts of the process:
// a late reply to an action of a previous run can never be taken for one of ours.
//
// The router keys its tables on the counter: a small integer hashes for free, where a fresh id
// string per action had to be hashed twice and decoded from every reply (parse() reads the counter
// straight from the reply's bytes).
import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../errors.ts';

/** Counters above this are never handed out (their base-36 form stays within 10 digits). */
const MAX_DIGITS = 10;

export class IdSpace {
  /** `<instance>-`: every id this space hands out starts with it. */
  readonly prefix: string;
  private readonly prefixBytes: Buffer;
  private counter: number;

  constructor(instanceId?: string) {
    const inst = instanceId ?? randomBytes(4).toString('hex');
    if (!/^[0-9A-Za-z_.]+$/.test(inst)) throw invalidArgument(`instanceId must be [0-9A-Za-z_.]+, got ${JSON.stringify(inst)}`);
    this.prefix = inst + '-';
    this.prefixBytes = Buffer.from(this.prefix, 'latin1');
    this.counter = 0;
  }

  next(): string {
    return this.idOf(this.nextNumber());
  }

  /** The next counter (>= 1); its wire form is idOf(n). */
  nextNumber(): number {
    return ++this.counter;
  }

  /** Base 36 keeps ids short on the wire; 36^10 (MAX_DIGITS) is never reached. */
  idOf(n: number): string {
    return this.prefix + n.toString(36);
  }

  /** True if `id` came from this space (cheap: one startsWith). */
  owns(id: string): boolean {
    return id.startsWith(this.prefix);
  }

  /**
   * The counter of the id held in raw[start, end): -1 when it does not start with our prefix; 0
   * when it does but is not exactly idOf(n) (e.g. a connection's own `…c0.ping.3`, or trailing
   * text), which no table entry ever has.
   */
  parse(raw: Uint8Array, start: number, end: number): number {
    const p = this.prefixBytes;
    const plen = p.length;
    if (end - start < plen) return -1;
    for (let i = 0; i < plen; i++) if (raw[start + i] !== p[i]) return -1;
    const from = start + plen;
    // toString(36) writes lowercase digits and never a leading zero: accept exactly that form, so
    // one number has one spelling.
    if (end === from || end - from > MAX_DIGITS || raw[from] === 48) return 0;
    let n = 0;
    for (let i = from; i < end; i++) {
      const c = raw[i]!;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 122) d = c - 87;
      else return 0;
      n = n * 36 + d;
    }
    return n;
  }
}
