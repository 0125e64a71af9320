// Waiting in a test client for something its socket events bring (a message, a chunk, the close):
// each event calls notify(), which re-checks every condition still waited for.
export class Waiters {
  private waiting: Array<() => void> = [];

  /** `closed()`: the connection is gone, so nothing more can come. `detail()`: what was received, for the error. */
  constructor(
    private readonly closed: () => boolean,
    private readonly detail: () => string = () => '',
  ) {}

  notify(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
  }

  /** Resolves when `cond` holds (re-checked on every notify); rejects on close or after `ms`. */
  waitFor(cond: () => boolean, what: string, ms = 10000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}${this.detail()}`)), ms);
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else if (this.closed()) {
          clearTimeout(timer);
          reject(new Error(`connection closed waiting for ${what}${this.detail()}`));
        } else this.waiting.push(check);
      };
      check();
    });
  }
}
