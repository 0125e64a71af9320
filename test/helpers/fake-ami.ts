// A tiny scripted AMI server for connection tests: real TCP on loopback, a banner, and a handler per
// action. The simulator (lib/sim) covers realistic traffic; this one makes faults easy to script.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { AmiParser } from '../../lib/ami/parser.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';

export interface FakeClient {
  socket: Socket;
  received: AmiMessage[];
  write(text: string): void;
  reply(msg: AmiMessage, lines: string[]): void;
}

export type Handler = (c: FakeClient, msg: AmiMessage) => void;

export class FakeAmi {
  readonly server: Server;
  readonly clients: FakeClient[] = [];
  readonly received: AmiMessage[] = [];
  port = 0;
  handler: Handler;
  banner = 'Asterisk Call Manager/11.0.0\r\n';

  constructor(handler: Handler) {
    this.handler = handler;
    this.server = createServer((socket) => {
      const c: FakeClient = {
        socket,
        received: [],
        write: (text) => {
          if (!socket.destroyed) socket.write(text);
        },
        reply: (msg, lines) => {
          const id = msg.actionId;
          const [first, ...rest] = lines;
          c.write([first, ...(id === undefined ? [] : [`ActionID: ${id}`]), ...rest].join('\r\n') + '\r\n\r\n');
        },
      };
      this.clients.push(c);
      const parser = new AmiParser({
        onMessage: (m) => {
          c.received.push(m);
          this.received.push(m);
          this.handler(c, m);
        },
      });
      socket.on('data', (d) => parser.push(d));
      socket.on('error', () => {});
      socket.write(this.banner);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  dropAll(): void {
    for (const c of this.clients) c.socket.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  actions(name: string): AmiMessage[] {
    return this.received.filter((m) => m.get('Action')?.toLowerCase() === name.toLowerCase());
  }
}

/** Answers Login (secret `adminpw` for `admin`), Challenge/MD5, Ping, Logoff like Asterisk 22. */
export function asteriskLike(opts: { secret?: string; fullyBooted?: boolean; answerPing?: () => boolean } = {}): Handler {
  const secret = opts.secret ?? 'adminpw';
  const challenges = new WeakMap<FakeClient, string>();
  return (c, m) => {
    const action = m.get('Action')?.toLowerCase();
    if (action === 'challenge') {
      const ch = String(100000000 + Math.floor(Math.random() * 899999999));
      challenges.set(c, ch);
      c.reply(m, ['Response: Success', `Challenge: ${ch}`]);
    } else if (action === 'login') {
      let ok = m.get('Username') === 'admin';
      if (m.get('AuthType')?.toLowerCase() === 'md5') {
        const ch = challenges.get(c) ?? '';
        ok &&= m.get('Key') === md5hex(ch + secret);
      } else ok &&= m.get('Secret') === secret;
      if (!ok) {
        c.reply(m, ['Response: Error', 'Message: Authentication failed']);
        c.socket.end();
        return;
      }
      c.reply(m, ['Response: Success', 'Message: Authentication accepted']);
      const events = m.get('Events')?.toLowerCase() !== 'off';
      if (events && opts.fullyBooted !== false) {
        c.write('Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 13\r\nLastReload: 5\r\nStatus: Fully Booted\r\n\r\n');
      }
    } else if (action === 'ping') {
      if (opts.answerPing === undefined || opts.answerPing()) c.reply(m, ['Response: Success', 'Ping: Pong', 'Timestamp: 1795687794.384380']);
    } else if (action === 'logoff') {
      c.reply(m, ['Response: Goodbye', 'Message: Thanks for all the fish.']);
      c.socket.end();
    } else {
      c.reply(m, ['Response: Error', 'Message: Invalid/unknown command']);
    }
  };
}

function md5hex(s: string): string {
  return createHash('md5').update(s).digest('hex');
}
