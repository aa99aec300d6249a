/**
 * One side of a book: its price levels kept in a sorted array, best level last, so the levels
 * that change most (near the best price) are the cheapest to insert and remove. A level's key
 * is sign × price: bids (sign +1) ascend to the highest bid, asks (sign -1) to the lowest ask.
 * Stop orders reuse the structure keyed by stop price: buy stops fire lowest first (sign -1),
 * sell stops highest first (sign +1).
 *
 * A level at key k is reachable from a bound b (a limit price, or a trade price for stops)
 * when k >= sign × b.
 */
import { assert } from '../assert.ts';
import { grow } from '../grow.ts';
import type { Levels } from './levels.ts';
import { NIL, type Orders } from './orders.ts';

export class BookSide {
  keys: Float64Array;
  ids: Int32Array;
  /** Number of levels. */
  n = 0;

  constructor(
    readonly sign: 1 | -1,
    private readonly levels: Levels,
    private readonly orders: Orders,
  ) {
    this.keys = new Float64Array(16);
    this.ids = new Int32Array(16);
  }

  /** The best level, or NIL when the side is empty. */
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
    let i = this.search(price);
    let level: number;
    if (i >= 0) {
      level = this.ids[i];
    } else {
      i = -i - 1;
      level = levels.alloc(price);
      this.insertAt(i, this.sign * price, level);
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
      const i = this.search(levels.price[level]);
      assert(i >= 0 && this.ids[i] === level, 'empty level is not in its side');
      this.removeAt(i);
      levels.release(level);
    }
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

  private removeAt(i: number): void {
    if (i < this.n - 1) {
      this.keys.copyWithin(i, i + 1, this.n);
      this.ids.copyWithin(i, i + 1, this.n);
    }
    this.n--;
  }

  byteSize(): number {
    return this.keys.byteLength + this.ids.byteLength;
  }
}
