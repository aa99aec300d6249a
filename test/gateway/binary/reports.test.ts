/**
 * ReportList reuses its report objects from one hand-out to the next: a reused report must
 * carry nothing of the report it was before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Liquidity, ReportKind } from '../../../src/gateway/binary/messages.ts';
import { ReportList, appendReports } from '../../../src/gateway/binary/reports.ts';
import type { AccountUpdate } from '../../../src/gateway/view/updates.ts';

const units = (product: number) => (product === 1 ? { tickSize: 5, lotSize: 10 } : undefined);

describe('ReportList', () => {
  it('a reused report is blank but for what its new hand-out sets', () => {
    const list = new ReportList();
    const updates: AccountUpdate[] = [
      { kind: 'fill', entryIndex: 7, timestampUs: 70, account: 1, request: 3, trade: 77, order: 9, clientOrderId: 4, product: 1,
        side: 1, priceTicks: 100, qtyLots: 2, fee: -2, feeAsset: 2, liquidity: 'maker' },
      { kind: 'order', entryIndex: 7, timestampUs: 70, account: 1, request: 3, order: 9, clientOrderId: 4, product: 1, side: 1,
        type: 1, status: 'filled', priceTicks: 100, stopTicks: 0, qtyLots: 2, filledLots: 2, leavesLots: 0, reason: 0 },
    ];
    appendReports(updates, 0, updates.length, 3, units, list);
    assert.equal(list.count, 1);
    const first = list.items[0];
    assert.deepEqual({ ...first }, {
      type: 'ExecutionReport', kind: ReportKind.Filled, side: 1, request: 3, order: 9, clientOrderId: 4, product: 1, price: 500,
      qty: 20, filledQty: 20, leavesQty: 0, trade: 77, fillPrice: 500, fillQty: 20, fee: -2, entryIndex: 7, timestampUs: 70,
      reason: 0, liquidity: Liquidity.Maker, last: 0,
    });
    first.last = 1;

    list.clear();
    const r = list.add(ReportKind.Rejected, 5, 8, 80);
    assert.equal(r, first, 'the object is reused');
    assert.deepEqual({ ...r }, {
      type: 'ExecutionReport', kind: ReportKind.Rejected, side: 0, request: 5, order: 0, clientOrderId: 0, product: 0, price: 0,
      qty: 0, filledQty: 0, leavesQty: 0, trade: 0, fillPrice: 0, fillQty: 0, fee: 0, entryIndex: 8, timestampUs: 80,
      reason: 0, liquidity: Liquidity.None, last: 0,
    });
  });
});
