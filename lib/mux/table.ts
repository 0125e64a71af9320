// The actions in flight, by id counter (IdSpace). Counters are handed out in sequence and nearly
// every action is answered long before 4096 newer ones have been sent, so a ring indexed by
// `key & MASK` holds them: no hashing, and nothing reallocated as entries come and go. (A Map of
// short-lived entries rebuilt its hash table every few dozen actions; the obsolete tables, once in
// old space, kept finished entries alive through every scavenge.) An entry whose slot is still
// taken by an older one goes to a Map instead.

const RING_BITS = 12;
const MASK = (1 << RING_BITS) - 1;

export interface Keyed {
  readonly key: number;
}

export class PendingTable<T extends Keyed> {
  private readonly ring: Array<T | undefined>;
  private readonly overflow: Map<number, T>;
  private count: number;

  constructor() {
    this.ring = Array.from({ length: MASK + 1 }, () => undefined);
    this.overflow = new Map();
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  get(key: number): T | undefined {
    const e = this.ring[key & MASK];
    if (e !== undefined && e.key === key) return e;
    return this.overflow.size === 0 ? undefined : this.overflow.get(key);
  }

  /** Adds `e` (its key must not be in the table). */
  add(e: T): void {
    const i = e.key & MASK;
    if (this.ring[i] === undefined) this.ring[i] = e;
    else this.overflow.set(e.key, e);
    this.count++;
  }

  /** Removes `e` itself; false if it was not in the table. */
  delete(e: T): boolean {
    const i = e.key & MASK;
    if (this.ring[i] === e) this.ring[i] = undefined;
    else if (this.overflow.get(e.key) === e) this.overflow.delete(e.key);
    else return false;
    this.count--;
    return true;
  }

  /** Every entry (slow path: sweeps and failures). Entries may be deleted while iterating. */
  *values(): IterableIterator<T> {
    const ring = this.ring;
    for (let i = 0; i < ring.length; i++) {
      const e = ring[i];
      if (e !== undefined) yield e;
    }
    yield* this.overflow.values();
  }
}
