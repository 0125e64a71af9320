// `maxconnections`: a cap on open HTTP(S) connections. uWS 20.30 gives no hook when a connection is
// accepted, so the count comes from /proc (lib/http/connection-count.ts), checked every
// CHECK_INTERVAL_MS: at the cap the listen sockets are closed (their ports held meanwhile, see
// port-hold.ts: new connections are closed at once, open ones carry on), and once the count is down
// to the low-water mark they listen again.
// The exact count costs kernel time per TCP socket of the namespace (about 3 µs each), so it is read
// only when the namespace's total is at the cap, at every check once ours are near it, else once a
// second.
// A burst can overshoot the cap by what arrives within one check: keep `ulimit -n` well above it.
// Each episode is logged once (start and end) and counted.
import { log } from '../log.ts';
import { countConnections, openFilesLimit, tcpInUse } from './connection-count.ts';

/** How often the count is checked (the cheap bound; the exact count near the cap). */
const CHECK_INTERVAL_MS = 250;
/** The exact count, when the last one was not near the cap or the listeners are closed: at most this often. */
const SLOW_EXACT_INTERVAL_MS = 1000;
/** Descriptors wanted beside maxconnections (AMI, files, a check's overshoot) before the limit warns. */
const FILES_HEADROOM = 1000;
/** "Near the cap": from this share of it the exact count is read at every check. */
const NEAR = 0.8;

export interface ConnectionCapOptions {
  max: number;
  /** The local ports of the listeners (read at every check: a re-listen keeps them). */
  ports: () => readonly number[];
  /** Stop accepting: close every listen socket. */
  pause: () => void;
  /** Listen again on the same addresses; false if any failed (retried at the next check). */
  resume: () => Promise<boolean>;
}

export class ConnectionCap {
  readonly max: number;
  /** Listening again once the count is at or below this. */
  readonly lowWater: number;
  /** False while the listen sockets are closed. */
  accepting: boolean;
  /** Times the cap was reached since start. */
  episodes: number;
  /** The last exact count (-1: not read yet, or far below the cap). */
  lastCount: number;
  private readonly opts: ConnectionCapOptions;
  private timer: NodeJS.Timeout | undefined;
  private busy: boolean;
  private resumeFailedLogged: boolean;
  /** performance.now() before which no exact count is read (it costs kernel time per socket). */
  private nextExactAt: number;

  constructor(opts: ConnectionCapOptions) {
    this.opts = opts;
    this.max = opts.max;
    this.lowWater = opts.max - Math.max(1, Math.floor(opts.max / 10));
    this.accepting = true;
    this.episodes = 0;
    this.lastCount = -1;
    this.timer = undefined;
    this.busy = false;
    this.resumeFailedLogged = false;
    this.nextExactAt = 0;
  }

  /** Starts the checks; false (and a warning) where /proc cannot be read: the cap is not enforced. */
  start(): boolean {
    if (tcpInUse() === undefined) {
      log.warn('maxconnections is not enforced: /proc/net/sockstat is not readable (Linux only)', { maxconnections: this.max });
      return false;
    }
    // Past the open-files limit uSockets cannot accept (and retries at once, spinning): the cap
    // must come first, with room for the AMI connections, files and a check's overshoot.
    const files = openFilesLimit();
    if (files !== undefined && this.max + FILES_HEADROOM > files) {
      log.warn('maxconnections is near or above the open-files limit (ulimit -n): raise the limit or lower maxconnections', {
        maxconnections: this.max,
        openFilesLimit: files,
      });
    }
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check (also called by tests through the interval only). */
  private async check(): Promise<void> {
    if (this.busy) return;
    // Far from the cap by the namespace's own total: nothing to read.
    const bound = tcpInUse();
    if (this.accepting && bound !== undefined && bound < this.max) {
      this.lastCount = -1;
      return;
    }
    // Other sockets of the namespace can keep the bound up: then the exact count is read once a
    // second until ours come near the cap; with the listeners closed, once a second too.
    if (performance.now() < this.nextExactAt) return;
    this.busy = true;
    try {
      const n = await countConnections(this.opts.ports());
      if (n === undefined || this.timer === undefined) return;
      this.lastCount = n;
      const near = this.accepting && n >= this.max * NEAR;
      this.nextExactAt = near ? 0 : performance.now() + SLOW_EXACT_INTERVAL_MS;
      if (this.accepting && n >= this.max) {
        this.opts.pause();
        this.accepting = false;
        this.episodes++;
        this.resumeFailedLogged = false;
        log.warn('HTTP connection cap reached: new connections refused', { connections: n, maxconnections: this.max, resumeAt: this.lowWater });
      } else if (!this.accepting && n <= this.lowWater) {
        if (await this.opts.resume()) {
          this.accepting = true;
          log.info('HTTP connections below the cap again: accepting', { connections: n, maxconnections: this.max });
        } else if (!this.resumeFailedLogged) {
          this.resumeFailedLogged = true;
          log.error('cannot listen again after the connection cap (is another program on the port?); retrying', { connections: n });
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
