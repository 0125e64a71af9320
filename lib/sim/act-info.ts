// Command (tcp_06, and the pre-14 `Response: Follows` form), queues (http_16d, tcp_08), core
// settings/status and the in-memory astdb (corpus shapes).
import type { AmiMessage } from '../ami/message.ts';
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

export function queueStatus(s: ActionSession, m: AmiMessage, id: string): void {
  const items = s.sim.queues.statusItems(m.get('Queue') ?? '', m.get('Member') ?? '');
  let out = reply.listAck(id, 'Queue status will follow');
  for (const [event, pairs] of items) out += reply.itemIdLast(event, pairs, id);
  s.send(out + reply.listComplete('QueueStatusComplete', id, items.length));
}

export function queueSummary(s: ActionSession, m: AmiMessage, id: string): void {
  const items = s.sim.queues.summaryItems(m.get('Queue') ?? '');
  let out = reply.listAck(id, 'Queue summary will follow');
  for (const pairs of items) out += reply.itemIdLast('QueueSummary', pairs, id);
  s.send(out + reply.listComplete('QueueSummaryComplete', id, items.length));
}

/** QueuePause (manager_queue_member_pause): Interface required, Queue optional, Paused a bool. */
export function queuePause(s: ActionSession, m: AmiMessage, id: string): void {
  const iface = m.get('Interface') ?? '';
  const pausedText = m.get('Paused') ?? '';
  if (iface === '' || pausedText === '') {
    s.send(reply.error(id, 'Need \'Interface\' and \'Paused\' parameters.'));
    return;
  }
  const paused = ['yes', 'true', 'y', 't', '1', 'on'].includes(pausedText.toLowerCase());
  if (!s.sim.queues.pause(m.get('Queue') ?? '', iface, paused, m.get('Reason') ?? '')) {
    s.send(reply.error(id, 'Interface not found'));
    return;
  }
  s.send(reply.ack(id, 'Interface paused successfully'));
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
