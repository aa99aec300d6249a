/**
 * One side of a book: its price levels kept in a sorted array, best level last, so the levels
 * that change most (near the best price) are the cheapest to insert and remove. A level's key
 * is sign × price: bids (sign +1) ascend to the highest bid, asks (sign -1) to the lowest ask.
 * Stop orders reuse the structure keyed by stop price: buy stops fire lowest first (sign -1),
 * sell stops highest first (sign +1).
 *
 * A level at key k is reachable from a bound b (a limit price, or a trade price for stops)
 * when k >= sign × b.
 *
 * A level that empties stays in place (walks skip it) so that an order arriving at that price
 * again — most moves in a busy book — reuses it in O(1) instead of a sorted insert and remove.
 * The best level is never left empty, and empty levels are compacted away once they are over
 * half of the side, so they cost O(1) amortised and are bounded.
 */
import { assert } from '../assert.ts';
import { grow } from '../grow.ts';
import type { Levels } from './levels.ts';
import { NIL, type Orders } from './orders.ts';

export class BookSide {
  keys: Float64Array;
  ids: Int32Array;
  /** Number of levels, empty ones included. */
  n = 0;
  /** Empty levels kept for reuse. */
  private empty = 0;
  private readonly id: number;

  constructor(
    readonly sign: 1 | -1,
    private readonly levels: Levels,
    private readonly orders: Orders,
  ) {
    this.keys = new Float64Array(16);
    this.ids = new Int32Array(16);
    this.id = levels.newSide();
  }

  /** The best level (never an empty one), or NIL when the side is empty. */
  best(): number {
    return this.n === 0 ? NIL : this.ids[this.n - 1];
  }

  bestPrice(): number {
    return this.n === 0 ? 0 : this.sign * this.keys[this.n - 1];
  }

  /**
   * Index of the level at `price`, or -(insertion index) - 1 when there is none. Gallops from
   * the best level first: most prices that change are near it.
   */
  search(price: number): number {
    const key = this.sign * price;
    const keys = this.keys;
    let hi = this.n - 1;
    let lo = hi;
    let step = 1;
    while (lo >= 0 && keys[lo] > key) {
      hi = lo - 1;
      lo -= step;
      step *= 2;
    }
    if (lo < 0) lo = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid];
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /** Links an order at the tail of the level at `price` (creating the level). */
  append(slot: number, price: number): void {
    const levels = this.levels;
    const orders = this.orders;
    let level = levels.byPrice.get(price, this.id);
    if (level === NIL) {
      level = levels.alloc(price);
      this.insertAt(-this.search(price) - 1, this.sign * price, level);
      levels.byPrice.set(price, this.id, level);
    } else if (levels.count[level] === 0) {
      this.empty--;
    }
    const tail = levels.tail[level];
    orders.prev[slot] = tail;
    orders.next[slot] = NIL;
    if (tail === NIL) levels.head[level] = slot;
    else orders.next[tail] = slot;
    levels.tail[level] = slot;
    levels.count[level]++;
    levels.total[level] += orders.leaves[slot];
    orders.level[slot] = level;
  }

  /** Unlinks an order from its level, removing the level when it empties. */
  unlink(slot: number): void {
    const levels = this.levels;
    const orders = this.orders;
    const level = orders.level[slot];
    const prev = orders.prev[slot];
    const next = orders.next[slot];
    if (prev === NIL) levels.head[level] = next;
    else orders.next[prev] = next;
    if (next === NIL) levels.tail[level] = prev;
    else orders.prev[next] = prev;
    orders.prev[slot] = NIL;
    orders.next[slot] = NIL;
    orders.level[slot] = NIL;
    levels.total[level] -= orders.leaves[slot];
    if (--levels.count[level] === 0) {
      this.empty++;
      if (this.ids[this.n - 1] === level) this.trimBest();
      else if (this.empty > 16 && this.empty * 2 > this.n) this.compact();
    }
  }

  /** Drops empty levels from the best end, so that the best level is never empty. */
  private trimBest(): void {
    const levels = this.levels;
    while (this.n > 0 && levels.count[this.ids[this.n - 1]] === 0) {
      this.n--;
      this.forget(this.ids[this.n]);
    }
  }

  /** Removes every empty level: O(levels), run when they are over half of them. */
  private compact(): void {
    const levels = this.levels;
    let kept = 0;
    for (let i = 0; i < this.n; i++) {
      const level = this.ids[i];
      if (levels.count[level] === 0) {
        this.forget(level);
      } else {
        this.keys[kept] = this.keys[i];
        this.ids[kept++] = level;
      }
    }
    this.n = kept;
    assert(this.empty === 0, 'empty level count out of step');
  }

  private forget(level: number): void {
    this.levels.byPrice.delete(this.levels.price[level], this.id);
    this.levels.release(level);
    this.empty--;
  }

  private insertAt(i: number, key: number, level: number): void {
    if (this.n === this.keys.length) {
      this.keys = grow(this.keys, this.n * 2);
      this.ids = grow(this.ids, this.n * 2);
    }
    if (i < this.n) {
      this.keys.copyWithin(i + 1, i, this.n);
      this.ids.copyWithin(i + 1, i, this.n);
    }
    this.keys[i] = key;
    this.ids[i] = level;
    this.n++;
  }

  byteSize(): number {
    return this.keys.byteLength + this.ids.byteLength;
  }
}
