// Views: readers with the same server limit, read classes, event mask and filters share one view,
// which filters each turn's new entries once and hands them to the sink once; anything that changes
// what a reader sees gives another view.
import t from 'tap';
import { AmiMessage } from '../../lib/ami/message.ts';
import { EventLog, type LogEntry } from '../../lib/events/event-log.ts';
import { ViewRegistry, viewKey, type View, type ViewSpec } from '../../lib/events/views.ts';
import { parseFilter } from '../../lib/auth/filter.ts';
import { parseClassList } from '../../lib/auth/classes.ts';

const CALL = parseClassList('call');
const SYSTEM = parseClassList('system');

function spec(over: Partial<ViewSpec> = {}): ViewSpec {
  return { serverMask: undefined, readPerm: CALL | SYSTEM, eventMask: CALL | SYSTEM, filters: [], ...over };
}

function ev(name: string, priv: string): AmiMessage {
  return AmiMessage.from([
    ['Event', name],
    ['Privilege', priv],
  ]);
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('same spec, same view; filters compared by their text; other masks, other views', async (t) => {
  const log = new EventLog();
  const reg = new ViewRegistry<string>(log, { deliver: () => undefined });
  const a = reg.join(spec());
  const b = reg.join(spec());
  t.equal(a, b);
  t.equal(a.members, 2);
  const f1 = reg.join(spec({ filters: [parseFilter('eventfilter', 'Event: Newchannel')] }));
  const f2 = reg.join(spec({ filters: [parseFilter('eventfilter', 'Event: Newchannel')] }));
  t.equal(f1, f2, 'equal filters (separate objects) share');
  t.not(reg.join(spec({ eventMask: CALL })), a);
  t.not(reg.join(spec({ serverMask: 1 })), a);
  t.not(reg.join(spec({ filters: [parseFilter('eventfilter', '!Event: Newchannel')] })), f1);
  t.not(viewKey(spec({ readPerm: CALL })), viewKey(spec()));
  reg.leave(a);
  t.equal(reg.size, 5);
  reg.leave(b);
  t.equal(reg.size, 4, 'dropped at its last member');
  reg.close();
});

t.test('one delivery per view and turn, filtered once, in order; idle views skip', async (t) => {
  const log = new EventLog();
  const got: Array<{ view: View<string>; names: string[]; lost: number }> = [];
  const reg = new ViewRegistry<string>(log, {
    deliver: (view, entries: readonly LogEntry[], lost) => got.push({ view, names: entries.map((e) => e.name), lost }),
  });
  const all = reg.join(spec());
  const callOnly = reg.join(spec({ eventMask: CALL }));
  const idle = reg.join(spec({ readPerm: CALL }));
  all.live.add('x');
  all.live.add('y');
  callOnly.live.add('z');
  log.append(ev('A', 'call,all'));
  log.append(ev('B', 'system,all'));
  log.append(ev('C', 'call,all'));
  await turn();
  t.same(
    got.map((g) => [g.view === all ? 'all' : 'call', g.names]),
    [
      ['all', ['A', 'B', 'C']],
      ['call', ['A', 'C']],
    ],
    'one call per view for the three appends',
  );
  t.equal(idle.published, log.nextSeq, 'a view nobody is live on still moves its mark');
  reg.close();
});

t.test('a view that falls behind the ring in one turn reports the loss', async (t) => {
  const log = new EventLog({ capacity: 4 });
  const got: Array<{ names: string[]; lost: number }> = [];
  const reg = new ViewRegistry<string>(log, { deliver: (_v, entries, lost) => got.push({ names: entries.map((e) => e.name), lost }) });
  reg.join(spec()).live.add('x');
  for (let i = 0; i < 6; i++) log.append(ev(`E${i}`, 'call,all'));
  await turn();
  t.same(got, [{ names: ['E2', 'E3', 'E4', 'E5'], lost: 2 }]);
  reg.close();
});
