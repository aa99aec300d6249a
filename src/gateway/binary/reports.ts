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
 * Sets every field of `r` blank. Field by field: `Object.assign` from a template object cost
 * about fifty times as much, and this runs for every report.
 */
function blank(r: ExecutionReport): ExecutionReport {
  r.type = 'ExecutionReport';
  r.kind = 0;
  r.side = 0;
  r.request = 0;
  r.order = 0;
  r.clientOrderId = 0;
  r.product = 0;
  r.price = 0;
  r.qty = 0;
  r.filledQty = 0;
  r.leavesQty = 0;
  r.trade = 0;
  r.fillPrice = 0;
  r.fillQty = 0;
  r.fee = 0;
  r.entryIndex = 0;
  r.timestampUs = 0;
  r.reason = 0;
  r.liquidity = Liquidity.None;
  r.last = 0;
  return r;
}

/**
 * An id as a report carries it (u53): a rejected request's ids are echoed as the client sent
 * them, and one that was never a valid id (negative) has no place there.
 */
function id(n: number): number {
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/**
 * The reports of one hand-out, in objects reused from one hand-out to the next: a report is
 * encoded as soon as it is handed out, and making ~20-field objects per report was a fifth of
 * what an order-entry leader allocated. Holds at most one entry's reports for one account.
 */
export class ReportList {
  /** This hand-out's reports are items [0, count); the ones after are kept for reuse. */
  readonly items: ExecutionReport[] = [];
  count = 0;

  /** Empties the list: the reports handed out before are done with. */
  clear(): void {
    this.count = 0;
  }

  /** The next report, every field blank but these. */
  add(kind: number, request: number, entryIndex: number, timestampUs: number): ExecutionReport {
    let r = this.items[this.count];
    if (r === undefined) {
      r = blank({} as ExecutionReport);
      this.items.push(r);
    } else {
      blank(r);
    }
    this.count++;
    r.kind = kind;
    r.request = request;
    r.entryIndex = entryIndex;
    r.timestampUs = timestampUs;
    return r;
  }
}

function orderReport(out: ReportList, kind: number, u: OrderUpdate, request: number, unitsOf: UnitsOf): ExecutionReport {
  const { tickSize, lotSize } = unitsOf(u.product) ?? NO_UNITS;
  const r = out.add(kind, request, u.entryIndex, u.timestampUs);
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

function fillReport(out: ReportList, f: Fill, u: OrderUpdate, request: number, unitsOf: UnitsOf): void {
  const r = orderReport(out, u.status === 'filled' ? ReportKind.Filled : ReportKind.PartiallyFilled, u, request, unitsOf);
  const { tickSize, lotSize } = unitsOf(f.product) ?? NO_UNITS;
  r.trade = f.trade;
  r.fillPrice = f.priceTicks * tickSize;
  r.fillQty = f.qtyLots * lotSize;
  r.fee = f.fee;
  r.liquidity = f.liquidity === 'maker' ? Liquidity.Maker : Liquidity.Taker;
}

/**
 * Appends the reports of `updates[from, to)` — one entry's updates of one account, in order —
 * to `out`, each with `request` (0: unsolicited); `last` is left to the caller. Balance updates
 * and a stop's trigger make no report (the trigger's fills do).
 */
export function appendReports(
  updates: readonly AccountUpdate[], from: number, to: number, request: number, unitsOf: UnitsOf, out: ReportList,
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
        fillReport(out, u, next, request, unitsOf);
        i++;
        break;
      }
      case 'command_rejected': {
        const r = out.add(ReportKind.Rejected, request, u.entryIndex, u.timestampUs);
        r.order = id(u.order);
        r.clientOrderId = id(u.clientOrderId);
        r.reason = u.reason;
        break;
      }
      case 'order':
        switch (u.status) {
          case 'new':
            orderReport(out, ReportKind.New, u, request, unitsOf);
            break;
          case 'cancelled':
            orderReport(out, ReportKind.Cancelled, u, request, unitsOf).reason = u.reason;
            break;
          case 'rejected':
            orderReport(out, ReportKind.Rejected, u, request, unitsOf).reason = u.reason;
            break;
          // A self-trade decrement says SelfTrade in the view; a Modified report's reason is 0.
          case 'modified':
            orderReport(out, ReportKind.Modified, u, request, unitsOf);
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
 * Adds the answer of a request whose entry changed none of the account's orders: a retried id
 * (one Duplicate with the first outcome) or a CancelAll that found nothing to cancel (one
 * Cancelled report, order 0, reason CancelAll). False for any other: every other command of an
 * account changes an order or is rejected, and the view reports both.
 */
export function answerWithoutUpdates(
  outcome: Outcome, cancelAll: boolean, request: number, entryIndex: number, timestampUs: number, out: ReportList,
): boolean {
  if (outcome.duplicate) {
    const r = out.add(ReportKind.Duplicate, request, entryIndex, timestampUs);
    r.order = id(outcome.order);
    r.reason = outcome.reason;
    return true;
  }
  if (!cancelAll || outcome.reason !== 0) return false;
  out.add(ReportKind.Cancelled, request, entryIndex, timestampUs).reason = CancelReason.CancelAll;
  return true;
}
