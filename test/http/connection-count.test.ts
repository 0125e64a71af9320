// Counting our open connections from /proc (lib/http/connection-count.ts): the rows of
// /proc/net/tcp{,6} for our local port that a process holds, not the listener, not TIME_WAIT; and
// the same on live loopback sockets.
import t from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { countConnections, countInTable, openFilesLimit, tcpInUse } from '../../lib/http/connection-count.ts';
import { until } from '../helpers/until.ts';

// Rows as the kernel prints them (port 0x1F98 = 8088; the last row is another port).
const TABLE = Buffer.from(
  [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F98 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 33 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1F98 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 81234 1 0000000000000000 20 4 30 10 -1',
    '   2: 0100007F:1F98 0100007F:D2A6 08 00000000:00000000 00:00000000 00000000     0        0 81236 1 0000000000000000 20 4 30 10 -1',
    '   3: 0100007F:1F98 0100007F:D2A8 06 00000000:00000000 03:000014EF 00000000     0        0 0 3 0000000000000000',
    '   4: 0100007F:1F98 0100007F:D2AA 04 00000001:00000000 01:00000014 00000000     0        0 0 1 0000000000000000 20 4 0 10 -1',
    '   5: 0100007F:D2AC 0100007F:1F98 01 00000000:00000000 00:00000000 00000000     0        0 81240 1 0000000000000000 20 4 30 10 -1',
    '  12: 0100007F:1F99 0100007F:D2AE 01 00000000:00000000 00:00000000 00000000     0        0 81242 1 0000000000000000 20 4 30 10 -1',
    '',
  ].join('\n'),
);

t.test('a table: established and closing-wait rows of our port that a process holds', async (t) => {
  t.equal(countInTable(TABLE, [8088]), 2, 'not the listener, TIME_WAIT, an orphan, nor a client whose remote port is ours');
  t.equal(countInTable(TABLE, [8088, 8089]), 3, 'several ports add up');
  t.equal(countInTable(TABLE, [1]), 0);
  t.equal(countInTable(Buffer.from('  sl  local_address\n'), [8088]), 0, 'header only');
});

t.test('live sockets on loopback', { skip: tcpInUse() === undefined ? 'no /proc/net (not Linux)' : false }, async (t) => {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  t.equal(await countConnections([port]), 0, 'a listener alone counts nothing');
  const clients: Socket[] = [];
  for (let i = 0; i < 3; i++) clients.push(await new Promise<Socket>((r) => { const s = connect(port, '127.0.0.1', () => r(s)); }));
  await until(async () => (await countConnections([port])) === 3, 'three accepted connections counted');
  t.ok(tcpInUse()! >= 7, 'the namespace total bounds them (listener, both ends)');
  for (const c of clients) c.destroy();
  await until(async () => (await countConnections([port])) === 0, 'closed connections no longer counted');
  t.pass('counted up and down');
});

t.test('the open-files limit is read', { skip: tcpInUse() === undefined ? 'no /proc (not Linux)' : false }, async (t) => {
  const n = openFilesLimit();
  t.ok(n !== undefined && n > 0, `ulimit -n: ${n}`);
});
