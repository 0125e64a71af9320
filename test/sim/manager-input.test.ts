// The simulator reads a manager connection as Asterisk's get_input()/do_message() do: a line of more
// than 1022 bytes before its CRLF is too long, 128 header lines at most, every blank line ends a
// message. Over a raw socket, asserting on the replies and on what the simulator ran.
import t from 'tap';
import { AmiSimulator } from '../../lib/sim/index.ts';
import { TestClient } from '../helpers/sim-client.ts';
import type { AmiMessage } from '../../lib/ami/message.ts';

const sim = new AmiSimulator({ record: true });
let c: TestClient;

t.before(async () => {
  await sim.listen();
  c = await TestClient.login(sim.port, 'admin', 'admin', 'off');
});
t.teardown(async () => {
  c.close();
  await sim.close();
});

/** Writes `text` (in `chunk`-byte pieces) and resolves with the next `n` responses. */
async function send(text: string, n: number, chunk = 0): Promise<AmiMessage[]> {
  const from = c.messages.length;
  const buf = Buffer.from(text, 'latin1');
  if (chunk === 0) c.write(buf);
  else for (let i = 0; i < buf.length; i += chunk) c.write(buf.subarray(i, i + chunk));
  const responses = (): AmiMessage[] => c.messages.slice(from).filter((m) => m.response !== undefined);
  await c.waitFor(() => responses().length >= n, `${n} responses`);
  return responses().slice(0, n);
}

/** A `UserEvent` header line whose content (before CRLF) is exactly `len` bytes. */
function lineOf(len: number): string {
  const head = 'X-Pad: ';
  return head + 'p'.repeat(len - head.length);
}

function ran(): string[] {
  return sim.received.map((m) => `${m.get('Action') ?? '(none)'}/${m.get('ActionID') ?? ''}`);
}

for (const chunk of [0, 1, 100, 1023]) {
  t.test(`line limits (written in ${chunk === 0 ? 'one piece' : `${chunk}-byte pieces`})`, async (t) => {
    sim.clearReceived();
    const [ok] = await send(`Action: Ping\r\nActionID: a1\r\n${lineOf(1022)}\r\n\r\n`, 1, chunk);
    t.equal(ok!.response, 'Success', '1022 bytes before CRLF is the longest line Asterisk takes');
    t.equal(ok!.actionId, 'a1');

    const [long] = await send(`Action: Ping\r\nActionID: a2\r\n${lineOf(5000)}\r\nX-After: 1\r\n\r\n`, 1, chunk);
    t.equal(long!.response, 'Error');
    t.equal(long!.get('Message'), 'Failed to parse message: line too long');
    t.equal(long!.actionId, 'a2', 'the error carries the ActionID read before the long line');

    // 1023 bytes: the CR is kept past the full buffer and its LF then reads as an empty line, so the
    // message ends there and the lines after it are a message of their own.
    const [split, rest] = await send(`Action: Ping\r\nActionID: a3\r\n${lineOf(1023)}\r\nActionID: a4\r\n\r\n`, 2, chunk);
    t.equal(split!.get('Message'), 'Failed to parse message: line too long');
    t.equal(split!.actionId, 'a3');
    t.equal(rest!.get('Message'), 'Missing action in request');
    t.equal(rest!.actionId, 'a4');

    // 1022 bytes with a bare LF is one byte short of the buffer too: taken.
    const [lf] = await send(`Action: Ping\nActionID: a5\n${lineOf(1023)}\n\n`, 1, chunk);
    t.equal(lf!.response, 'Success', '1023 bytes before a bare LF still fits');

    const [after] = await send('Action: Ping\r\nActionID: a6\r\n\r\n', 1, chunk);
    t.equal(after!.response, 'Success', 'the connection stays in step');
    t.strictSame(ran(), ['Ping/a1', '(none)/a4', 'Ping/a5', 'Ping/a6'], 'only what Asterisk would process was processed');
  });
}

t.test('header lines: 128 at most', async (t) => {
  sim.clearReceived();
  const pad = (n: number): string => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
  const [ok] = await send(`Action: Ping\r\nActionID: h1\r\n${pad(126)}\r\n`, 1);
  t.equal(ok!.response, 'Success', '128 lines run');
  const [over] = await send(`Action: Ping\r\nActionID: h2\r\n${pad(127)}\r\n`, 1);
  t.equal(over!.get('Message'), 'Too many lines in message or allocation failure');
  t.equal(over!.actionId, 'h2');
  t.strictSame(ran(), ['Ping/h1']);
});

t.test('a blank line alone is a message without an Action', async (t) => {
  const [r] = await send('\r\n', 1);
  t.equal(r!.response, 'Error');
  t.equal(r!.get('Message'), 'Missing action in request');
  t.equal(r!.actionId, undefined);
  const [p] = await send('Action: Ping\r\nActionID: b1\r\n\r\n', 1);
  t.equal(p!.response, 'Success');
});

t.test('a client message that looks like a reply is still an action request', async (t) => {
  const [r] = await send('Response: Follows\r\nActionID: f1\r\n\r\n', 1);
  t.equal(r!.get('Message'), 'Missing action in request');
  t.equal(r!.actionId, 'f1');
  const [p] = await send('Action: Ping\r\nActionID: f2\r\n\r\n', 1);
  t.equal(p!.response, 'Success', 'nothing was swallowed waiting for a Follows body');
});
