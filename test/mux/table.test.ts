import t from 'tap';
import { PendingTable } from '../../lib/mux/table.ts';

interface E {
  key: number;
}

t.test('ring and overflow behave as one map keyed by the entry key', (t) => {
  const table = new PendingTable<E>();
  const a = { key: 1 };
  const b = { key: 1 + 4096 }; // same ring slot as a: goes to the overflow
  const c = { key: 2 };
  table.add(a);
  table.add(b);
  table.add(c);
  t.equal(table.size, 3);
  t.equal(table.get(1), a);
  t.equal(table.get(4097), b);
  t.equal(table.get(2), c);
  t.equal(table.get(3), undefined);
  t.equal(table.get(1 + 8192), undefined, 'same slot, other key');
  t.notOk(table.delete({ key: 1 }), 'only the entry itself is removed');
  t.ok(table.delete(a));
  t.notOk(table.delete(a), 'twice');
  t.equal(table.get(1), undefined);
  t.equal(table.get(4097), b, 'the overflow entry is still found with its slot free');
  t.ok(table.delete(b));
  t.equal(table.size, 1);
  t.same([...table.values()], [c]);
  t.end();
});

t.test('values() while deleting, many entries in flight', (t) => {
  const table = new PendingTable<E>();
  const all: E[] = [];
  for (let k = 1; k <= 10000; k++) {
    const e = { key: k };
    all.push(e);
    table.add(e);
  }
  t.equal(table.size, 10000);
  for (const e of all) if (table.get(e.key) !== e) t.fail(`lost ${e.key}`);
  let seen = 0;
  for (const e of table.values()) {
    seen++;
    table.delete(e);
  }
  t.equal(seen, 10000);
  t.equal(table.size, 0);
  t.same([...table.values()], []);
  t.end();
});
