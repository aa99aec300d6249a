/**
 * One order's facts, copied out of the state's order slots: before an event (which may close
 * the order and free its slot) and after it, or out of the finished orders. Scratch objects,
 * reused event after event; objects for the outside are made from them only when asked for.
 */
import { NIL, type Orders, Where } from '../../application/matching/orders.ts';
import { OrderFlag } from '../../application/matching/order-types.ts';
import type { OrderView } from './reads.ts';
import type { OrderStatus, OrderUpdate, OrderUpdateStatus } from './updates.ts';

export class OrderFacts {
  order = 0;
  account = 0;
  clientOrderId = 0;
  product = 0;
  side = 0;
  type = 0;
  tif = 0;
  flags = 0;
  priceTicks = 0;
  stopTicks = 0;
  /** Total quantity, filled part included: filled + leaves while open, kept when it ends. */
  qtyLots = 0;
  leavesLots = 0;
  filledLots = 0;
  /** Where the order is while open: Where.Book (in the L2 book), Where.Stop, Where.Active (within a command). */
  where = 0;
  acceptedUs = 0;
  ended = false;
  /** The CancelReason of an order that ended cancelled; 0 otherwise. */
  reason = 0;
  finishedUs = 0;

  /** Copies the open order `orderId`; false (and nothing copied) if it is not open. */
  capture(orders: Orders, orderId: number): boolean {
    const slot = orders.slotOf(orderId);
    if (slot === NIL) return false;
    this.read(orders, slot);
    return true;
  }

  /** Copies the open order in `slot`. */
  read(orders: Orders, slot: number): void {
    this.order = orders.id[slot];
    this.account = orders.account[slot];
    this.clientOrderId = orders.clientId[slot];
    this.product = orders.product[slot];
    this.side = orders.side[slot];
    this.type = orders.type[slot];
    this.tif = orders.tif[slot];
    this.flags = orders.flags[slot];
    this.priceTicks = orders.price[slot];
    this.stopTicks = orders.stop[slot];
    this.leavesLots = orders.leaves[slot];
    this.filledLots = orders.filled[slot];
    this.qtyLots = this.filledLots + this.leavesLots;
    this.where = orders.where[slot];
    this.acceptedUs = orders.time[slot];
    this.ended = false;
    this.reason = 0;
    this.finishedUs = 0;
  }

  get inBook(): boolean {
    return !this.ended && this.where === Where.Book;
  }

  /** The order was cancelled: nothing is left of it, its total stays what it was. */
  cancelled(reason: number, atUs: number): void {
    this.leavesLots = 0;
    this.end(reason, atUs);
  }

  /** The order's last fill, of `lots`, filled it. */
  filledUp(lots: number, atUs: number): void {
    this.filledLots += lots;
    this.leavesLots = 0;
    this.qtyLots = this.filledLots;
    this.end(0, atUs);
  }

  end(reason: number, atUs: number): void {
    this.ended = true;
    this.reason = reason;
    this.finishedUs = atUs;
  }

  get status(): OrderStatus {
    if (this.ended) return this.reason === 0 ? 'filled' : 'cancelled';
    return this.filledLots > 0 ? 'partially_filled' : 'new';
  }

  update(status: OrderUpdateStatus, reason: number, entryIndex: number, timestampUs: number): OrderUpdate {
    return {
      kind: 'order', entryIndex, timestampUs, account: this.account, request: 0, order: this.order,
      clientOrderId: this.clientOrderId, product: this.product, side: this.side, type: this.type, status,
      priceTicks: this.priceTicks, stopTicks: this.stopTicks, qtyLots: this.qtyLots, filledLots: this.filledLots,
      leavesLots: this.leavesLots, reason,
    };
  }

  view(): OrderView {
    return {
      order: this.order, account: this.account, clientOrderId: this.clientOrderId, product: this.product,
      side: this.side, type: this.type, tif: this.tif, postOnly: (this.flags & OrderFlag.PostOnly) !== 0,
      priceTicks: this.priceTicks, stopTicks: this.stopTicks, qtyLots: this.qtyLots, filledLots: this.filledLots,
      leavesLots: this.leavesLots, status: this.status, reason: this.reason,
      waiting: !this.ended && this.where === Where.Stop, acceptedUs: this.acceptedUs, finishedUs: this.finishedUs,
    };
  }
}
