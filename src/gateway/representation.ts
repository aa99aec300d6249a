/**
 * The API's words and numbers: engine codes as names, integers (ticks, lots, amounts) as exact
 * decimal strings in the product's or asset's scale. Shared by REST and WebSocket.
 */
import { CancelReason, OrderType, Side, Stp, TimeInForce } from '../application/matching/order-types.ts';
import { ProductStatus } from '../application/products/status.ts';
import { reasonName } from '../application/reasons.ts';
import { formatDecimal } from './decimal.ts';
import type { BalanceJson, FillJson, LevelJson, OrderJson, ProductJson, TickerJson, TradeJson } from './schemas.ts';
import type { Balance, Level, OrderView, ProductInfo, Ticker } from './view/reads.ts';
import type { AccountUpdate, Fill, L2Update, OrderUpdate, PublicTrade } from './view/updates.ts';
import type { View } from './view/view.ts';

function names<T extends Record<string, number>>(codes: T, spelled: Record<keyof T, string>): { name: (code: number) => string; code: Map<string, number> } {
  const byCode = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const key of Object.keys(codes) as (keyof T)[]) {
    byCode.set(codes[key], spelled[key]);
    byName.set(spelled[key], codes[key]);
  }
  return { name: (c) => byCode.get(c) ?? 'unknown', code: byName };
}

export const SIDES = names(Side, { Buy: 'buy', Sell: 'sell' });
export const ORDER_TYPES = names(OrderType, { Limit: 'limit', Market: 'market', StopLimit: 'stop_limit', StopMarket: 'stop_market' });
export const TIME_IN_FORCE = names(TimeInForce, { GTC: 'gtc', IOC: 'ioc', FOK: 'fok' });
export const SELF_TRADE = names(Stp, { CancelNewest: 'cancel_newest', CancelOldest: 'cancel_oldest', CancelBoth: 'cancel_both', DecrementCancel: 'decrement_and_cancel' });
export const PRODUCT_STATUS = names(ProductStatus, { Trading: 'trading', Halted: 'halted', Closed: 'closed' });
export const CANCEL_REASONS = names(CancelReason, { User: 'user', CancelAll: 'cancel_all', SelfTrade: 'self_trade', Expired: 'expired', ProductClosed: 'product_closed' });

/** Converts one product's integers to decimal strings. */
export class ProductUnits {
  constructor(readonly product: ProductInfo) {}

  price(ticks: number): string {
    return formatDecimal(ticks * this.product.tickSize, this.product.priceScale);
  }

  qty(lots: number): string {
    return formatDecimal(lots * this.product.lotSize, this.product.qtyScale);
  }

  quote(amount: number): string {
    return formatDecimal(amount, this.product.quote.scale);
  }
}

export function productJson(p: ProductInfo): ProductJson {
  return {
    symbol: p.symbol, base: p.base.code, quote: p.quote.code, status: PRODUCT_STATUS.name(p.status) as ProductJson['status'],
    priceScale: p.priceScale, quantityScale: p.qtyScale,
    tickSize: formatDecimal(p.tickSize, p.priceScale), lotSize: formatDecimal(p.lotSize, p.qtyScale),
    minQuantity: formatDecimal(p.minQty, p.qtyScale), maxQuantity: formatDecimal(p.maxQty, p.qtyScale),
    minNotional: formatDecimal(p.minNotional, p.quote.scale), makerFeeBps: p.makerBps, takerFeeBps: p.takerBps,
    protectionTicks: p.protectionTicks,
  };
}

export function orderJson(o: OrderView, u: ProductUnits): OrderJson {
  return {
    orderId: o.order, clientOrderId: o.clientOrderId, symbol: u.product.symbol, side: SIDES.name(o.side),
    type: ORDER_TYPES.name(o.type), timeInForce: TIME_IN_FORCE.name(o.tif), postOnly: o.postOnly,
    price: o.priceTicks === 0 ? null : u.price(o.priceTicks), stopPrice: o.stopTicks === 0 ? null : u.price(o.stopTicks),
    quantity: u.qty(o.qtyLots), filledQuantity: u.qty(o.filledLots), remainingQuantity: u.qty(o.leavesLots),
    status: o.waiting ? 'waiting_trigger' : o.status, cancelReason: o.reason === 0 ? null : CANCEL_REASONS.name(o.reason),
    createdAtUs: o.acceptedUs, finishedAtUs: o.finishedUs === 0 ? null : o.finishedUs,
  };
}

export function levelsJson(levels: Level[], u: ProductUnits): LevelJson[] {
  return levels.map(([ticks, lots, orders]) => [u.price(ticks), u.qty(lots), orders]);
}

export function tickerJson(t: Ticker, u: ProductUnits): TickerJson {
  const price = (ticks: number): string | null => (ticks === 0 ? null : u.price(ticks));
  return {
    symbol: u.product.symbol, lastPrice: price(t.lastPriceTicks), lastQuantity: u.qty(t.lastQtyLots), lastTradeAtUs: t.lastTradeUs,
    bidPrice: price(t.bidTicks), bidQuantity: u.qty(t.bidLots), askPrice: price(t.askTicks), askQuantity: u.qty(t.askLots),
    trades24h: t.trades, volume24h: u.qty(t.volumeLots), quoteVolume24h: u.quote(t.quoteVolume),
  };
}

export function tradeJson(t: PublicTrade, u: ProductUnits): TradeJson {
  return { tradeId: t.trade, symbol: u.product.symbol, price: u.price(t.priceTicks), quantity: u.qty(t.qtyLots),
    takerSide: SIDES.name(t.takerSide), timestampUs: t.timestampUs };
}

export function fillJson(f: Fill, u: ProductUnits, feeScale: number, feeAsset: string): FillJson {
  return { tradeId: f.trade, orderId: f.order, clientOrderId: f.clientOrderId, symbol: u.product.symbol, side: SIDES.name(f.side),
    price: u.price(f.priceTicks), quantity: u.qty(f.qtyLots), fee: formatDecimal(f.fee, feeScale), feeAsset,
    liquidity: f.liquidity, timestampUs: f.timestampUs };
}

export function l2Json(update: L2Update, u: ProductUnits): Record<string, unknown> {
  return { symbol: u.product.symbol, seq: update.seq, side: SIDES.name(update.side), price: u.price(update.priceTicks),
    quantity: u.qty(update.qtyLots), orders: update.orders };
}

export function balanceJson(b: Balance, view: View): BalanceJson {
  const asset = view.asset(b.asset);
  const scale = asset?.scale ?? 0;
  return { asset: asset?.code ?? String(b.asset), available: formatDecimal(b.available, scale), held: formatDecimal(b.held, scale) };
}

function orderUpdateJson(o: OrderUpdate, view: View): Record<string, unknown> {
  const product = view.product(o.product);
  const u = product === undefined ? undefined : new ProductUnits(product);
  const reason = o.status === 'rejected' ? reasonName(o.reason) : o.status === 'cancelled' ? CANCEL_REASONS.name(o.reason) : null;
  return {
    channel: 'orders', requestId: o.request, orderId: o.order, clientOrderId: o.clientOrderId, symbol: product?.symbol ?? null,
    side: u === undefined ? null : SIDES.name(o.side), status: o.status, reason: reason ?? null,
    price: u === undefined || o.priceTicks === 0 ? null : u.price(o.priceTicks),
    quantity: u?.qty(o.qtyLots) ?? null, filledQuantity: u?.qty(o.filledLots) ?? null, remainingQuantity: u?.qty(o.leavesLots) ?? null,
    entryIndex: o.entryIndex, timestampUs: o.timestampUs,
  };
}

/** A private update as the WebSocket's private channels send it. */
export function accountUpdateJson(update: AccountUpdate, view: View): Record<string, unknown> {
  switch (update.kind) {
    case 'order': return orderUpdateJson(update, view);
    case 'fill': {
      const product = view.product(update.product);
      if (product === undefined) return { channel: 'fills', tradeId: update.trade };
      const fee = view.asset(update.feeAsset);
      return { channel: 'fills', requestId: update.request, ...fillJson(update, new ProductUnits(product), fee?.scale ?? 0, fee?.code ?? '') };
    }
    case 'balance': return { channel: 'balances', ...balanceJson(update, view), entryIndex: update.entryIndex };
    case 'command_rejected':
      return { channel: 'orders', requestId: update.request, status: 'command_rejected', reason: reasonName(update.reason) ?? null,
        orderId: update.order, clientOrderId: update.clientOrderId, entryIndex: update.entryIndex, timestampUs: update.timestampUs };
  }
}
