/**
 * BookSide against a simple model (price → FIFO queue of orders), for bids (sign +1) and asks
 * (sign -1), alone and as the four sides of a product sharing one Levels and Orders pool:
 * level order (keys strictly ascending, best last), best price, per-level totals and counts,
 * FIFO links, emptied levels (never the best one; any other kept for reuse holds nothing and
 * their number stays bounded), and `search` (found index or insertion point) for prices near
 * and far.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BookSide } from '../../src/application/matching/book-side.ts';
import { Levels } from '../../src/application/matching/levels.ts';
import { NIL, Orders, Where } from '../../src/application/matching/orders.ts';
import { runs } from '../arbitraries.ts';

/** Empty levels a side may keep beyond its number of live levels (they must stay bounded). */
const EMPTY_SLACK = 32;

interface Resting {
  slot: number;
  leaves: number;
}

class SideUnderTest {
  /** price → orders in time priority. */
  readonly model = new Map<number, Resting[]>();

  constructor(
    readonly sign: 1 | -1,
    readonly side: BookSide,
  ) {}

  /** The model's prices in the side's order: keys (sign × price) ascending, best last. */
  prices(): number[] {
    return [...this.model.keys()].sort((a, b) => this.sign * a - this.sign * b);
  }
}

class Book {
  readonly levels = new Levels(1);
  readonly orders = new Orders(1);
  readonly sides: SideUnderTest[];
  private nextId = 1;

  constructor(signs: readonly (1 | -1)[]) {
    this.sides = signs.map((sign) => new SideUnderTest(sign, new BookSide(sign, this.levels, this.orders)));
  }

  append(s: number, price: number, leaves: number): number {
    const { side, model } = this.sides[s];
    const slot = this.orders.alloc(this.nextId++);
    this.orders.leaves[slot] = leaves;
    this.orders.where[slot] = Where.Book;
    side.append(slot, price);
    const queue = model.get(price) ?? [];
    queue.push({ slot, leaves });
    model.set(price, queue);
    return slot;
  }

  unlink(s: number, price: number, index: number): void {
    const { side, model } = this.sides[s];
    const queue = model.get(price);
    assert.ok(queue !== undefined && index < queue.length);
    const [{ slot }] = queue.splice(index, 1);
    if (queue.length === 0) model.delete(price);
    side.unlink(slot);
    assert.equal(this.orders.prev[slot], NIL);
    assert.equal(this.orders.next[slot], NIL);
    assert.equal(this.orders.level[slot], NIL);
    this.orders.release(slot);
  }

  check(): void {
    const seen = new Set<number>();
    for (let s = 0; s < this.sides.length; s++) this.checkSide(s, seen);
    const resting = this.sides.reduce((n, t) => n + [...t.model.values()].reduce((m, q) => m + q.length, 0), 0);
    assert.equal(this.orders.count, resting, 'orders in the pool');
  }

  private checkSide(s: number, seen: Set<number>): void {
    const { levels, orders } = this;
    const { side, sign, model } = this.sides[s];
    const context = `side ${s} (sign ${sign})`;
    const live: number[] = [];
    let empty = 0;
    for (let i = 0; i < side.n; i++) {
      if (i > 0) assert.ok(side.keys[i - 1] < side.keys[i], `${context}: keys not strictly ascending at ${i}`);
      const level = side.ids[i];
      assert.ok(!seen.has(level), `${context}: level ${level} is in two places`);
      seen.add(level);
      const price = levels.price[level];
      assert.equal(side.keys[i], sign * price, `${context}: key of level ${i}`);
      if (levels.count[level] === 0) {
        empty++;
        assert.equal(levels.total[level], 0, `${context}: empty level at ${price} has a total`);
        assert.equal(levels.head[level], NIL, `${context}: empty level at ${price} has a head`);
        assert.equal(levels.tail[level], NIL, `${context}: empty level at ${price} has a tail`);
        continue;
      }
      live.push(price);
      const queue = model.get(price) ?? [];
      assert.equal(levels.count[level], queue.length, `${context}: count at ${price}`);
      assert.equal(levels.total[level], queue.reduce((n, o) => n + o.leaves, 0), `${context}: total at ${price}`);
      // FIFO: head to tail through `next`, tail to head through `prev`.
      const forward: number[] = [];
      for (let slot = levels.head[level]; slot !== NIL; slot = orders.next[slot]) {
        forward.push(slot);
        assert.equal(orders.level[slot], level, `${context}: order ${slot} points at another level`);
        assert.ok(forward.length <= queue.length, `${context}: cycle at ${price}`);
      }
      assert.deepEqual(forward, queue.map((o) => o.slot), `${context}: FIFO at ${price}`);
      const backward: number[] = [];
      for (let slot = levels.tail[level]; slot !== NIL; slot = orders.prev[slot]) {
        backward.push(slot);
        assert.ok(backward.length <= queue.length, `${context}: cycle at ${price}`);
      }
      assert.deepEqual(backward.reverse(), forward, `${context}: prev links at ${price}`);
    }
    const prices = this.sides[s].prices();
    assert.deepEqual(live, prices, `${context}: live levels`);
    assert.ok(empty <= live.length + EMPTY_SLACK, `${context}: ${empty} empty levels kept for ${live.length} live ones`);
    if (prices.length === 0) {
      assert.equal(side.n, 0, `${context}: levels left on an empty side`);
      assert.equal(side.best(), NIL);
      assert.equal(side.bestPrice(), 0);
    } else {
      const best = sign === 1 ? Math.max(...prices) : Math.min(...prices);
      assert.ok(levels.count[side.ids[side.n - 1]] > 0, `${context}: the best level is empty`);
      assert.equal(side.best(), side.ids[side.n - 1], `${context}: best level`);
      assert.equal(side.bestPrice(), best, `${context}: best price`);
      assert.equal(levels.price[side.best()], best);
    }
  }

  /** search(price) is the index of the level at that price, or -(insertion point) - 1. */
  checkSearch(s: number, price: number): void {
    const { side, sign, model } = this.sides[s];
    const key = sign * price;
    const r = side.search(price);
    const context = `side ${s} (sign ${sign}): search(${price}) = ${r} of ${side.n} levels`;
    assert.ok(Number.isInteger(r), context);
    if (r >= 0) {
      assert.ok(r < side.n, context);
      assert.equal(side.keys[r], key, context);
    } else {
      const at = -r - 1;
      assert.ok(at <= side.n, context);
      if (at > 0) assert.ok(side.keys[at - 1] < key, `${context}: the level before is not below`);
      if (at < side.n) assert.ok(side.keys[at] > key, `${context}: the level after is not above`);
    }
    const queue = model.get(price);
    if (queue !== undefined) {
      assert.ok(r >= 0, `${context}: a live level not found`);
      assert.equal(this.levels.count[side.ids[r]], queue.length, context);
    }
  }

  /** Prices around every level, both ends and far beyond, and the given extras. */
  checkSearches(s: number, extra: readonly number[] = []): void {
    const { side, sign } = this.sides[s];
    const probes = new Set<number>([1, 2, 2 ** 52, ...extra]);
    for (let i = 0; i < side.n; i++) {
      const p = sign * side.keys[i];
      for (const d of [-1, 0, 1]) probes.add(p + d);
    }
    const prices = this.sides[s].prices();
    if (prices.length > 0) {
      const lo = Math.min(...prices);
      const hi = Math.max(...prices);
      for (const p of [lo - 1000, lo - 1, hi + 1, hi + 1000, hi * 2, Math.floor((lo + hi) / 2)]) probes.add(p);
    }
    for (const p of probes) if (p > 0) this.checkSearch(s, p);
  }
}

type Op =
  | { op: 'append'; side: number; price: number; leaves: number }
  | { op: 'unlink'; side: number; pick: number; at: 'head' | 'tail' | 'any'; index: number };

function opsArb(price: fc.Arbitrary<number>, sides: number, maxLength: number): fc.Arbitrary<Op[]> {
  const side = fc.integer({ min: 0, max: sides - 1 });
  const op = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant('append' as const), side, price, leaves: fc.integer({ min: 1, max: 1_000_000 }) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('unlink' as const),
        side,
        pick: fc.nat(),
        at: fc.constantFrom('head' as const, 'tail' as const, 'any' as const),
        index: fc.nat(),
      }),
    },
  );
  return fc.array(op, { size: 'max', maxLength });
}

function run(signs: readonly (1 | -1)[], ops: readonly Op[], probes: readonly number[]): void {
  const book = new Book(signs);
  book.check();
  for (const o of ops) {
    if (o.op === 'append') {
      book.append(o.side, o.price, o.leaves);
    } else {
      const prices = book.sides[o.side].prices();
      if (prices.length === 0) continue;
      const price = prices[o.pick % prices.length];
      const queue = book.sides[o.side].model.get(price) ?? [];
      book.unlink(o.side, price, o.at === 'head' ? 0 : o.at === 'tail' ? queue.length - 1 : o.index % queue.length);
    }
    book.check();
    book.checkSearches(o.side, probes);
  }
}

const single: [string, 1 | -1][] = [['bids (sign +1)', 1], ['asks (sign -1)', -1]];

for (const [name, sign] of single) {
  describe(`BookSide ${name} against a model`, () => {
    it('few prices, deep queues (appends and unlinks at head, tail and inside)', () => {
      fc.assert(
        fc.property(opsArb(fc.integer({ min: 1, max: 12 }), 1, 150), fc.array(fc.integer({ min: 1, max: 20 })), (ops, probes) => {
          run([sign], ops, probes);
        }),
        runs(300),
      );
    });

    it('many prices over a wide range (levels inserted and emptied everywhere)', () => {
      fc.assert(
        fc.property(opsArb(fc.integer({ min: 1, max: 1_000_000 }), 1, 150), fc.array(fc.integer({ min: 1, max: 2_000_000 })), (ops, probes) => {
          run([sign], ops, probes);
        }),
        runs(200),
      );
    });

    it('prices up to 2^52 and near the best (the common case of a live book)', () => {
      const price = fc.oneof(fc.integer({ min: 1, max: 2 ** 52 }), fc.integer({ min: 999_990, max: 1_000_010 }));
      fc.assert(
        fc.property(opsArb(price, 1, 120), (ops) => {
          run([sign], ops, []);
        }),
        runs(200),
      );
    });

    it('search on a side of thousands of levels: every price in range, both ends and beyond', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 1, max: 20_000 }), { size: 'max', minLength: 0, maxLength: 3_000 }),
          fc.array(fc.integer({ min: 1, max: 100_000 }), { size: 'max', maxLength: 500 }),
          (prices, probes) => {
            const book = new Book([sign]);
            for (const p of prices) book.append(0, p, (p % 7) + 1);
            book.check();
            for (const p of probes) book.checkSearch(0, p);
            const lo = prices.length > 0 ? Math.min(...prices) : 1;
            const hi = prices.length > 0 ? Math.max(...prices) : 1;
            for (let p = Math.max(1, lo - 2); p <= hi + 2; p++) book.checkSearch(0, p);
            for (const p of [1, hi + 10_000, 2 ** 52]) book.checkSearch(0, p);
            // Without empty levels, search finds exactly the model's prices.
            const side = book.sides[0].side;
            for (const p of prices) assert.equal(book.levels.price[side.ids[side.search(p)]], p);
            assert.equal(side.n, prices.length);
          },
        ),
        runs(30),
      );
    });

    it('a level emptied inside the side and filled again keeps its place, and the new order is alone in it', () => {
      const book = new Book([sign]);
      const prices = [10, 20, 30, 40, 50];
      for (const p of prices) book.append(0, p, 1);
      for (const p of prices) book.append(0, p, 2);
      const inner = sign === 1 ? 20 : 40; // not the best of this side
      book.unlink(0, inner, 0);
      book.unlink(0, inner, 0);
      book.check();
      for (const p of [...prices, 15, 25, 35, 45, 55, 5]) book.checkSearch(0, p);
      book.append(0, inner, 7);
      book.check();
      const best = sign === 1 ? 50 : 10;
      book.unlink(0, best, 0);
      book.unlink(0, best, 0);
      book.check();
      assert.equal(book.sides[0].side.bestPrice(), sign === 1 ? 40 : 20);
    });
  });
}

describe('BookSide: the four sides of a product sharing one Levels and Orders pool', () => {
  const signs: (1 | -1)[] = [1, -1, -1, 1]; // bids, asks, buy stops, sell stops

  it('random operations on all four sides, the same prices on each', () => {
    fc.assert(
      fc.property(opsArb(fc.integer({ min: 1, max: 15 }), signs.length, 200), (ops) => {
        run(signs, ops, []);
      }),
      runs(300),
    );
  });

  it('random operations on all four sides over a wide range', () => {
    fc.assert(
      fc.property(opsArb(fc.integer({ min: 1, max: 100_000 }), signs.length, 200), (ops) => {
        run(signs, ops, []);
      }),
      runs(150),
    );
  });
});

describe('BookSide growth and reuse', () => {
  for (const [name, sign] of single) {
    it(`${name}: 5,000 levels built from the far end and from the best, then emptied in random order`, () => {
      const book = new Book([sign]);
      // Worst first for this side, then best first: both ends of the array are exercised.
      const far = Array.from({ length: 2_500 }, (_, i) => (sign === 1 ? 10_000 - i : 10_001 + i));
      const near = Array.from({ length: 2_500 }, (_, i) => (sign === 1 ? 10_001 + i : 10_000 - i));
      for (const p of [...far, ...near]) book.append(0, p, 3);
      for (const p of near.slice(0, 100)) book.append(0, p, 4);
      book.check();
      book.checkSearches(0);
      const rnd = fc.sample(fc.array(fc.nat(), { minLength: 5_100, maxLength: 5_100 }), { numRuns: 1, seed: sign })[0];
      let step = 0;
      while (book.sides[0].model.size > 0) {
        const prices = book.sides[0].prices();
        const price = prices[rnd[step % rnd.length] % prices.length];
        book.unlink(0, price, 0);
        if (++step % 250 === 0) {
          book.check();
          book.checkSearches(0);
        }
      }
      book.check();
      assert.equal(book.sides[0].side.n, 0);
      assert.equal(book.orders.count, 0);
      // Everything is reusable afterwards.
      for (const p of [42, 41, 43, 42]) book.append(0, p, 1);
      book.check();
      book.checkSearches(0);
    });
  }
});
