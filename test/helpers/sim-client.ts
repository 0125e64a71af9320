// A small AMI test client for the simulator tests: raw socket + the project's parser.
import { connect, type Socket } from 'node:net';
import { AmiParser } from '../../lib/ami/parser.ts';
import { serializeHeaders, type AmiMessage } from '../../lib/ami/message.ts';
import { Waiters } from './waiters.ts';

export class TestClient {
  readonly socket: Socket;
  readonly messages: AmiMessage[];
  readonly errors: string[];
  readonly chunks: Buffer[];
  banner: string | undefined;
  closed: boolean;
  private readonly parser: AmiParser;
  private readonly waiters: Waiters;
  private seq: number;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.messages = [];
    this.errors = [];
    this.chunks = [];
    this.banner = undefined;
    this.closed = false;
    this.waiters = new Waiters(() => this.closed);
    this.seq = 0;
    this.parser = new AmiParser({
      expectBanner: true,
      onBanner: (_v, line) => {
        this.banner = line;
        this.notify();
      },
      onMessage: (m) => {
        this.messages.push(m);
        this.notify();
      },
      onError: (code) => {
        this.errors.push(code);
        this.notify();
      },
    });
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.parser.push(d);
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new TestClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects and logs in; resolves after the Login response. */
  static async login(port: number, username: string, secret: string, events?: 'on' | 'off'): Promise<TestClient> {
    const c = await TestClient.open(port);
    const pairs: Array<[string, string]> = [['Action', 'Login'], ['Username', username], ['Secret', secret]];
    if (events !== undefined) pairs.push(['Events', events]);
    const [r] = await c.action(pairs);
    if (r?.response !== 'Success') throw new Error(`login failed: ${r?.raw.toString()}`);
    return c;
  }

  private notify(): void {
    this.waiters.notify();
  }

  /** Resolves when `cond` holds (re-checked on every message / close); rejects after `ms`. */
  waitFor(cond: () => boolean, what: string, ms = 10000): Promise<void> {
    return this.waiters.waitFor(cond, what, ms);
  }

  /** Resolves with the first message (after `from`) matching `pred`. */
  async next(pred: (m: AmiMessage) => boolean, what: string, from = 0): Promise<AmiMessage> {
    let hit: AmiMessage | undefined;
    await this.waitFor(() => (hit = this.messages.slice(from).find(pred)) !== undefined, what);
    return hit!;
  }

  /** Resolves once the server has closed (or dropped) the connection. */
  whenClosed(ms = 10000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error('timeout waiting for close')), ms);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /**
   * Sends an action (an ActionID is added when missing) and resolves with its response plus, for
   * list actions, the items up to the one carrying `EventList: Complete`.
   */
  async action(pairs: ReadonlyArray<readonly [string, string]>): Promise<AmiMessage[]> {
    let id = pairs.find(([k]) => k.toLowerCase() === 'actionid')?.[1];
    const all = [...pairs];
    if (id === undefined) {
      id = `t${++this.seq}`;
      all.push(['ActionID', id]);
    }
    const from = this.messages.length;
    this.write(serializeHeaders(all));
    const mine = (): AmiMessage[] => this.messages.slice(from).filter((m) => m.actionId === id && m.event !== 'OriginateResponse' && m.event !== 'UserEvent');
    await this.waitFor(() => {
      const got = mine();
      if (got.length === 0) return false;
      if (got[0]!.get('EventList') !== 'start') return true;
      return got.some((m) => m.get('EventList') === 'Complete');
    }, `reply to ${id}`);
    return mine();
  }

  events(name?: string): AmiMessage[] {
    return this.messages.filter((m) => m.event !== undefined && m.response === undefined && (name === undefined || m.event === name));
  }

  close(): void {
    this.socket.destroy();
  }
}
