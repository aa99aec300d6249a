/** Price levels, struct-of-arrays: a FIFO of order slots per level, reused through a free list. */
import { grow } from '../grow.ts';
import { PairIndex } from '../pair-index.ts';
import { NIL } from './orders.ts';

export class Levels {
  capacity: number;
  price: Float64Array;
  /** Sum of the leaves of the level's orders, in lots. */
  total: Float64Array;
  head: Int32Array;
  tail: Int32Array;
  count: Int32Array;
  private freeSlots: Int32Array;
  private freeTop = 0;
  private used = 0;
  private sides = 0;
  /** (price, side id) -> level, so finding an existing level costs one probe, not a search. */
  readonly byPrice = new PairIndex(64);

  /** A new id for a book side, for keying its levels. */
  newSide(): number {
    return ++this.sides;
  }

  constructor(capacity = 64) {
    this.capacity = capacity;
    this.price = new Float64Array(capacity);
    this.total = new Float64Array(capacity);
    this.head = new Int32Array(capacity);
    this.tail = new Int32Array(capacity);
    this.count = new Int32Array(capacity);
    this.freeSlots = new Int32Array(capacity);
  }

  alloc(price: number): number {
    let level: number;
    if (this.freeTop > 0) {
      level = this.freeSlots[--this.freeTop];
    } else {
      if (this.used === this.capacity) this.resize(this.capacity * 2);
      level = this.used++;
    }
    this.price[level] = price;
    this.total[level] = 0;
    this.head[level] = NIL;
    this.tail[level] = NIL;
    this.count[level] = 0;
    return level;
  }

  release(level: number): void {
    this.freeSlots[this.freeTop++] = level;
  }

  private resize(capacity: number): void {
    this.capacity = capacity;
    this.price = grow(this.price, capacity);
    this.total = grow(this.total, capacity);
    this.head = grow(this.head, capacity);
    this.tail = grow(this.tail, capacity);
    this.count = grow(this.count, capacity);
    this.freeSlots = grow(this.freeSlots, capacity);
  }

  byteSize(): number {
    return this.capacity * (8 * 2 + 4 * 4) + this.byPrice.byteSize();
  }
}
