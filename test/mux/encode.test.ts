import t from 'tap';
import { encodeAction, astTrue } from '../../lib/mux/encode.ts';
import { IdSpace } from '../../lib/mux/ids.ts';

t.test('proxy id after Action, caller ids removed', (t) => {
  const e = encodeAction([['Action', 'Ping'], ['ActionID', 'mine'], ['actionid ', 'second'], ['X', 'a: b']], 'p-1');
  t.equal(e.text, 'Action: Ping\r\nActionID: p-1\r\nX: a: b\r\n\r\n');
  t.equal(e.callerId, 'mine');
  t.equal(e.action, 'Ping');
  const none = encodeAction([['Foo', 'bar']], 'p-2');
  t.equal(none.text, 'ActionID: p-2\r\nFoo: bar\r\n\r\n');
  t.equal(none.callerId, undefined);
  const o = encodeAction([['action', 'Originate'], ['Async', 'yes'], ['Timeout', '5000']], 'p-3');
  t.equal(o.async, 'yes');
  t.equal(o.timeout, '5000');
  t.end();
});

t.test('CR, LF, NUL rejected with AMI_ERR_INVALID_HEADER', (t) => {
  const bad: [string, string][][] = [
    [['Action', 'Ping\r\nAction: Originate']],
    [['Action', 'Ping'], ['X', 'a\nb']],
    [['Action', 'Ping'], ['X', 'a\0b']],
    [['Action', 'Ping'], ['X\r', 'v']],
    [['Action', 'Ping'], ['X\nY', 'v']],
    [['Action', 'Ping'], ['ActionID', 'a\r\n']],
    [['Action', 'Ping'], ['', 'v']],
    [['Action', 'Ping'], ['ActionID:x', 'v']],
  ];
  for (const h of bad) {
    t.throws(() => encodeAction(h, 'p-1'), { name: 'AjamError', code: 'AMI_ERR_INVALID_HEADER' }, JSON.stringify(h));
  }
  t.end();
});

t.test('astTrue and ids', (t) => {
  for (const v of ['yes', 'TRUE', 'y', 't', '1', 'On']) t.ok(astTrue(v), v);
  for (const v of [undefined, 'no', '0', 'false', '']) t.notOk(astTrue(v), String(v));
  const a = new IdSpace();
  const b = new IdSpace();
  t.match(a.prefix, /^[0-9a-f]{8}-$/);
  t.not(a.prefix, b.prefix, 'random per instance');
  const x = a.next();
  t.ok(a.owns(x));
  t.notOk(b.owns(x));
  t.not(a.next(), x);
  t.equal(new IdSpace('fixed').next(), 'fixed-1');
  t.throws(() => new IdSpace('bad id'));
  t.end();
});

t.test('IdSpace.parse reads the counter of our own ids only, one spelling per number', (t) => {
  const s = new IdSpace('abc');
  const at = (text: string): number => {
    const b = Buffer.from(`xx${text}yy`);
    return s.parse(b, 2, 2 + Buffer.byteLength(text));
  };
  for (let i = 0; i < 2000; i++) {
    const n = s.nextNumber();
    t.equal(at(s.idOf(n)), n);
  }
  t.equal(at(s.next()), 2001);
  t.equal(at('abd-1'), -1, 'other prefix');
  t.equal(at('ab'), -1, 'shorter than the prefix');
  t.equal(at('abc-'), 0, 'no counter');
  t.equal(at('abc-01'), 0, 'leading zero');
  t.equal(at('abc-1A'), 0, 'uppercase');
  t.equal(at('abc-1 '), 0, 'trailing text');
  t.equal(at('abc-c0.ping.3'), 0, "a connection's own id");
  t.equal(at('abc-zzzzzzzzzzz'), 0, 'too long');
  t.end();
});
