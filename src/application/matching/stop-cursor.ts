/**
 * Walks a stop side while an aggressor trades, without changing it: each stop that a trade
 * price reaches is handed out once, in the order a moving price meets them (stop price first,
 * then time). Stops are taken off their side only when the StopTriggered events are applied.
 */
import type { BookSide } from './book-side.ts';
import type { Levels } from './levels.ts';
import { NIL, type Orders } from './orders.ts';

export class StopCursor {
  private index = -1;
  private slot = NIL;

  reset(side: BookSide, levels: Levels): void {
    this.index = side.n - 1;
    this.slot = this.index >= 0 ? levels.head[side.ids[this.index]] : NIL;
  }

  /** The next stop of `side` reached by a trade at `priceTicks`, or NIL. */
  peek(side: BookSide, levels: Levels, priceTicks: number): number {
    const bound = side.sign * priceTicks;
    while (this.slot === NIL && this.index >= 0 && side.keys[this.index] >= bound) {
      // Empty levels (kept for reuse) and exhausted ones are stepped over.
      this.index--;
      this.slot = this.index >= 0 ? levels.head[side.ids[this.index]] : NIL;
    }
    return this.index >= 0 && side.keys[this.index] >= bound ? this.slot : NIL;
  }

  advance(orders: Orders): void {
    this.slot = orders.next[this.slot];
  }
}
