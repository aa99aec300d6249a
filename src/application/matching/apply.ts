/**
 * Applying order events: the only code that changes books, orders and the balances that
 * orders hold or trade. Every amount comes from the event; nothing is recomputed here.
 */
import { FEE_ACCOUNT } from '../accounts/accounts.ts';
import { assert, fail } from '../assert.ts';
import { F } from '../events.ts';
import type { Product } from '../products/product.ts';
import type { State } from '../state.ts';
import { NIL, Where } from './orders.ts';
import { OrderFlag, OrderType, Requeue, Side } from './order-types.ts';

function productOf(state: State, slot: number): Product {
  const product = state.products[state.orders.product[slot]];
  assert(product !== undefined, 'order of an unknown product');
  return product;
}

function holdAsset(product: Product, side: number): number {
  return side === Side.Buy ? product.quote : product.base;
}

function slotOf(state: State, orderId: number): number {
  const slot = state.orders.slotOf(orderId);
  if (slot === NIL) fail(`event for order ${orderId}, which is not open`);
  return slot;
}

/** Moves `amount` of an order's hold back to available. */
function release(state: State, slot: number, product: Product, amount: number): void {
  if (amount === 0) return;
  const orders = state.orders;
  const accounts = state.accounts;
  const at = orders.account[slot] * accounts.stride + holdAsset(product, orders.side[slot]);
  accounts.held[at] -= amount;
  accounts.available[at] += amount;
  orders.hold[slot] -= amount;
  assert(accounts.held[at] >= 0 && orders.hold[slot] >= 0, 'release of more than is held');
}

/** Takes an order out of its book side or stop side; it stays open (ACTIVE). */
function detach(state: State, slot: number, product: Product): void {
  const orders = state.orders;
  const where = orders.where[slot];
  if (where === Where.Book) {
    (orders.side[slot] === Side.Buy ? product.bids : product.asks).unlink(slot);
  } else if (where === Where.Stop) {
    (orders.side[slot] === Side.Buy ? product.buyStops : product.sellStops).unlink(slot);
  }
  orders.where[slot] = Where.Active;
}

/** Ends an order: it must hold nothing any more. */
function close(state: State, slot: number): void {
  const orders = state.orders;
  const accounts = state.accounts;
  if (orders.hold[slot] !== 0) fail(`order ${orders.id[slot]} closed with ${orders.hold[slot]} still held`);
  const account = orders.account[slot];
  const prev = orders.accPrev[slot];
  const next = orders.accNext[slot];
  if (prev === NIL) accounts.head[account] = next;
  else orders.accNext[prev] = next;
  if (next === NIL) accounts.tail[account] = prev;
  else orders.accPrev[next] = prev;
  accounts.openCount[account]--;
  orders.release(slot);
}

export function applyOrderAccepted(state: State, s: Float64Array, p: number): void {
  const f = F.OrderAccepted;
  const orders = state.orders;
  const accounts = state.accounts;
  const orderId = s[p + f.order];
  assert(orderId === state.nextOrderId, 'OrderAccepted out of sequence');
  state.nextOrderId = orderId + 1;
  const slot = orders.alloc(orderId);
  const account = s[p + f.account];
  const side = s[p + f.side];
  const type = s[p + f.orderType];
  const clientId = s[p + f.clientOrderId];
  const hold = s[p + f.hold];
  orders.account[slot] = account;
  orders.product[slot] = s[p + f.product];
  orders.clientId[slot] = clientId;
  orders.side[slot] = side;
  orders.type[slot] = type;
  orders.tif[slot] = s[p + f.tif];
  orders.flags[slot] = s[p + f.flags];
  orders.stp[slot] = s[p + f.stp];
  orders.price[slot] = s[p + f.priceTicks];
  orders.stop[slot] = s[p + f.stopTicks];
  orders.leaves[slot] = s[p + f.qtyLots];
  orders.filled[slot] = 0;
  orders.hold[slot] = hold;
  orders.feeCarry[slot] = 0;
  orders.makerBps[slot] = s[p + f.makerBps];
  orders.takerBps[slot] = s[p + f.takerBps];
  orders.time[slot] = state.timestampUs;
  orders.where[slot] = Where.Active;
  if (clientId !== 0) orders.byClient.set(clientId, account, slot);
  const tail = accounts.tail[account];
  orders.accPrev[slot] = tail;
  if (tail === NIL) accounts.head[account] = slot;
  else orders.accNext[tail] = slot;
  accounts.tail[account] = slot;
  accounts.openCount[account]++;
  const product = productOf(state, slot);
  const at = account * accounts.stride + holdAsset(product, side);
  accounts.available[at] -= hold;
  accounts.held[at] += hold;
  assert(accounts.available[at] >= 0, 'order accepted without the funds to hold');
  if (type === OrderType.StopLimit || type === OrderType.StopMarket) {
    (side === Side.Buy ? product.buyStops : product.sellStops).append(slot, orders.stop[slot]);
    orders.where[slot] = Where.Stop;
  }
}

export function applyTrade(state: State, s: Float64Array, p: number): void {
  const f = F.Trade;
  const orders = state.orders;
  const accounts = state.accounts;
  const product = state.products[s[p + f.product]];
  assert(product !== undefined, 'trade of an unknown product');
  const maker = slotOf(state, s[p + f.makerOrder]);
  const taker = slotOf(state, s[p + f.takerOrder]);
  const lots = s[p + f.qtyLots];
  const quote = s[p + f.quoteAmount];
  const base = s[p + f.baseAmount];
  const makerFee = s[p + f.makerFee];
  const takerFee = s[p + f.takerFee];
  const takerBuys = s[p + f.takerSide] === Side.Buy;
  const buyer = takerBuys ? taker : maker;
  const seller = takerBuys ? maker : taker;
  const buyerCost = quote + (takerBuys ? takerFee : makerFee);
  const sellerGain = quote - (takerBuys ? makerFee : takerFee);
  const stride = accounts.stride;
  const buyerRow = orders.account[buyer] * stride;
  const sellerRow = orders.account[seller] * stride;
  accounts.held[buyerRow + product.quote] -= buyerCost;
  accounts.available[buyerRow + product.base] += base;
  accounts.held[sellerRow + product.base] -= base;
  accounts.available[sellerRow + product.quote] += sellerGain;
  accounts.available[FEE_ACCOUNT * stride + product.quote] += makerFee + takerFee;
  orders.hold[buyer] -= buyerCost;
  orders.hold[seller] -= base;
  release(state, maker, product, s[p + f.makerRelease]);
  release(state, taker, product, s[p + f.takerRelease]);
  orders.feeCarry[maker] = s[p + f.makerFeeCarry];
  orders.feeCarry[taker] = s[p + f.takerFeeCarry];
  product.lastPriceTicks = s[p + f.priceTicks];
  const trade = s[p + f.trade];
  assert(trade === state.nextTradeId, 'Trade out of sequence');
  state.nextTradeId = trade + 1;
  fill(state, maker, product, lots);
  fill(state, taker, product, lots);
}

function fill(state: State, slot: number, product: Product, lots: number): void {
  const orders = state.orders;
  orders.filled[slot] += lots;
  if ((orders.flags[slot] & OrderFlag.Budget) !== 0) return;
  orders.leaves[slot] -= lots;
  assert(orders.leaves[slot] >= 0, 'fill above the order quantity');
  if (orders.where[slot] === Where.Book) {
    state.levels.total[orders.level[slot]] -= lots;
    if (orders.leaves[slot] === 0) detach(state, slot, product);
  }
  if (orders.leaves[slot] === 0) close(state, slot);
}

export function applyOrderRested(state: State, s: Float64Array, p: number): void {
  const orders = state.orders;
  const slot = slotOf(state, s[p + F.OrderRested.order]);
  assert(orders.where[slot] === Where.Active && orders.leaves[slot] > 0, 'rest of an order that is not active');
  const product = productOf(state, slot);
  (orders.side[slot] === Side.Buy ? product.bids : product.asks).append(slot, orders.price[slot]);
  orders.where[slot] = Where.Book;
}

export function applyOrderCancelled(state: State, s: Float64Array, p: number): void {
  const f = F.OrderCancelled;
  const slot = slotOf(state, s[p + f.order]);
  const product = productOf(state, slot);
  detach(state, slot, product);
  release(state, slot, product, s[p + f.released]);
  close(state, slot);
}

export function applyOrderModified(state: State, s: Float64Array, p: number): void {
  const f = F.OrderModified;
  const orders = state.orders;
  const accounts = state.accounts;
  const slot = slotOf(state, s[p + f.order]);
  const product = productOf(state, slot);
  const leaves = s[p + f.qtyLots];
  const requeue = s[p + f.requeue];
  if (requeue !== Requeue.Keep) {
    detach(state, slot, product);
  } else {
    state.levels.total[orders.level[slot]] += leaves - orders.leaves[slot];
  }
  orders.price[slot] = s[p + f.priceTicks];
  orders.leaves[slot] = leaves;
  const delta = s[p + f.holdDelta];
  const at = orders.account[slot] * accounts.stride + holdAsset(product, orders.side[slot]);
  accounts.available[at] -= delta;
  accounts.held[at] += delta;
  orders.hold[slot] += delta;
  assert(accounts.available[at] >= 0 && orders.hold[slot] >= 0, 'modify beyond the available funds');
  if (requeue === Requeue.Rest) {
    (orders.side[slot] === Side.Buy ? product.bids : product.asks).append(slot, orders.price[slot]);
    orders.where[slot] = Where.Book;
  }
}

export function applyOrderReduced(state: State, s: Float64Array, p: number): void {
  const f = F.OrderReduced;
  const orders = state.orders;
  const slot = slotOf(state, s[p + f.order]);
  const lots = s[p + f.qtyLots];
  orders.leaves[slot] -= lots;
  assert(orders.leaves[slot] > 0, 'a reduction must leave a quantity (else it is a cancel)');
  if (orders.where[slot] === Where.Book) state.levels.total[orders.level[slot]] -= lots;
  release(state, slot, productOf(state, slot), s[p + f.released]);
}

export function applyStopTriggered(state: State, s: Float64Array, p: number): void {
  const slot = slotOf(state, s[p + F.StopTriggered.order]);
  assert(state.orders.where[slot] === Where.Stop, 'trigger of an order that is not a waiting stop');
  detach(state, slot, productOf(state, slot));
}
