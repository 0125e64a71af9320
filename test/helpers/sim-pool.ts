// An AmiPool logged in to a simulator over loopback TCP, with every event it emits collected: the
// set-up of the pool's tests. Each test file passes its own simulator and pool options.
import { once } from 'node:events';
import { AmiSimulator, type SimOptions } from '../../lib/sim/index.ts';
import { AmiPool, type AmiPoolOptions } from '../../lib/mux/pool.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';

export interface SimPool {
  sim: AmiSimulator;
  pool: AmiPool;
  /** Every event the pool emitted, in order. */
  events: AmiMessage[];
  /** Starts the pool; resolves once all its connections are logged in. */
  start(): Promise<void>;
  done(): Promise<void>;
}

export async function simPool(simOpts: SimOptions, poolOpts: Partial<AmiPoolOptions>): Promise<SimPool> {
  const sim = new AmiSimulator({ loginFailDelayMs: 0, ...simOpts });
  const port = await sim.listen();
  const pool = new AmiPool({ host: '127.0.0.1', port, username: 'admin', secret: 'admin', ...poolOpts });
  const events: AmiMessage[] = [];
  pool.on('event', (m: AmiMessage) => events.push(m));
  return {
    sim,
    pool,
    events,
    async start() {
      pool.start();
      await allReady(pool);
    },
    async done() {
      await pool.close();
      await sim.close();
    },
  };
}

/** Resolves once every connection of the pool is logged in. */
export async function allReady(pool: AmiPool): Promise<void> {
  while (!pool.connections.every((c) => c.ready)) await once(pool, 'connectionReady');
}
