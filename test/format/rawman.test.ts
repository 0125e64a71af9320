import t from 'tap';
import { rawman } from '../../lib/format/rawman.ts';

t.test('rawman is the bytes as they are', async (t) => {
  const a = Buffer.from('Response: Success\r\nActionID: 1\r\n\r\n');
  const b = Buffer.from('Event: X\r\n\r\n');
  t.equal(rawman([a]), a, 'one message: the same buffer, no copy');
  t.ok(rawman([a, b]).equals(Buffer.concat([a, b])));
  t.equal(rawman([]).length, 0, 'empty output (superseded WaitEvent): Content-Length 0');
  const odd = Buffer.from([0x41, 0x3a, 0x20, 0xff, 0x00, 0x0a, 0x0d, 0x0a, 0x0d, 0x0a]);
  t.ok(rawman([odd, a]).subarray(0, odd.length).equals(odd), 'no byte is changed');
});
