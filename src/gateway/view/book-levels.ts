/**
 * Reading L2 levels out of the committed state's books: a book side keeps its levels sorted,
 * best last, with each level's total lots and order count; levels that emptied may stay in place
 * for reuse (count 0), and are skipped here.
 */
import type { BookSide } from '../../application/matching/book-side.ts';
import type { Levels } from '../../application/matching/levels.ts';
import { NIL } from '../../application/matching/orders.ts';
import type { Level } from './reads.ts';

/** The level at `priceTicks` of a side, or NIL when there is none. */
export function levelAt(side: BookSide, priceTicks: number): number {
  const i = side.search(priceTicks);
  return i < 0 ? NIL : side.ids[i];
}

/** The best `count` non-empty levels of a side, best first. */
export function depthOf(side: BookSide, levels: Levels, count: number): Level[] {
  const out: Level[] = [];
  // Bounded by the side's levels; empty ones are at most about half of them.
  for (let i = side.n - 1; i >= 0 && out.length < count; i--) {
    const level = side.ids[i];
    if (levels.count[level] === 0) continue;
    out.push([levels.price[level], levels.total[level], levels.count[level]]);
  }
  return out;
}
