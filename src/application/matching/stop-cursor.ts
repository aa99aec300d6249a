/**
 * Walks a stop side while an aggressor trades, without changing it: every stop reached by a
 * trade price is announced once, in trigger order (stop price first, then time). Stops are
 * taken off their side only when the StopTriggered events are applied.
 */
import type { EventBuffer } from '../events.ts';
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

  /** Emits StopTriggered for each stop of `side` that a trade at `priceTicks` reaches. */
  fire(side: BookSide, levels: Levels, orders: Orders, priceTicks: number, out: EventBuffer): void {
    const bound = side.sign * priceTicks;
    while (this.index >= 0 && side.keys[this.index] >= bound) {
      while (this.slot !== NIL) {
        out.stopTriggered(orders.id[this.slot], priceTicks);
        this.slot = orders.next[this.slot];
      }
      this.index--;
      this.slot = this.index >= 0 ? levels.head[side.ids[this.index]] : NIL;
    }
  }
}
