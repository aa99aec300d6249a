/**
 * Positions in a bounded FIFO ring of records kept in columns (typed arrays). Record k — counting
 * from 0 for ever — sits at position k % capacity while it is among the newest `capacity`.
 * Columns start small and double up to the capacity; positions only wrap once the ring is full,
 * so the columns are full-size by then and a record never moves.
 */
import { assert } from '../../application/assert.ts';

const INITIAL_LENGTH = 16;

export class Ring {
  /** Records ever written: the next record's number. */
  written = 0;
  /** Length the columns have now. */
  length: number;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, 'a ring needs a capacity of at least one record');
    this.length = Math.min(capacity, INITIAL_LENGTH);
  }

  /**
   * The position for a new record (dropping the oldest once full). When it returns a position
   * at or past the old `length`, `length` has grown: the owner grows its columns to it.
   */
  claim(): number {
    const at = this.written % this.capacity;
    if (at === this.length) this.length = Math.min(this.capacity, this.length * 2);
    this.written++;
    return at;
  }

  /** Is record `k` still held? */
  holds(k: number): boolean {
    return k >= 0 && k < this.written && k >= this.written - this.capacity;
  }

  position(k: number): number {
    return k % this.capacity;
  }

  get size(): number {
    return Math.min(this.written, this.capacity);
  }
}
