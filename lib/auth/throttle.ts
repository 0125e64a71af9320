// Requests without a valid session, per client address: a token bucket (`ratePerSec`, bursts up to
// `burst`). A junk-cookie flood or a password storm from one address then costs the proxy almost
// nothing past its budget (the caller closes the connection without an answer), and logged-in
// clients keep their share of the CPU. Addresses tracked are bounded (oldest forgotten first).
import { DEFAULTS } from '../config/defaults.ts';

class Bucket {
  tokens: number;
  at: number;
  constructor(tokens: number, at: number) {
    this.tokens = tokens;
    this.at = at;
  }
}

export interface AddressThrottleOptions {
  ratePerSec: number;
  burst?: number;
  maxTracked?: number;
  now?: () => number;
}

export class AddressThrottle {
  readonly ratePerSec: number;
  readonly burst: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly buckets: Map<string, Bucket>;
  /** Requests refused so far (for logs and metrics). */
  refused: number;

  constructor(opts: AddressThrottleOptions) {
    this.ratePerSec = opts.ratePerSec;
    this.burst = opts.burst ?? opts.ratePerSec * 2;
    this.maxTracked = opts.maxTracked ?? DEFAULTS.authMaxTracked;
    this.now = opts.now ?? Date.now;
    this.buckets = new Map();
    this.refused = 0;
  }

  /** One request from `address`: true if within its budget. */
  take(address: string): boolean {
    const now = this.now();
    let b = this.buckets.get(address);
    if (b === undefined) {
      if (this.buckets.size >= this.maxTracked) {
        const first = this.buckets.keys().next();
        if (first.done !== true) this.buckets.delete(first.value);
      }
      b = new Bucket(this.burst, now);
      this.buckets.set(address, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.ratePerSec) / 1000);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.refused++;
    return false;
  }

  get tracked(): number {
    return this.buckets.size;
  }
}
