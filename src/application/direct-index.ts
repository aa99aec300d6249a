/**
 * An index of ring positions for keys that come in runs — order ids from a counter, each
 * account's request ids. The caller places each key by a number of its own (`local`) that
 * moves on by one along a run; a table indexed by that number's low bits holds the positions,
 * so an insert, a lookup and a remove touch the cache lines the ones before them did. A hash
 * index (RingIndex) scattered them, a cache miss each: at one insert and one remove per order,
 * the most a follower spent on any one thing.
 *
 * Two keys kept at once with the same low bits cannot both sit in the table: the one that
 * comes second goes to a RingIndex, the spill, which holds as many positions as the table
 * serves, so nothing is lost, only slower. Each table slot counts the keys it spilled, so a
 * lookup of a key that is not kept — a new request id, checked for a duplicate — reads the
 * table alone unless its slot spilled. Keys are compared in the caller's columns (RingIndex).
 */
import { hashPair } from './pair-index.ts';
import { RingIndex } from './ring-index.ts';

/** Offset in a slot of the position + 1 (0: free), and of the count of keys it spilled. */
const AT = 0;
const SPILLED = 1;

export class DirectIndex {
  /** Per slot: position + 1 and spilled count, side by side on one cache line. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly spill: RingIndex;

  /** An index of at most `positions` positions at once. */
  constructor(positions: number) {
    // Four slots a position: runs leave gaps (ids of orders still open, of other accounts).
    let slots = 16;
    while (slots < positions * 4) slots *= 2;
    this.table = new Int32Array(slots * 2);
    this.mask = slots - 1;
    this.spill = new RingIndex(positions);
  }

  /**
   * The position of the key (`a`, `b`) placed by `local`, or -1: the position p where
   * first[p] === a and, given `second`, second[p] === b (`b` is 0 without it).
   */
  find(local: number, first: Float64Array, a: number, second: Float64Array | undefined, b: number): number {
    const t = this.slot(local);
    const at = this.table[t + AT] - 1;
    if (at >= 0 && first[at] === a && (second === undefined || second[at] === b)) return at;
    return this.table[t + SPILLED] === 0 ? -1 : this.spill.find(hashPair(a, b), first, a, second, b);
  }

  /** Indexes `position` for the key (`a`, `b`) placed by `local` (the caller knows it is not indexed yet). */
  insert(local: number, a: number, b: number, position: number): void {
    const t = this.slot(local);
    if (this.table[t + AT] === 0) {
      this.table[t + AT] = position + 1;
      return;
    }
    this.spill.insert(hashPair(a, b), position);
    this.table[t + SPILLED]++;
  }

  /** Removes `position`, indexed for the key (`a`, `b`) placed by `local`; false if it is not. */
  remove(local: number, a: number, b: number, position: number): boolean {
    const t = this.slot(local);
    if (this.table[t + AT] === position + 1) {
      this.table[t + AT] = 0;
      return true;
    }
    if (this.table[t + SPILLED] === 0 || !this.spill.remove(hashPair(a, b), position)) return false;
    this.table[t + SPILLED]--;
    return true;
  }

  /** The table offset of `local`'s slot: its low bits (`&` keeps a safe integer's low 32). */
  private slot(local: number): number {
    return (local & this.mask) * 2;
  }
}
