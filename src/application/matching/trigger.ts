/** `decide` for a stop order that a trade has triggered: it becomes an aggressor. */
import { assert } from '../assert.ts';
import type { EventBuffer } from '../events.ts';
import type { State } from '../state.ts';
import type { Matcher } from './matcher.ts';
import { Where } from './orders.ts';
import { CancelReason } from './order-types.ts';

export function decideTriggered(state: State, orderId: number, out: EventBuffer, matcher: Matcher): void {
  const orders = state.orders;
  const slot = orders.slotOf(orderId);
  assert(slot >= 0 && orders.where[slot] === Where.Active, 'a triggered stop must be active');
  const product = state.products[orders.product[slot]];
  assert(product !== undefined, 'stop of an unknown product');
  const mark = out.length;
  matcher.begin(
    orderId, orders.account[slot], orders.side[slot], orders.price[slot], orders.leaves[slot], orders.hold[slot],
    orders.feeCarry[slot], orders.takerBps[slot], orders.stp[slot], false,
  );
  if (!matcher.settle(product, orders.tif[slot], mark)) {
    out.orderCancelled(orderId, CancelReason.Expired, orders.leaves[slot], orders.hold[slot]);
  }
}
