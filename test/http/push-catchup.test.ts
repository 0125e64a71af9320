// A push client catching up from `since` pauses while its socket is full and goes on at drain
// (lib/http/push.ts catchUp). Entries the ring drops during such a pause, ahead of the client's
// position, were never delivered: the client is told them as EventsLost, once, with the rest.
// The transport here records what catchUp writes and reports a full or empty socket on demand.
import t from 'tap';
import { AmiMessage } from '../../lib/ami/message.ts';
import { EventLog, type LogEntry } from '../../lib/events/event-log.ts';
import { PushClient, PushContext } from '../../lib/http/push.ts';
import type { View } from '../../lib/events/views.ts';
import { ALL } from '../../lib/auth/classes.ts';
import type { SessionStore } from '../../lib/session/store.ts';
import type { AjamDispatcher } from '../../lib/http/ajam.ts';

class RecordingClient extends PushClient {
  full = false;
  readonly frames: string[] = [];
  buffered(): number {
    return this.full ? Number.MAX_SAFE_INTEGER : 0;
  }
  write(bytes: Buffer): void {
    this.frames.push(bytes.toString());
  }
  frame(entry: LogEntry): Buffer {
    return Buffer.from(`seq ${entry.seq}`);
  }
  lostFrame(lastLostSeq: number, count: number | 'unknown'): Buffer {
    return Buffer.from(`lost ${count} up to ${lastLostSeq}`);
  }
  corked(fn: () => void): void {
    fn();
  }
  protected subscribe(_view: View<PushClient>): void {}
  protected unsubscribe(_view: View<PushClient>): void {}
  protected kick(_reason: string): void {}
  get kind(): 'ws' {
    return 'ws';
  }
}

const ev = (): AmiMessage => AmiMessage.from([['Event', 'UserEvent'], ['Privilege', 'user,all']]);
const spec = { serverMask: undefined, readPerm: ALL, eventMask: ALL, filters: [] };

for (const rings of [undefined, [{ capacity: 4 }, { capacity: 100 }]]) {
  t.test(`entries dropped while a catching-up client waits for drain are told (${rings === undefined ? 'one ring' : 'two rings'})`, async (t) => {
    const log = new EventLog({ capacity: 4, rings });
    const bit = rings === undefined ? -1 : 1;
    const ctx = new PushContext({
      store: undefined as unknown as SessionStore,
      dispatcher: undefined as unknown as AjamDispatcher,
      log,
      limits: { bufferLimit: 1000, maxFrame: 1000, maxInFlight: 1, maxClients: 1 },
    });
    for (let i = 0; i < 4; i++) log.append(ev(), bit); // seqs 1..4
    if (rings !== undefined) log.append(ev(), 2); // seq 5 on the other server keeps the view's mark ahead
    log.flush();
    const c = new RecordingClient(ctx);
    // The socket is full after the first frame: the client stops at seq 2.
    const write = c.write.bind(c);
    c.write = (bytes: Buffer): void => {
      write(bytes);
      c.full = true;
    };
    c.start(spec, 1);
    t.same(c.frames, ['seq 1'], 'paused after seq 1');
    // Meanwhile four more entries push seqs 2..4 (never delivered) out of the ring.
    for (let i = 0; i < 4; i++) log.append(ev(), bit);
    log.flush();
    c.full = false;
    c.write = write;
    c.onDrain();
    const lost = c.frames.find((f) => f.startsWith('lost'));
    t.equal(lost, 'lost 3 up to 4', 'seqs 2..4 told as lost');
    t.notOk(c.frames.slice(1).some((f) => f === 'seq 2' || f === 'seq 3' || f === 'seq 4'));
    t.equal(c.frames.filter((f) => f.startsWith('lost')).length, 1, 'told once');
    t.ok(c.live, 'then live');
  });
}

t.test('the WebSocket and SSE forms of an event count against its ring\'s byte bound', async (t) => {
  const { wsFrameOf, sseRecordOf } = await import('../../lib/http/push.ts');
  // Control bytes grow six-fold in JSON (\u0001): uncounted, they would let the ring outgrow eventbufferbytes.
  const log = new EventLog({ capacity: 1000, maxBytes: 20_000 });
  const big = (): AmiMessage => AmiMessage.from([['Event', 'UserEvent'], ['Privilege', 'user,all'], ['Data', '\u0001'.repeat(900)]]);
  const e = log.append(big());
  const before = log.bytes;
  const ws = wsFrameOf(e);
  const sse = sseRecordOf(e);
  t.equal(log.bytes, before + ws.length + sse.length, 'both forms are counted');
  t.equal(wsFrameOf(e), ws, 'and made once');
  for (let i = 0; i < 50; i++) {
    const x = log.append(big());
    wsFrameOf(x);
    sseRecordOf(x);
  }
  log.append(big());
  // What the held entries really take, raw and formatted.
  let held = 0;
  for (let seq = log.oldestSeq; seq < log.nextSeq; seq++) {
    const x = log.get(seq)!;
    held += x.msg.raw.length + (x.cache?.ws?.length ?? 0) + (x.cache?.sse?.length ?? 0);
  }
  t.ok(held <= 20_000, `the ring holds ${held} bytes, within its bound`);
});

t.test('resumeFrom: a since this run never handed out (newer, or below its first seq) is from another run', async (t) => {
  const { resumeFrom, RESUME_AHEAD } = await import('../../lib/http/push.ts');
  const { runFirstSeq } = await import('../../lib/events/event-log.ts');
  const first = runFirstSeq(1_796_000_000_000);
  t.equal(String(first).length, 15, 'fifteen digits (parseSeq takes up to 15)');
  t.ok(runFirstSeq(1_796_000_000_001) > first + 99, 'a run a millisecond later starts 100 seqs higher');
  const log = new EventLog({ firstSeq: first });
  for (let i = 0; i < 3; i++) log.append(ev());
  t.equal(resumeFrom(log, undefined), undefined, 'no since: the live edge');
  t.equal(resumeFrom(log, first - 1), first, 'just before the first seq: all of this run');
  t.equal(resumeFrom(log, first + 1), first + 2);
  t.equal(resumeFrom(log, first + 2), first + 3, 'the newest: the live edge');
  t.equal(resumeFrom(log, first + 3), RESUME_AHEAD, 'newer than anything handed out');
  t.equal(resumeFrom(log, 500), RESUME_AHEAD, 'from an earlier run, however far this one has come');
  t.throws(() => new EventLog({ firstSeq: 0 }), { code: 'AJAM_ERR_INVALID_ARG' });
});
