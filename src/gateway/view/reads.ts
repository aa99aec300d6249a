/** What a view's reads return: plain objects, made for the caller (units as in updates.ts). */
import type { ProductSpec } from '../../application/products/product.ts';
import type { OrderStatus } from './updates.ts';

export interface AssetInfo {
  id: number;
  code: string;
  scale: number;
}

/** A product's terms as the engine keeps them, its assets named. */
export interface ProductInfo extends Omit<ProductSpec, 'base' | 'quote'> {
  id: number;
  base: AssetInfo;
  quote: AssetInfo;
}

export interface Balance {
  asset: number;
  available: number;
  held: number;
}

export interface OrderView {
  order: number;
  account: number;
  clientOrderId: number;
  product: number;
  side: number;
  /** OrderType and TimeInForce codes. */
  type: number;
  tif: number;
  postOnly: boolean;
  priceTicks: number;
  stopTicks: number;
  qtyLots: number;
  filledLots: number;
  leavesLots: number;
  status: OrderStatus;
  /** The CancelReason of a cancelled order, otherwise 0. */
  reason: number;
  /** A stop order still waiting for its trigger. */
  waiting: boolean;
  acceptedUs: number;
  /** 0 while open. */
  finishedUs: number;
}

/** [priceTicks, qtyLots, orders], best price first. */
export type Level = [priceTicks: number, qtyLots: number, orders: number];

export interface DepthSnapshot {
  product: number;
  /** The product's level-change count this snapshot includes: apply updates with a greater seq. */
  seq: number;
  bids: Level[];
  asks: Level[];
}

export interface Ticker {
  product: number;
  /** 0 before the first trade. */
  lastPriceTicks: number;
  lastQtyLots: number;
  lastTradeUs: number;
  /** 0 when the side is empty. */
  bidTicks: number;
  bidLots: number;
  askTicks: number;
  askLots: number;
  /** Trades in the rolling window (VOLUME_WINDOW_HOURS, by entry time: as of the view's last entry). */
  trades: number;
  volumeLots: number;
  /** In the quote asset's scale. */
  quoteVolume: number;
}
