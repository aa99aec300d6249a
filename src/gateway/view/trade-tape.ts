/** A product's recent public trades: a ring of the newest `capacity`. */
import { Ring } from './ring.ts';
import type { PublicTrade } from './updates.ts';

export class TradeTape {
  private readonly ring: Ring;
  private entryIndex: Float64Array;
  private timestampUs: Float64Array;
  private trade: Float64Array;
  private priceTicks: Float64Array;
  private qtyLots: Float64Array;
  private takerSide: Uint8Array;

  constructor(
    readonly product: number,
    capacity: number,
  ) {
    this.ring = new Ring(capacity);
    const n = capacity;
    this.entryIndex = new Float64Array(n);
    this.timestampUs = new Float64Array(n);
    this.trade = new Float64Array(n);
    this.priceTicks = new Float64Array(n);
    this.qtyLots = new Float64Array(n);
    this.takerSide = new Uint8Array(n);
  }

  get size(): number {
    return this.ring.size;
  }

  /** Number of the newest trade, -1 before the first. */
  get newest(): number {
    return this.ring.written - 1;
  }

  append(entryIndex: number, timestampUs: number, trade: number, priceTicks: number, qtyLots: number, takerSide: number): void {
    const at = this.ring.claim();
    this.entryIndex[at] = entryIndex;
    this.timestampUs[at] = timestampUs;
    this.trade[at] = trade;
    this.priceTicks[at] = priceTicks;
    this.qtyLots[at] = qtyLots;
    this.takerSide[at] = takerSide;
  }

  /** Trade number `k` (held) as an object. */
  at(k: number): PublicTrade {
    const at = this.ring.position(k);
    return {
      entryIndex: this.entryIndex[at], timestampUs: this.timestampUs[at], product: this.product, trade: this.trade[at],
      priceTicks: this.priceTicks[at], qtyLots: this.qtyLots[at], takerSide: this.takerSide[at],
    };
  }

  /** The newest trades, newest first, at most `limit`. */
  recent(limit: number): PublicTrade[] {
    const out: PublicTrade[] = [];
    for (let k = this.newest; out.length < limit && this.ring.holds(k); k--) out.push(this.at(k));
    return out;
  }

}
