/**
 * CommitOrder on its own: a connection's answers and its account's updates, merged by entry,
 * each report once, answers held until the view reaches their entry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelReason } from '../../../src/application/matching/order-types.ts';
import { Reason } from '../../../src/application/reasons.ts';
import type { Outcome } from '../../../src/gateway/outcome.ts';
import type { AccountUpdate, Fill, OrderUpdate } from '../../../src/gateway/view/updates.ts';
import { type Answer, CommitOrder } from '../../../src/gateway/binary/commit-order.ts';
import { type ExecutionReport, Liquidity, ReportKind } from '../../../src/gateway/binary/messages.ts';
import type { UnitsOf } from '../../../src/gateway/binary/reports.ts';

const units: UnitsOf = (product) => (product === 1 ? { tickSize: 5, lotSize: 10 } : undefined);

function order(entryIndex: number, request: number, status: OrderUpdate['status'], fields: Partial<OrderUpdate> = {}): OrderUpdate {
  return {
    kind: 'order', entryIndex, timestampUs: entryIndex * 1_000, account: 1, request, order: 9, clientOrderId: 3, product: 1,
    side: 1, type: 1, status, priceTicks: 100, stopTicks: 0, qtyLots: 4, filledLots: 0, leavesLots: 4, reason: 0, ...fields,
  };
}

function fill(entryIndex: number, request: number, lots: number): Fill {
  return {
    kind: 'fill', entryIndex, timestampUs: entryIndex * 1_000, account: 1, request, trade: 77, order: 9, clientOrderId: 3, product: 1,
    side: 1, priceTicks: 100, qtyLots: lots, fee: -2, feeAsset: 2, liquidity: 'maker',
  };
}

const ACCEPTED: Outcome = { order: 9, reason: 0, duplicate: false };

function answer(request: number, entryIndex: number, outcome = ACCEPTED, cancelAll = false): Answer {
  return { request, entryIndex, timestampUs: entryIndex * 1_000, outcome, cancelAll };
}

/** What a drain handed out: ['answer', request, reports] and ['unsolicited', report], in order. */
function drain(c: CommitOrder, horizon: number): [string, number, ExecutionReport[]][] {
  const out: [string, number, ExecutionReport[]][] = [];
  c.drain(horizon, units, {
    // Reports are lent: keep copies.
    answer: (request, reports, count) => out.push(['answer', request, reports.slice(0, count).map((r) => ({ ...r }))]),
    unsolicited: (report) => out.push(['unsolicited', 0, [{ ...report }]]),
  });
  return out;
}

const kinds = (out: [string, number, ExecutionReport[]][]): [string, number, number[]][] =>
  out.map(([what, request, reports]) => [what, request, reports.map((r) => r.kind)]);

describe('CommitOrder', () => {
  it('merges answers and unsolicited updates by entry; updates of the entry of a request are its answer', () => {
    const c = new CommitOrder();
    const updates: AccountUpdate[] = [
      order(5, 0, 'cancelled', { reason: CancelReason.Expired }),
      order(6, 31, 'new'),
      { kind: 'balance', entryIndex: 6, timestampUs: 6_000, account: 1, request: 31, asset: 1, available: 0, held: 0 },
      fill(7, 0, 1), order(7, 0, 'partially_filled', { filledLots: 1, leavesLots: 3 }),
    ];
    for (const u of updates) c.onUpdate(u);
    c.onAnswer(answer(31, 6));
    const out = drain(c, 7);
    assert.deepEqual(kinds(out), [
      ['unsolicited', 0, [ReportKind.Cancelled]],
      ['answer', 31, [ReportKind.New]],
      ['unsolicited', 0, [ReportKind.PartiallyFilled]],
    ]);
    const [cancelled, accepted, filled] = out.map(([, , reports]) => reports[0]);
    assert.deepEqual([cancelled.reason, cancelled.last, cancelled.request], [CancelReason.Expired, 0, 0]);
    assert.deepEqual([accepted.last, accepted.price, accepted.qty, accepted.leavesQty], [1, 500, 40, 40], 'ticks and lots in the scales');
    assert.deepEqual([filled.fillQty, filled.filledQty, filled.leavesQty, filled.fee, filled.liquidity, filled.trade],
      [10, 10, 30, -2, Liquidity.Maker, 77]);
    assert.deepEqual(drain(c, 7), [], 'each once');
  });

  it('holds an answer until the view reaches its entry, and what comes after it', () => {
    const c = new CommitOrder();
    c.onAnswer(answer(1, 10));
    c.onUpdate(order(9, 0, 'cancelled', { reason: CancelReason.User }));
    assert.deepEqual(kinds(drain(c, 9)), [['unsolicited', 0, [ReportKind.Cancelled]]]);
    assert.equal(c.waiting, true);
    c.onUpdate(order(10, 1, 'new'));
    c.onUpdate(fill(11, 0, 4));
    c.onUpdate(order(11, 0, 'filled', { filledLots: 4, leavesLots: 0 }));
    assert.deepEqual(kinds(drain(c, 11)), [['answer', 1, [ReportKind.New]], ['unsolicited', 0, [ReportKind.Filled]]]);
    assert.equal(c.waiting, false);
  });

  it("drops the updates of another connection's request; answers without updates: Duplicate, CancelAll of nothing", () => {
    const c = new CommitOrder();
    c.onUpdate(order(20, 8, 'new'));
    c.onAnswer(answer(8, 21, { order: 9, reason: 0, duplicate: true }));
    c.onAnswer(answer(9, 22, { order: 0, reason: 0, duplicate: false }, true));
    c.onAnswer(answer(10, 23, { order: 0, reason: Reason.BAD_TICK, duplicate: true }));
    const out = drain(c, 23);
    assert.deepEqual(kinds(out), [
      ['answer', 8, [ReportKind.Duplicate]], ['answer', 9, [ReportKind.Cancelled]], ['answer', 10, [ReportKind.Duplicate]],
    ]);
    const [duplicate, nothing, rejected] = out.map(([, , reports]) => reports[0]);
    assert.deepEqual([duplicate.order, duplicate.reason, duplicate.last, duplicate.entryIndex], [9, 0, 1, 21]);
    assert.deepEqual([nothing.order, nothing.reason, nothing.last], [0, CancelReason.CancelAll, 1]);
    assert.deepEqual([rejected.order, rejected.reason], [0, Reason.BAD_TICK]);
  });

  it('an answer after its entry was handed out, or out of order, is a bug', () => {
    const c = new CommitOrder();
    c.onAnswer(answer(1, 5));
    assert.throws(() => c.onAnswer(answer(2, 4)), /commit order/);
    c.onUpdate(order(5, 1, 'new'));
    assert.equal(drain(c, 8).length, 1);
    assert.throws(() => c.onAnswer(answer(3, 7)), /before its entry is handed out/);
  });

  it('a request with nothing to report for it is a bug, not a silent gap', () => {
    const c = new CommitOrder();
    c.onAnswer(answer(1, 5));
    assert.throws(() => drain(c, 5), /has no report/);
  });
});
