/**
 * Order id -> position of the ended orders a ring keeps (FinishedOrders), for ids taken from
 * the engine's counter. Orders mostly end in about the order they were placed, so a table
 * indexed by the id's low bits takes each add and each forget on the cache line of the ones
 * before it; a hash index (RingIndex) scattered both, a cache miss each — at one add per order,
 * the most a follower spent on any one thing.
 *
 * Two kept orders whose ids share those bits (one rested while the table's size of newer ids
 * was taken) cannot both sit in the table: the one that comes second goes to a hash index, the
 * spill, which holds as many positions as the ring, so nothing is ever lost, only slower.
 */
import { hashPair } from '../../application/pair-index.ts';
import { RingIndex } from '../../application/ring-index.ts';

export class OrderIdIndex {
  /** Position + 1 by the id's low bits (0: free). */
  private readonly direct: Int32Array;
  private readonly mask: number;
  private readonly spill: RingIndex;

  /** An index of at most `positions` positions at once. */
  constructor(positions: number) {
    // Four times the positions: the ids of the orders kept span more than their number (ids of
    // orders still open, or that never rested, lie between them).
    let size = 16;
    while (size < positions * 4) size *= 2;
    this.direct = new Int32Array(size);
    this.mask = size - 1;
    this.spill = new RingIndex(positions);
  }

  /** Indexes `position` under `order` (the caller knows the order is not indexed yet). */
  insert(order: number, position: number): void {
    // `&` keeps the low 32 bits of a safe integer: the low bits of the id.
    const slot = order & this.mask;
    if (this.direct[slot] === 0) this.direct[slot] = position + 1;
    else this.spill.insert(hashPair(order, 0), position);
  }

  /** The position of `order`, or -1; `orders` holds the order id at each position. */
  find(order: number, orders: Float64Array): number {
    const at = this.direct[order & this.mask] - 1;
    if (at >= 0 && orders[at] === order) return at;
    // Not in the table: the spill may hold it (also after the order that took its slot left).
    return this.spill.find(hashPair(order, 0), orders, order, undefined, 0);
  }

  /** Removes `position`, indexed under `order`. */
  remove(order: number, position: number): void {
    const slot = order & this.mask;
    if (this.direct[slot] === position + 1) this.direct[slot] = 0;
    else this.spill.remove(hashPair(order, 0), position);
  }
}
