/**
 * `decide` for ModifyOrder. A smaller quantity at the same price keeps the order's place in
 * its queue; a new price or a larger quantity re-enters it at the back (it may trade at once).
 */
import { COMMANDS, type CommandOf } from '../commands.ts';
import type { EventBuffer } from '../events.ts';
import { buyNeed } from '../holds/fees.ts';
import { isMultiple } from '../integers.ts';
import type { Product } from '../products/product.ts';
import { ProductStatus } from '../products/status.ts';
import { Reason } from '../reasons.ts';
import { reject } from '../reject.ts';
import type { State } from '../state.ts';
import { findOrder, referenceProblem } from './cancel.ts';
import type { Matcher } from './matcher.ts';
import { NIL, Where } from './orders.ts';
import { OrderFlag, Requeue, Side, TimeInForce } from './order-types.ts';

type Modify = CommandOf<'ModifyOrder'>;

export function decideModify(state: State, c: Modify, out: EventBuffer, matcher: Matcher): void {
  const reason = modify(state, c, out, matcher);
  if (reason !== 0) reject(out, reason, COMMANDS.ModifyOrder.code, c.account, c.order, c.clientOrderId);
}

function modify(state: State, c: Modify, out: EventBuffer, matcher: Matcher): number {
  const problem = referenceProblem(state, c.account, c.order, c.clientOrderId);
  if (problem !== 0) return problem;
  if (!Number.isSafeInteger(c.price) || !Number.isSafeInteger(c.qty)) return Reason.NOT_SAFE_INTEGER;
  const slot = findOrder(state, c.account, c.order, c.clientOrderId);
  if (slot === NIL) return Reason.UNKNOWN_ORDER;
  const orders = state.orders;
  if (orders.where[slot] !== Where.Book) return Reason.ORDER_NOT_MODIFIABLE;
  const product = state.products[orders.product[slot]] as Product;
  if (product.status !== ProductStatus.Trading) return Reason.PRODUCT_HALTED;
  if (c.price <= 0 || c.qty <= 0) return Reason.VALUE_OUT_OF_RANGE;
  if (!isMultiple(c.price, product.tickSize)) return Reason.BAD_TICK;
  if (!isMultiple(c.qty, product.lotSize)) return Reason.BAD_LOT;
  if (c.qty < product.minQty) return Reason.QTY_BELOW_MIN;
  if (c.qty > product.maxQty) return Reason.QTY_ABOVE_MAX;
  const price = c.price / product.tickSize;
  const totalLots = c.qty / product.lotSize;
  const leaves = totalLots - orders.filled[slot];
  if (leaves <= 0) return Reason.VALUE_OUT_OF_RANGE;
  const notional = price * totalLots * product.quotePerTickLot;
  if (!Number.isSafeInteger(notional)) return Reason.VALUE_OUT_OF_RANGE;
  if (notional < product.minNotional) return Reason.NOTIONAL_BELOW_MIN;
  const side = orders.side[slot];
  const need = side === Side.Buy
    ? buyNeed(price, leaves, orders.feeCarry[slot], orders.takerBps[slot], product.quotePerTickLot)
    : leaves * product.basePerLot;
  if (!Number.isSafeInteger(need)) return Reason.VALUE_OUT_OF_RANGE;
  const delta = need - orders.hold[slot];
  const id = orders.id[slot];
  if (price === orders.price[slot] && leaves <= orders.leaves[slot]) {
    out.orderModified(id, price, leaves, delta, Requeue.Keep);
    return 0;
  }
  const opposite = side === Side.Buy ? product.asks : product.bids;
  if ((orders.flags[slot] & OrderFlag.PostOnly) !== 0 && opposite.n > 0 &&
      opposite.keys[opposite.n - 1] >= opposite.sign * price) {
    return Reason.POST_ONLY_WOULD_CROSS;
  }
  const accounts = state.accounts;
  const asset = side === Side.Buy ? product.quote : product.base;
  if (delta > accounts.available[c.account * accounts.stride + asset]) return Reason.INSUFFICIENT_FUNDS;
  // Most moves cannot trade at their new price: one event re-queues them, no matching walk.
  if (opposite.n === 0 || opposite.keys[opposite.n - 1] < opposite.sign * price) {
    out.orderModified(id, price, leaves, delta, Requeue.Rest);
    return 0;
  }
  const mark = out.length;
  out.orderModified(id, price, leaves, delta, Requeue.Match);
  matcher.begin(id, c.account, side, price, leaves, need, orders.feeCarry[slot], orders.takerBps[slot], orders.stp[slot], false);
  matcher.settle(product, TimeInForce.GTC, mark);
  return 0;
}
