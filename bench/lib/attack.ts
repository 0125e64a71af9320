// An attacker for bench/abuse.bench.ts, run as its own process (so its CPU is not the measuring
// process's): closed-loop floods over keep-alive loopback sockets from a given source address.
//   junk:     `GET /rawman?action=Ping` with a fresh random session cookie each time
//   password: `GET /rawman?action=Login` for boss (the benchmark's HTTP user) with a fresh wrong secret each time
// Usage: tsx bench/lib/attack.ts <port> <junk|password> <connections> <seconds> [fromAddress]
// Prints `{"ready":true}` once the first answer came, then one JSON line: requests answered, seconds, per second.
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const [portText, kind, connText, secondsText, from] = process.argv.slice(2);
const port = Number(portText);
const connections = Number(connText);
const seconds = Number(secondsText);
if (!(port > 0) || (kind !== 'junk' && kind !== 'password') || !(connections > 0) || !(seconds > 0)) {
  process.stderr.write('usage: attack.ts <port> <junk|password> <connections> <seconds> [fromAddress]\n');
  process.exit(2);
}

let n = 0;
function request(): string {
  n++;
  if (kind === 'junk') {
    return `GET /rawman?action=Ping HTTP/1.1\r\nHost: x\r\nCookie: mansession_id="${randomBytes(16).toString('hex')}"\r\n\r\n`;
  }
  return `GET /rawman?action=Login&Username=boss&Secret=guess${n} HTTP/1.1\r\nHost: x\r\n\r\n`;
}

let answered = 0;
const start = performance.now();
const until = start + seconds * 1000;

function worker(): Promise<void> {
  return new Promise((resolve) => {
    let buf = '';
    const open = (): void => {
      const sock = net.connect({ port, host: '127.0.0.1', localAddress: from });
      sock.setNoDelay(true);
      sock.on('connect', () => sock.write(request()));
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) return;
          const m = /content-length: *(\d+)/i.exec(buf.slice(0, end));
          const total = end + 4 + (m === null ? 0 : Number(m[1]));
          if (buf.length < total) return;
          buf = buf.slice(total);
          // The first answer: the flood is on (the bench starts measuring after this line).
          if (answered++ === 0) process.stdout.write('{"ready":true}\n');
          if (performance.now() >= until) {
            sock.destroy();
            resolve();
            return;
          }
          sock.write(request());
        }
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        buf = '';
        if (performance.now() < until) setTimeout(open, 10);
        else resolve();
      });
    };
    open();
  });
}

await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify({ kind, requests: answered, seconds: elapsed, perSec: answered / elapsed }) + '\n');
process.exit(0);
