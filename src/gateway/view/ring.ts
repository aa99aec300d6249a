/**
 * Positions in a bounded FIFO ring of records kept in columns (typed arrays). Record k — counting
 * from 0 for ever — sits at position k % capacity while it is among the newest `capacity`.
 * Owners allocate their columns full-size at the start: growing them under load (copying and
 * re-indexing hundreds of thousands of records) stalled a node's event loop for 200 ms.
 */
import { assert } from '../../application/assert.ts';

export class Ring {
  /** Records ever written: the next record's number. */
  written = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, 'a ring needs a capacity of at least one record');
  }

  /** The position for a new record (dropping the oldest once full). */
  claim(): number {
    const at = this.written % this.capacity;
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
