/**
 * FinishedOrders against a model: the newest `capacity` ended orders are found by id (and
 * only by their account), and by client order id the newest kept one of that account with
 * that client id — also when a client id comes back and when the newer one is forgotten first.
 * Orders end in any order of their ids, which span many times the id index's table, so kept
 * orders share its slots (order-id-index.ts): found all the same.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FinishedOrders } from '../../../src/gateway/view/finished-orders.ts';
import { OrderFacts } from '../../../src/gateway/view/order-facts.ts';
import { runs } from '../../arbitraries.ts';

const CAPACITY = 6;
/** Order ids up to this: over six times the id table's 32 slots at CAPACITY. */
const MAX_ID = 200;

interface Ended {
  order: number;
  account: number;
  clientOrderId: number;
}

describe('FinishedOrders', () => {
  it('finds the newest ended orders by id and by client order id, as a list of them says', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.record({ order: fc.integer({ min: 1, max: MAX_ID }), account: fc.integer({ min: 1, max: 3 }), clientOrderId: fc.integer({ min: 0, max: 3 }) }),
        { selector: (e) => e.order, maxLength: 60 }),
      (ends) => {
        const finished = new FinishedOrders(CAPACITY);
        const o = new OrderFacts();
        const into = new OrderFacts();
        const kept: Ended[] = [];
        for (const { order, account, clientOrderId } of ends) {
          Object.assign(o, { order, account, clientOrderId, product: 1, side: 0, priceTicks: 100, qtyLots: 2, filledLots: 2 });
          finished.add(o);
          kept.push({ order, account, clientOrderId });
          if (kept.length > CAPACITY) kept.shift();
          assert.equal(finished.size, kept.length);
          for (let id = 1; id <= MAX_ID; id++) {
            const k = kept.find((e) => e.order === id);
            for (let a = 1; a <= 3; a++) {
              const found = finished.find(a, id, into);
              assert.equal(found, k?.account === a, `order ${id} of account ${a}`);
              if (found) assert.equal(into.clientOrderId, k?.clientOrderId);
            }
          }
          for (let a = 1; a <= 3; a++) {
            for (let c = 1; c <= 3; c++) {
              const newest = kept.filter((e) => e.account === a && e.clientOrderId === c).at(-1);
              const found = finished.findClient(a, c, into);
              assert.equal(found, newest !== undefined, `client id ${c} of account ${a}`);
              if (found) assert.equal(into.order, newest?.order);
            }
          }
        }
      },
    ), runs(300));
  });
});
