/**
 * A hash index over the positions of a ring (or any table) whose keys the caller keeps: each
 * entry holds only the key's 32-bit hash and the position, two int32s side by side, so that a
 * probe reads one cache line and the index takes 8 bytes an entry. A PairIndex, which keeps
 * the keys, takes 20; at a quarter of a million keys that was past what the TLB covers, and an
 * insert plus a delete at random places waited on memory about twice as long.
 *
 * Open addressing, linear probing, load ≤ 0.5, backward-shift deletion. A lookup compares the
 * caller's key columns at each position whose hash matches: a key is one or two numbers, read
 * from the caller's typed arrays at the position, so no closure per lookup.
 */
import { staysPut } from './pair-index.ts';

const SHIFT = 1;
const STRIDE = 1 << SHIFT;
/** Offset of the position + 1 in an entry (0 marks a free entry). */
const AT = 1;

export class RingIndex {
  private readonly index: Int32Array;
  /** Masks an offset into `index` to an entry's start: (entries - 1) * STRIDE. */
  private readonly mask: number;

  /** An index of at most `positions` positions at once. */
  constructor(positions: number) {
    let entries = 16;
    while (entries < positions * 2) entries *= 2;
    this.index = new Int32Array(entries * STRIDE);
    this.mask = (entries - 1) * STRIDE;
  }

  /**
   * The position of the key (`a`, `b`) whose hash is `hash`, or -1: the position p where
   * first[p] === a and, given `second`, second[p] === b.
   */
  find(hash: number, first: Float64Array, a: number, second: Float64Array | undefined, b: number): number {
    const index = this.index;
    // Bounded: the table is at most half full, so a probe run ends at a free entry.
    for (let i = this.home(hash); ; i = this.next(i)) {
      const at = index[i + AT] - 1;
      if (at < 0) return -1;
      if (index[i] === hash && first[at] === a && (second === undefined || second[at] === b)) return at;
    }
  }

  /** Indexes `position` under `hash` (the caller knows its key is not indexed yet). */
  insert(hash: number, position: number): void {
    const index = this.index;
    let i = this.home(hash);
    while (index[i + AT] !== 0) i = this.next(i);
    index[i] = hash;
    index[i + AT] = position + 1;
  }

  /** Removes `position`, indexed under `hash`; false if it is not. */
  remove(hash: number, position: number): boolean {
    const index = this.index;
    const mask = this.mask;
    let i = this.home(hash);
    for (;;) {
      const entry = index[i + AT];
      if (entry === 0) return false;
      if (entry === position + 1) break;
      i = this.next(i);
    }
    // Backward shift: move later members of the probe run into the hole when their home allows.
    let j = i;
    for (;;) {
      j = (j + STRIDE) & mask;
      const entry = index[j + AT];
      if (entry === 0) break;
      if (staysPut(i, j, (index[j] << SHIFT) & mask)) continue;
      index[i] = index[j];
      index[i + AT] = entry;
      i = j;
    }
    index[i + AT] = 0;
    return true;
  }

  /** Where the probe run of `hash` starts. */
  private home(hash: number): number {
    return (hash << SHIFT) & this.mask;
  }

  /** The entry after `entry` in a probe run. */
  private next(entry: number): number {
    return (entry + STRIDE) & this.mask;
  }

  /** Bytes held (for memory accounting). */
  byteSize(): number {
    return this.index.byteLength;
  }
}
