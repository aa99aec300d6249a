/**
 * A product (trading pair): its parameters, the integer conversions derived from them, its
 * book and its stop orders. Prices in the book are ticks, quantities lots:
 *   price (price scale)    = ticks × tickSize
 *   qty (quantity scale)   = lots × lotSize
 *   base units of a lot    = basePerLot
 *   quote units of a tick × lot = quotePerTickLot, so a fill's notional = ticks × lots × quotePerTickLot.
 * Tick and lot sizes, scales and assets are fixed at creation: resting orders are stored in them.
 */
import { BookSide } from '../matching/book-side.ts';
import type { Levels } from '../matching/levels.ts';
import type { Orders } from '../matching/orders.ts';
import type { ProductStatus } from './status.ts';

/** The parameters an update may change. */
export interface ProductTerms {
  minQty: number;
  maxQty: number;
  minNotional: number;
  makerBps: number;
  takerBps: number;
  protectionTicks: number;
  status: number;
}

export interface ProductSpec extends ProductTerms {
  symbol: string;
  base: number;
  quote: number;
  priceScale: number;
  qtyScale: number;
  tickSize: number;
  lotSize: number;
}

export class Product implements ProductSpec {
  readonly symbol: string;
  readonly base: number;
  readonly quote: number;
  readonly priceScale: number;
  readonly qtyScale: number;
  readonly tickSize: number;
  readonly lotSize: number;
  minQty: number;
  maxQty: number;
  minNotional: number;
  makerBps: number;
  takerBps: number;
  /** How many ticks past the best opposite price a market order may fill. */
  protectionTicks: number;
  status: ProductStatus;
  /** Price of the last trade in ticks; 0 before the first trade. */
  lastPriceTicks = 0;

  readonly bids: BookSide;
  readonly asks: BookSide;
  /** Buy stops fire when a trade is at or above their stop: lowest stop first. */
  readonly buyStops: BookSide;
  /** Sell stops fire when a trade is at or below their stop: highest stop first. */
  readonly sellStops: BookSide;

  constructor(
    readonly id: number,
    spec: ProductSpec,
    readonly quotePerTickLot: number,
    readonly basePerLot: number,
    levels: Levels,
    orders: Orders,
  ) {
    this.symbol = spec.symbol;
    this.base = spec.base;
    this.quote = spec.quote;
    this.priceScale = spec.priceScale;
    this.qtyScale = spec.qtyScale;
    this.tickSize = spec.tickSize;
    this.lotSize = spec.lotSize;
    this.minQty = spec.minQty;
    this.maxQty = spec.maxQty;
    this.minNotional = spec.minNotional;
    this.makerBps = spec.makerBps;
    this.takerBps = spec.takerBps;
    this.protectionTicks = spec.protectionTicks;
    this.status = spec.status as ProductStatus;
    this.bids = new BookSide(1, levels, orders);
    this.asks = new BookSide(-1, levels, orders);
    this.buyStops = new BookSide(-1, levels, orders);
    this.sellStops = new BookSide(1, levels, orders);
  }

  update(terms: ProductTerms): void {
    this.minQty = terms.minQty;
    this.maxQty = terms.maxQty;
    this.minNotional = terms.minNotional;
    this.makerBps = terms.makerBps;
    this.takerBps = terms.takerBps;
    this.protectionTicks = terms.protectionTicks;
    this.status = terms.status as ProductStatus;
  }
}
