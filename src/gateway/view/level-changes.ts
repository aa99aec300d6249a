/**
 * The L2 levels an entry changed, in the order it changed them, as (product, side, price);
 * a repeat of the level changed just before is not noted again, so a sweep through the orders
 * of one level is one change. Read once the entry is applied: each change then reports the
 * level's final state. Scratch, reused entry after entry (bounded by the events of one entry).
 */
import { grow } from '../../application/grow.ts';

export class LevelChanges {
  private productIds = new Int32Array(64);
  private sides = new Uint8Array(64);
  private prices = new Float64Array(64);
  length = 0;

  note(product: number, side: number, priceTicks: number): void {
    const n = this.length;
    if (n > 0 && this.prices[n - 1] === priceTicks && this.sides[n - 1] === side && this.productIds[n - 1] === product) return;
    if (n === this.prices.length) {
      this.productIds = grow(this.productIds, n * 2);
      this.sides = grow(this.sides, n * 2);
      this.prices = grow(this.prices, n * 2);
    }
    this.productIds[n] = product;
    this.sides[n] = side;
    this.prices[n] = priceTicks;
    this.length = n + 1;
  }

  product(i: number): number {
    return this.productIds[i];
  }

  side(i: number): number {
    return this.sides[i];
  }

  price(i: number): number {
    return this.prices[i];
  }

  clear(): void {
    this.length = 0;
  }
}
