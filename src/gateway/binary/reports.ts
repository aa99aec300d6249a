/**
 * ExecutionReports (docs/protocol.md) made from the committed view's account updates. The view
 * reports orders in ticks and lots as they were right after each event; the protocol speaks the
 * product's price and quantity scales: units = ticks × tickSize, lots × lotSize.
 */
import { fail } from '../../application/assert.ts';
import { CancelReason, OrderType } from '../../application/matching/order-types.ts';
import type { Outcome } from '../outcome.ts';
import type { AccountUpdate, Fill, OrderUpdate } from '../view/updates.ts';
import { Liquidity, ReportKind, type ExecutionReport } from './messages.ts';

/** What converts a product's ticks and lots into its price and quantity scales. */
export interface Units {
  tickSize: number;
  lotSize: number;
}

/** A product's units; undefined for an id that names none (a rejected order's 0). */
export type UnitsOf = (product: number) => Units | undefined;

const NO_UNITS: Units = { tickSize: 0, lotSize: 0 };

/**
 * An id as a report carries it (u53): a rejected request's ids are echoed as the client sent
 * them, and one that was never a valid id (negative) has no place there.
 */
function id(n: number): number {
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function blank(kind: number, request: number, entryIndex: number, timestampUs: number): ExecutionReport {
  return {
    type: 'ExecutionReport', kind, side: 0, request, order: 0, clientOrderId: 0, product: 0, price: 0, qty: 0, filledQty: 0,
    leavesQty: 0, trade: 0, fillPrice: 0, fillQty: 0, fee: 0, entryIndex, timestampUs, reason: 0, liquidity: Liquidity.None,
    last: 0,
  };
}

function orderReport(kind: number, u: OrderUpdate, request: number, unitsOf: UnitsOf): ExecutionReport {
  const { tickSize, lotSize } = unitsOf(u.product) ?? NO_UNITS;
  const r = blank(kind, request, u.entryIndex, u.timestampUs);
  r.side = u.side;
  r.order = id(u.order);
  r.clientOrderId = id(u.clientOrderId);
  r.product = u.product;
  // A market order's limit in the view is its protection price, which the client never set.
  r.price = u.type === OrderType.Market || u.type === OrderType.StopMarket ? 0 : u.priceTicks * tickSize;
  r.qty = u.qtyLots * lotSize;
  r.filledQty = u.filledLots * lotSize;
  r.leavesQty = u.leavesLots * lotSize;
  return r;
}

function fillReport(f: Fill, u: OrderUpdate, request: number, unitsOf: UnitsOf): ExecutionReport {
  const r = orderReport(u.status === 'filled' ? ReportKind.Filled : ReportKind.PartiallyFilled, u, request, unitsOf);
  const { tickSize, lotSize } = unitsOf(f.product) ?? NO_UNITS;
  r.trade = f.trade;
  r.fillPrice = f.priceTicks * tickSize;
  r.fillQty = f.qtyLots * lotSize;
  r.fee = f.fee;
  r.liquidity = f.liquidity === 'maker' ? Liquidity.Maker : Liquidity.Taker;
  return r;
}

/**
 * Appends the reports of `updates[from, to)` — one entry's updates of one account, in order —
 * to `out`, each with `request` (0: unsolicited); `last` is left to the caller. Balance updates
 * and a stop's trigger make no report (the trigger's fills do).
 */
export function appendReports(
  updates: readonly AccountUpdate[], from: number, to: number, request: number, unitsOf: UnitsOf, out: ExecutionReport[],
): void {
  // Bounded by the entry's updates.
  for (let i = from; i < to; i++) {
    const u = updates[i];
    switch (u.kind) {
      case 'balance':
        break;
      case 'fill': {
        // The view follows each fill with its order's update (the order as the fill left it).
        const next = updates[i + 1];
        if (i + 1 >= to || next.kind !== 'order' || next.order !== u.order) fail(`fill of order ${u.order} without its order update`);
        out.push(fillReport(u, next, request, unitsOf));
        i++;
        break;
      }
      case 'command_rejected': {
        const r = blank(ReportKind.Rejected, request, u.entryIndex, u.timestampUs);
        r.order = id(u.order);
        r.clientOrderId = id(u.clientOrderId);
        r.reason = u.reason;
        out.push(r);
        break;
      }
      case 'order':
        switch (u.status) {
          case 'new':
            out.push(orderReport(ReportKind.New, u, request, unitsOf));
            break;
          case 'cancelled': {
            const r = orderReport(ReportKind.Cancelled, u, request, unitsOf);
            r.reason = u.reason;
            out.push(r);
            break;
          }
          case 'rejected': {
            const r = orderReport(ReportKind.Rejected, u, request, unitsOf);
            r.reason = u.reason;
            out.push(r);
            break;
          }
          // A self-trade decrement says SelfTrade in the view; a Modified report's reason is 0.
          case 'modified':
            out.push(orderReport(ReportKind.Modified, u, request, unitsOf));
            break;
          case 'triggered':
            break;
          // Fill statuses come right after their fill, taken with it above.
          case 'partially_filled':
          case 'filled':
            fail(`order ${u.order} ${u.status} without a fill`);
        }
        break;
    }
  }
}

/**
 * The answer of a request whose entry changed none of the account's orders: a retried id (one
 * Duplicate with the first outcome) or a CancelAll that found nothing to cancel (one Cancelled
 * report, order 0, reason CancelAll). Undefined for any other: every other command of an
 * account changes an order or is rejected, and the view reports both.
 */
export function answerWithoutUpdates(
  outcome: Outcome, cancelAll: boolean, request: number, entryIndex: number, timestampUs: number,
): ExecutionReport | undefined {
  if (outcome.duplicate) {
    const r = blank(ReportKind.Duplicate, request, entryIndex, timestampUs);
    r.order = id(outcome.order);
    r.reason = outcome.reason;
    return r;
  }
  if (!cancelAll || outcome.reason !== 0) return undefined;
  const r = blank(ReportKind.Cancelled, request, entryIndex, timestampUs);
  r.reason = CancelReason.CancelAll;
  return r;
}
