/** `decide` for CancelOrder and CancelAll. */
import { COMMANDS, type CommandOf } from '../commands.ts';
import type { EventBuffer } from '../events.ts';
import { Reason } from '../reasons.ts';
import { reject } from '../reject.ts';
import type { State } from '../state.ts';
import { NIL } from './orders.ts';
import { CancelReason } from './order-types.ts';

/** The slot of the account's open order named by id (first) or client order id, or NIL. */
export function findOrder(state: State, account: number, orderId: number, clientOrderId: number): number {
  const orders = state.orders;
  if (orderId !== 0) {
    const slot = orders.slotOf(orderId);
    return slot !== NIL && orders.account[slot] === account ? slot : NIL;
  }
  return clientOrderId !== 0 ? orders.slotOfClient(account, clientOrderId) : NIL;
}

/** The reason an order reference is unusable, or 0. */
export function referenceProblem(state: State, account: number, orderId: number, clientOrderId: number): number {
  const S = Number.isSafeInteger;
  if (!S(account) || !S(orderId) || !S(clientOrderId)) return Reason.NOT_SAFE_INTEGER;
  if (orderId < 0 || clientOrderId < 0) return Reason.VALUE_OUT_OF_RANGE;
  if (orderId === 0 && clientOrderId === 0) return Reason.INVALID_ORDER;
  if (!state.accounts.exists(account)) return Reason.UNKNOWN_ACCOUNT;
  return 0;
}

export function cancelOrder(state: State, slot: number, reason: number, out: EventBuffer): void {
  const orders = state.orders;
  out.orderCancelled(orders.id[slot], reason, orders.leaves[slot], orders.hold[slot]);
}

export function decideCancel(state: State, c: CommandOf<'CancelOrder'>, out: EventBuffer): void {
  const code = COMMANDS.CancelOrder.code;
  const problem = referenceProblem(state, c.account, c.order, c.clientOrderId);
  if (problem !== 0) return reject(out, problem, code, c.account, c.order, c.clientOrderId);
  const slot = findOrder(state, c.account, c.order, c.clientOrderId);
  if (slot === NIL) return reject(out, Reason.UNKNOWN_ORDER, code, c.account, c.order, c.clientOrderId);
  cancelOrder(state, slot, CancelReason.User, out);
}

export function decideCancelAll(state: State, c: CommandOf<'CancelAll'>, out: EventBuffer): void {
  const code = COMMANDS.CancelAll.code;
  if (!Number.isSafeInteger(c.account) || !Number.isSafeInteger(c.product)) {
    return reject(out, Reason.NOT_SAFE_INTEGER, code, c.account);
  }
  if (!state.accounts.exists(c.account)) return reject(out, Reason.UNKNOWN_ACCOUNT, code, c.account);
  if (c.product !== 0 && state.product(c.product) === undefined) {
    return reject(out, Reason.UNKNOWN_PRODUCT, code, c.account);
  }
  const orders = state.orders;
  // Bounded by the account's open orders (at most LIMITS.openOrdersPerAccount), in id order.
  for (let slot = state.accounts.head[c.account]; slot !== NIL; slot = orders.accNext[slot]) {
    if (c.product === 0 || orders.product[slot] === c.product) cancelOrder(state, slot, CancelReason.CancelAll, out);
  }
}
