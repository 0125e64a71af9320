// Command (tcp_06, and the pre-14 `Response: Follows` form), queues (http_16d, tcp_08), core
// settings/status and the in-memory astdb (corpus shapes).
import type { AmiMessage } from '../ami/message.ts';
import type { Pairs } from './channels.ts';
import { blacklisted, runCli } from './clicmd.ts';
import * as reply from './reply.ts';
import type { ActionSession } from './host.ts';

export function command(s: ActionSession, m: AmiMessage, id: string): void {
  const cmd = m.get('Command') ?? '';
  if (cmd === '') {
    s.send(reply.error(id, 'No command provided'));
    return;
  }
  if (blacklisted(cmd)) {
    s.send(reply.error(id, 'Command blacklisted'));
    return;
  }
  const res = runCli(s.sim, cmd);
  if (s.sim.followsCommand) {
    // Asterisk <= 13: raw CLI text with bare \n, closed by the marker line.
    const body = res.lines.map((l) => l + '\n').join('');
    s.send(`Response: Follows\r\nPrivilege: Command\r\n${reply.idLine(id)}${body}--END COMMAND--\r\n\r\n`);
    return;
  }
  let out = `Response: ${res.ok ? 'Success' : 'Error'}\r\n${reply.idLine(id)}Message: Command output follows\r\n`;
  for (const l of res.lines) out += `Output: ${l}\r\n`;
  s.send(out + '\r\n');
}

interface QueueMember {
  name: string;
  location: string;
  membership: string;
}

const QUEUES: ReadonlyArray<{ name: string; members: QueueMember[] }> = [
  { name: 'support', members: [{ name: 'Agent300', location: 'Local/300@test/n', membership: 'static' }] },
];

export function queueStatus(s: ActionSession, m: AmiMessage, id: string): void {
  const which = m.get('Queue') ?? '';
  const member = m.get('Member') ?? '';
  let out = reply.listAck(id, 'Queue status will follow');
  let n = 0;
  for (const q of QUEUES) {
    if (which !== '' && which !== q.name) continue;
    out += reply.itemIdLast(
      'QueueParams',
      [
        ['Queue', q.name],
        ['Max', '0'],
        ['Strategy', 'ringall'],
        ['Calls', '0'],
        ['Holdtime', '0'],
        ['TalkTime', '0'],
        ['Completed', '0'],
        ['Abandoned', '0'],
        ['ServiceLevel', '0'],
        ['ServicelevelPerf', '0.0'],
        ['ServicelevelPerf2', '0.0'],
        ['Weight', '0'],
      ],
      id,
    );
    n++;
    for (const mem of q.members) {
      if (member !== '' && member !== mem.name && member !== mem.location) continue;
      const pairs: Pairs = [
        ['Queue', q.name],
        ['Name', mem.name],
        ['Location', mem.location],
        ['StateInterface', mem.location],
        ['Membership', mem.membership],
        ['Penalty', '0'],
        ['CallsTaken', '0'],
        ['LastCall', '0'],
        ['LastPause', '0'],
        ['LoginTime', String(s.sim.startedAtSec)],
        ['InCall', '0'],
        ['Status', '1'],
        ['Paused', '0'],
        ['PausedReason', ''],
        ['Wrapuptime', '0'],
      ];
      out += reply.itemIdLast('QueueMember', pairs, id);
      n++;
    }
  }
  s.send(out + reply.listComplete('QueueStatusComplete', id, n));
}

export function queueSummary(s: ActionSession, m: AmiMessage, id: string): void {
  const which = m.get('Queue') ?? '';
  let out = reply.listAck(id, 'Queue summary will follow');
  let n = 0;
  for (const q of QUEUES) {
    if (which !== '' && which !== q.name) continue;
    out += reply.itemIdLast(
      'QueueSummary',
      [
        ['Queue', q.name],
        ['LoggedIn', String(q.members.length)],
        ['Available', String(q.members.length)],
        ['Callers', '0'],
        ['HoldTime', '0'],
        ['TalkTime', '0'],
        ['LongestHoldTime', '0'],
      ],
      id,
    );
    n++;
  }
  s.send(out + reply.listComplete('QueueSummaryComplete', id, n));
}

export function coreSettings(s: ActionSession, _m: AmiMessage, id: string): void {
  const sim = s.sim;
  s.send(
    reply.response('Success', id, [
      ['AMIversion', sim.amiVersion],
      ['AsteriskVersion', sim.asteriskVersion],
      ['SystemName', ''],
      ['CoreMaxCalls', '0'],
      ['CoreMaxLoadAvg', '0.000000'],
      ['CoreRunUser', ''],
      ['CoreRunGroup', ''],
      ['CoreMaxFilehandles', '0'],
      ['CoreRealTimeEnabled', 'No'],
      ['CoreCDRenabled', 'Yes'],
      ['CoreHTTPenabled', 'Yes'],
      ['SoundsSearchCustomDir', 'No'],
    ]),
  );
}

export function coreStatus(s: ActionSession, _m: AmiMessage, id: string): void {
  const sim = s.sim;
  const started = new Date(sim.startedAtSec * 1000).toISOString();
  s.send(
    reply.response('Success', id, [
      ['CoreStartupDate', started.slice(0, 10)],
      ['CoreStartupTime', started.slice(11, 19)],
      ['CoreReloadDate', started.slice(0, 10)],
      ['CoreReloadTime', started.slice(11, 19)],
      ['CoreCurrentCalls', String(sim.channels.calls())],
      ['CoreProcessedCalls', String(sim.channels.processed)],
    ]),
  );
}

// ---- astdb (main/db.c texts; DBGet's have a final period, DBPut's do not) -----------------------

export function dbGet(s: ActionSession, m: AmiMessage, id: string): void {
  const family = m.get('Family') ?? '';
  const key = m.get('Key') ?? '';
  if (family === '') return s.send(reply.error(id, 'No family specified.'));
  if (key === '') return s.send(reply.error(id, 'No key specified.'));
  const val = s.sim.db.get(`/${family}/${key}`);
  if (val === undefined) return s.send(reply.error(id, 'Database entry not found'));
  s.send(
    reply.listAck(id, 'Result will follow') +
      reply.itemIdLast('DBGetResponse', [['Family', family], ['Key', key], ['Val', val]], id) +
      reply.listComplete('DBGetComplete', id, 1),
  );
}

export function dbPut(s: ActionSession, m: AmiMessage, id: string): void {
  const family = m.get('Family') ?? '';
  const key = m.get('Key') ?? '';
  if (family === '') return s.send(reply.error(id, 'No family specified'));
  if (key === '') return s.send(reply.error(id, 'No key specified'));
  s.sim.db.set(`/${family}/${key}`, m.get('Val') ?? '');
  s.send(reply.ack(id, 'Updated database successfully'));
}

export function dbDel(s: ActionSession, m: AmiMessage, id: string): void {
  const family = m.get('Family') ?? '';
  const key = m.get('Key') ?? '';
  if (family === '') return s.send(reply.error(id, 'No family specified.'));
  if (key === '') return s.send(reply.error(id, 'No key specified.'));
  if (!s.sim.db.delete(`/${family}/${key}`)) return s.send(reply.error(id, 'Database entry not found'));
  s.send(reply.ack(id, 'Key deleted successfully'));
}

export function dbGetTree(s: ActionSession, m: AmiMessage, id: string): void {
  const family = m.get('Family') ?? '';
  const key = m.get('Key') ?? '';
  const prefix = family === '' ? '' : key === '' ? `/${family}` : `/${family}/${key}`;
  const hits = [...s.sim.db]
    .filter(([k]) => prefix === '' || k === prefix || k.startsWith(prefix + '/'))
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (hits.length === 0) return s.send(reply.error(id, 'Database entry not found'));
  let out = reply.listAck(id, 'Result will follow');
  for (const [k, v] of hits) out += reply.itemIdLast('DBGetTreeResponse', [['Key', k], ['Val', v]], id);
  s.send(out + reply.listComplete('DBGetTreeComplete', id, hits.length));
}
