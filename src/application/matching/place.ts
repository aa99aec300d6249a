/** `decide` for PlaceOrder: validate, compute the hold, accept, match, settle. */
import { FEE_ACCOUNT } from '../accounts/accounts.ts';
import { COMMANDS, type CommandOf } from '../commands.ts';
import type { EventBuffer } from '../events.ts';
import { buyNeed } from '../holds/fees.ts';
import { isMultiple } from '../integers.ts';
import { LIMITS } from '../limits.ts';
import type { Product } from '../products/product.ts';
import { ProductStatus } from '../products/status.ts';
import { Reason } from '../reasons.ts';
import { reject } from '../reject.ts';
import type { State } from '../state.ts';
import type { Matcher } from './matcher.ts';
import { NIL } from './orders.ts';
import { OrderFlag, OrderType, Side, Stp, TimeInForce } from './order-types.ts';

const CODE = COMMANDS.PlaceOrder.code;

type Place = CommandOf<'PlaceOrder'>;

function allSafe(c: Place): boolean {
  const S = Number.isSafeInteger;
  return S(c.account) && S(c.product) && S(c.clientOrderId) && S(c.side) && S(c.orderType) && S(c.tif) &&
    S(c.postOnly) && S(c.stp) && S(c.price) && S(c.qty) && S(c.quoteBudget) && S(c.stopPrice);
}

/** The reason a PlaceOrder's fields do not form an order, or 0. */
function shapeProblem(c: Place): number {
  if (c.price < 0 || c.qty < 0 || c.quoteBudget < 0 || c.stopPrice < 0 || c.clientOrderId < 0) {
    return Reason.VALUE_OUT_OF_RANGE;
  }
  if (c.side !== Side.Buy && c.side !== Side.Sell) return Reason.INVALID_ORDER;
  if (c.stp < Stp.CancelNewest || c.stp > Stp.DecrementCancel) return Reason.INVALID_ORDER;
  if (c.tif < TimeInForce.GTC || c.tif > TimeInForce.FOK) return Reason.INVALID_ORDER;
  if (c.postOnly !== 0 && (c.postOnly !== 1 || c.orderType !== OrderType.Limit || c.tif !== TimeInForce.GTC)) {
    return Reason.INVALID_ORDER;
  }
  const hasPrice = c.price > 0;
  const hasStop = c.stopPrice > 0;
  switch (c.orderType) {
    case OrderType.Limit:
      return hasPrice && c.qty > 0 && c.quoteBudget === 0 && !hasStop ? 0 : Reason.INVALID_ORDER;
    case OrderType.StopLimit:
      return hasPrice && c.qty > 0 && c.quoteBudget === 0 && hasStop ? 0 : Reason.INVALID_ORDER;
    case OrderType.StopMarket:
      return !hasPrice && c.qty > 0 && c.quoteBudget === 0 && hasStop && c.tif === TimeInForce.IOC ? 0 : Reason.INVALID_ORDER;
    case OrderType.Market: {
      if (hasPrice || hasStop || c.tif === TimeInForce.GTC) return Reason.INVALID_ORDER;
      const byQty = c.qty > 0 && c.quoteBudget === 0;
      const byBudget = c.qty === 0 && c.quoteBudget > 0 && c.side === Side.Buy && c.tif === TimeInForce.IOC;
      return byQty || byBudget ? 0 : Reason.INVALID_ORDER;
    }
    default:
      return Reason.INVALID_ORDER;
  }
}

/** Product, account and per-account rules; the reason or 0. */
function accessProblem(state: State, c: Place, product: Product | undefined): number {
  if (product === undefined) return Reason.UNKNOWN_PRODUCT;
  if (product.status === ProductStatus.Halted) return Reason.PRODUCT_HALTED;
  if (product.status === ProductStatus.Closed) return Reason.PRODUCT_CLOSED;
  const accounts = state.accounts;
  if (!accounts.exists(c.account)) return Reason.UNKNOWN_ACCOUNT;
  if (c.account === FEE_ACCOUNT) return Reason.SYSTEM_ACCOUNT;
  if (c.clientOrderId !== 0 && state.orders.slotOfClient(c.account, c.clientOrderId) !== NIL) {
    return Reason.DUPLICATE_CLIENT_ORDER_ID;
  }
  if (accounts.openCount[c.account] >= LIMITS.openOrdersPerAccount) return Reason.TOO_MANY_OPEN_ORDERS;
  if (state.orders.count >= LIMITS.openOrders) return Reason.LIMIT_REACHED;
  return 0;
}

/** Tick, lot, size and value rules; the reason or 0. */
function sizeProblem(c: Place, product: Product): number {
  if (!isMultiple(c.price, product.tickSize) || !isMultiple(c.stopPrice, product.tickSize)) return Reason.BAD_TICK;
  if (c.quoteBudget > 0) return c.quoteBudget < product.minNotional ? Reason.NOTIONAL_BELOW_MIN : 0;
  if (!isMultiple(c.qty, product.lotSize)) return Reason.BAD_LOT;
  if (c.qty < product.minQty) return Reason.QTY_BELOW_MIN;
  if (c.qty > product.maxQty) return Reason.QTY_ABOVE_MAX;
  return 0;
}

/** The limit in ticks a market or stop-market order may fill to, or 0 if there is no liquidity. */
function protectionLimit(product: Product, side: number, referenceTicks: number): number {
  if (referenceTicks === 0) return 0;
  if (side === Side.Buy) return referenceTicks + product.protectionTicks;
  return Math.max(1, referenceTicks - product.protectionTicks);
}

export function decidePlace(state: State, c: Place, out: EventBuffer, matcher: Matcher): void {
  if (!allSafe(c)) return reject(out, Reason.NOT_SAFE_INTEGER, CODE, c.account, 0, c.clientOrderId);
  const product = state.product(c.product);
  const problem = shapeProblem(c) || accessProblem(state, c, product) || sizeProblem(c, product!);
  const reason = problem || place(state, c, product!, out, matcher);
  if (reason !== 0) reject(out, reason, CODE, c.account, 0, c.clientOrderId);
}

/** Accepts and matches the order, or returns why it is rejected (then nothing is written). */
function place(state: State, c: Place, product: Product, out: EventBuffer, matcher: Matcher): number {
  const isBuy = c.side === Side.Buy;
  const opposite = isBuy ? product.asks : product.bids;
  const stopTicks = c.stopPrice / product.tickSize;
  const lots = c.qty / product.lotSize;
  let limit = c.price / product.tickSize;
  let valueTicks = limit;
  if (c.orderType === OrderType.Market) {
    valueTicks = opposite.bestPrice();
    limit = protectionLimit(product, c.side, valueTicks);
    if (limit === 0) return Reason.NO_LIQUIDITY;
  } else if (c.orderType === OrderType.StopMarket) {
    valueTicks = stopTicks;
    limit = protectionLimit(product, c.side, stopTicks);
  }
  if (c.orderType === OrderType.StopLimit || c.orderType === OrderType.StopMarket) {
    const last = product.lastPriceTicks;
    if (last !== 0 && (isBuy ? stopTicks <= last : stopTicks >= last)) return Reason.STOP_WOULD_TRIGGER;
  }
  const budget = c.quoteBudget > 0;
  const notional = budget ? c.quoteBudget : valueTicks * lots * product.quotePerTickLot;
  // A product of safe integers past 2^53 comes out unsafe in floating point, so this catches
  // overflow. At least one lot: a budget order has no quantity, but its protection limit (best
  // ask + protectionTicks) must still be a price one lot can trade at.
  if (!Number.isSafeInteger(limit * Math.max(lots, 1) * product.quotePerTickLot)) return Reason.VALUE_OUT_OF_RANGE;
  if (notional < product.minNotional) return Reason.NOTIONAL_BELOW_MIN;
  if (c.postOnly === 1 && opposite.n > 0 && opposite.keys[opposite.n - 1] >= opposite.sign * limit) {
    return Reason.POST_ONLY_WOULD_CROSS;
  }
  const hold = budget
    ? c.quoteBudget
    : isBuy ? buyNeed(limit, lots, 0, product.takerBps, product.quotePerTickLot) : lots * product.basePerLot;
  if (!Number.isSafeInteger(hold)) return Reason.VALUE_OUT_OF_RANGE;
  const accounts = state.accounts;
  const asset = isBuy ? product.quote : product.base;
  if (accounts.available[c.account * accounts.stride + asset] < hold) return Reason.INSUFFICIENT_FUNDS;

  const mark = out.length;
  const order = state.nextOrderId;
  const flags = (c.postOnly === 1 ? OrderFlag.PostOnly : 0) | (budget ? OrderFlag.Budget : 0);
  out.orderAccepted(
    order, c.account, product.id, c.clientOrderId, c.side, c.orderType, c.tif, flags, c.stp, limit, stopTicks,
    lots, hold, product.makerBps, product.takerBps,
  );
  if (c.orderType === OrderType.StopLimit || c.orderType === OrderType.StopMarket) return 0;
  matcher.begin(order, c.account, c.side, limit, budget ? 0 : lots, hold, 0, product.takerBps, c.stp, budget);
  return matcher.settle(product, c.tif, mark) ? 0 : Reason.FOK_CANNOT_FILL;
}
