/**
 * A hash map from a pair of safe non-negative integers (first > 0) to a slot number, in typed
 * arrays: open addressing, linear probing, backward-shift deletion. No allocation per entry,
 * unlike a Map whose keys above 2^31 become heap numbers.
 */
import { assert } from './assert.ts';

const TWO_32 = 4294967296;

/** A 32-bit hash of a pair of safe non-negative integers (RecentRequests indexes by it too). */
export function hashPair(a: number, b: number): number {
  let h = Math.imul((a >>> 0) ^ Math.imul((a / TWO_32) >>> 0, 0x27d4eb2f), 0x9e3779b1);
  h ^= Math.imul((b >>> 0) ^ Math.imul((b / TWO_32) >>> 0, 0x165667b1), 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

/**
 * Linear probing's backward-shift deletion: whether the entry at `at`, whose home is `home`,
 * stays where it is rather than move into the hole at `hole` (its home lies after the hole,
 * up to it, with wrap-around).
 */
export function staysPut(hole: number, at: number, home: number): boolean {
  return hole <= at ? hole < home && home <= at : hole < home || home <= at;
}

export class PairIndex {
  private first: Float64Array;
  private second: Float64Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.first = new Float64Array(capacity);
    this.second = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** The value stored for (a, b), or -1. */
  get(a: number, b: number): number {
    const first = this.first;
    const mask = this.mask;
    let i = hashPair(a, b) & mask;
    for (;;) {
      const k = first[i];
      if (k === 0) return -1;
      if (k === a && this.second[i] === b) return this.values[i];
      i = (i + 1) & mask;
    }
  }

  set(a: number, b: number, value: number): void {
    assert(a > 0, 'pair index key must be positive');
    if ((this.size + 1) * 2 > this.first.length) this.resize(this.first.length * 2);
    const first = this.first;
    const mask = this.mask;
    let i = hashPair(a, b) & mask;
    for (;;) {
      const k = first[i];
      if (k === 0) {
        first[i] = a;
        this.second[i] = b;
        this.values[i] = value;
        this.size++;
        return;
      }
      if (k === a && this.second[i] === b) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  delete(a: number, b: number): boolean {
    const first = this.first;
    const second = this.second;
    const values = this.values;
    const mask = this.mask;
    let i = hashPair(a, b) & mask;
    for (;;) {
      const k = first[i];
      if (k === 0) return false;
      if (k === a && second[i] === b) break;
      i = (i + 1) & mask;
    }
    // Backward shift: move later members of the probe run into the hole when their home allows.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = first[j];
      if (k === 0) break;
      const home = hashPair(k, second[j]) & mask;
      if (staysPut(i, j, home)) continue;
      first[i] = k;
      second[i] = second[j];
      values[i] = values[j];
      i = j;
    }
    first[i] = 0;
    second[i] = 0;
    this.size--;
    return true;
  }

  clear(): void {
    this.first.fill(0);
    this.second.fill(0);
    this.size = 0;
  }

  private resize(capacity: number): void {
    const oldFirst = this.first;
    const oldSecond = this.second;
    const oldValues = this.values;
    this.first = new Float64Array(capacity);
    this.second = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < oldFirst.length; i++) {
      if (oldFirst[i] !== 0) this.set(oldFirst[i], oldSecond[i], oldValues[i]);
    }
  }

  /** Bytes held by the table (for memory accounting). */
  byteSize(): number {
    return this.first.byteLength + this.second.byteLength + this.values.byteLength;
  }
}

