// The fan-out benchmark's Asterisk: the AMI simulator in its own process, sending numbered test
// events stamped with their send time (`SentAt`, ms since the epoch from performance.timeOrigin +
// performance.now(), so another process on this machine can compute the delay).
// Commands on stdin, one per line: `rate <events/s> [<pad bytes>]` starts (or changes) the stream
// (each event padded with a `Pad` header of that many bytes), `stop` stops
// it and prints `sent <count>`; `quit` exits. Prints `listening <port>` when ready.
import { createInterface } from 'node:readline';
import { AmiSimulator } from '../../lib/sim/index.ts';
import { CALL } from '../../lib/sim/perms.ts';

const sim = new AmiSimulator({ host: '127.0.0.1', port: 0, record: false });
const port = await sim.listen();
process.stdout.write(`listening ${port}\n`);

const TICK_MS = 5;
let timer: NodeJS.Timeout | undefined;
let sent = 0;
let due = 0;
let last = 0;
let rate = 0;
let pad: string | undefined;

function tick(): void {
  const now = performance.now();
  due += ((now - last) * rate) / 1000;
  last = now;
  while (due >= 1) {
    due -= 1;
    sent++;
    const at = (performance.timeOrigin + performance.now()).toFixed(3);
    const pairs: Array<[string, string]> = [
      ['Event', 'BenchTick'],
      ['N', String(sent)],
      ['SentAt', at],
    ];
    if (pad !== undefined) pairs.push(['Pad', pad]);
    sim.emitEvent(pairs, CALL);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg, padArg] = line.trim().split(/\s+/);
  if (cmd === 'rate') {
    rate = Number(arg);
    pad = padArg === undefined ? undefined : 'x'.repeat(Number(padArg));
    if (timer === undefined) {
      last = performance.now();
      due = 0;
      timer = setInterval(tick, TICK_MS);
    }
  } else if (cmd === 'stop') {
    clearInterval(timer);
    timer = undefined;
    process.stdout.write(`sent ${sent}\n`);
  } else if (cmd === 'quit') {
    void sim.close().then(() => process.exit(0));
  }
});
