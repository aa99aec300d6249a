/** Values at and beyond the safe-integer edge: rejected with the right reason, never wrapped. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandOf } from '../../src/application/commands.ts';
import { checkInvariants } from '../../src/application/invariants.ts';
import { OrderType, Side, Stp, TimeInForce } from '../../src/application/matching/order-types.ts';
import { ProductStatus } from '../../src/application/products/status.ts';
import { Reason } from '../../src/application/reasons.ts';
import { stateHash } from '../../src/application/snapshot.ts';
import { Harness } from './harness.ts';

const MAX = Number.MAX_SAFE_INTEGER;
const UNSAFE = [2 ** 53, -(2 ** 53), 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5];

/** BTC (8) / USD (6), product 1 = BTC-USD with tick 0.01 and lot 0.0001, accounts 1 and 2. */
function market(): Harness {
  const h = new Harness();
  h.run({ type: 'CreateAsset', code: 'BTC', scale: 8 });
  h.run({ type: 'CreateAsset', code: 'USD', scale: 6 });
  h.run({
    type: 'CreateProduct', symbol: 'BTC-USD', base: 1, quote: 2, priceScale: 2, qtyScale: 4, tickSize: 1, lotSize: 1,
    minQty: 1, maxQty: 10 ** 11, minNotional: 0, makerBps: 10, takerBps: 20, protectionTicks: 100, status: ProductStatus.Trading,
  });
  assert.equal(h.engine.state.products.length, 2, 'the fixture product exists');
  h.run({ type: 'CreateAccount' });
  h.run({ type: 'CreateAccount' });
  return h;
}

function order(fields: Partial<CommandOf<'PlaceOrder'>> = {}): CommandOf<'PlaceOrder'> {
  return {
    type: 'PlaceOrder', request: 0, account: 1, product: 1, clientOrderId: 0, side: Side.Buy, orderType: OrderType.Limit,
    tif: TimeInForce.GTC, postOnly: 0, stp: Stp.CancelNewest, price: 10_000, qty: 1, quoteBudget: 0, stopPrice: 0, ...fields,
  };
}

describe('safe-integer edges', () => {
  it('every numeric field of PlaceOrder beyond the safe range is NOT_SAFE_INTEGER, and changes nothing', () => {
    const h = market();
    h.run({ type: 'Deposit', transfer: 1, account: 1, asset: 2, amount: 1_000_000_000 });
    const fields = ['account', 'product', 'clientOrderId', 'side', 'orderType', 'tif', 'postOnly', 'stp', 'price', 'qty',
      'quoteBudget', 'stopPrice'] as const;
    for (const field of fields) {
      for (const value of UNSAFE) {
        const before = stateHash(h.engine.state);
        const events = h.run(order({ [field]: value }));
        assert.equal(events.length, 1, `${field}=${value}`);
        const e = events[0];
        assert.equal(e.type, 'Rejected');
        assert.equal(e.type === 'Rejected' && e.reason, Reason.NOT_SAFE_INTEGER, `${field}=${value}`);
        // The reject's own ids are safe integers (an unsafe id is reported as 0).
        if (e.type === 'Rejected') assert.ok(Number.isSafeInteger(e.account) && Number.isSafeInteger(e.clientOrderId));
        const now = h.engine.state.timestampUs;
        h.engine.state.timestampUs -= 1;
        assert.equal(stateHash(h.engine.state), before, 'a reject changes nothing but the clock');
        h.engine.state.timestampUs = now;
      }
    }
  });

  it('cancel, modify, cancel-all and transfers reject unsafe values with NOT_SAFE_INTEGER', () => {
    const h = market();
    for (const v of UNSAFE) {
      assert.equal(h.rejectReason({ type: 'CancelOrder', request: 0, account: 1, order: v, clientOrderId: 0 }), 'NOT_SAFE_INTEGER');
      assert.equal(h.rejectReason({ type: 'CancelAll', request: 0, account: v, product: 0 }), 'NOT_SAFE_INTEGER');
      assert.equal(h.rejectReason({ type: 'ModifyOrder', request: 0, account: 1, order: 1, clientOrderId: 0, price: v, qty: 1 }), 'NOT_SAFE_INTEGER');
      assert.equal(h.rejectReason({ type: 'Deposit', transfer: 9, account: 1, asset: 2, amount: v }), 'NOT_SAFE_INTEGER');
      assert.equal(h.rejectReason({ type: 'Withdraw', transfer: v, account: 1, asset: 2, amount: 1 }), 'NOT_SAFE_INTEGER');
      assert.equal(h.rejectReason({ type: 'CreateAsset', code: 'X', scale: v }), 'NOT_SAFE_INTEGER');
    }
  });

  it('a deposit that would take the supply past 2^53 - 1 is VALUE_OUT_OF_RANGE; up to the edge is fine', () => {
    const h = market();
    assert.equal(h.rejectReason({ type: 'Deposit', transfer: 1, account: 1, asset: 2, amount: MAX - 1 }), undefined);
    assert.equal(h.rejectReason({ type: 'Deposit', transfer: 2, account: 2, asset: 2, amount: 1 }), undefined);
    assert.equal(h.rejectReason({ type: 'Deposit', transfer: 3, account: 2, asset: 2, amount: 1 }), 'VALUE_OUT_OF_RANGE');
    const { accounts } = h.engine.state;
    assert.equal(accounts.available[1 * accounts.stride + 2], MAX - 1);
    assert.equal(accounts.available[2 * accounts.stride + 2], 1);
    assert.equal(h.engine.state.assets.get(2)?.supply, MAX);
  });

  it('an order whose value passes the safe range is VALUE_OUT_OF_RANGE, not wrapped', () => {
    const h = market();
    h.run({ type: 'Deposit', transfer: 1, account: 1, asset: 2, amount: 1_000_000 });
    // 2^40 ticks × 2^20 lots × 1 µUSD = 2^60: far past 2^53.
    assert.equal(h.rejectReason(order({ price: 2 ** 40, qty: 2 ** 20 })), 'VALUE_OUT_OF_RANGE');
    assert.equal(h.rejectReason(order({ price: MAX, qty: 1 })), 'VALUE_OUT_OF_RANGE');
    // A hold (notional + fee) past the edge, with a notional just inside it.
    assert.equal(h.rejectReason(order({ price: 2 ** 33, qty: 2 ** 20 - 1 })), 'VALUE_OUT_OF_RANGE');
    assert.deepEqual(checkInvariants(h.engine.state), []);
  });

  it('a market buy by budget whose protection limit passes the safe range is VALUE_OUT_OF_RANGE', () => {
    // Regression (found by the REST fuzz test): a budget order has no quantity, so the overflow
    // check multiplied by 0 and an OrderAccepted with an unsafe price was committed.
    const h = market();
    h.run({ type: 'Deposit', transfer: 1, account: 1, asset: 2, amount: 1_000_000 });
    h.run({ type: 'Deposit', transfer: 2, account: 2, asset: 1, amount: 100_000 });
    const sell = h.run(order({ account: 2, side: Side.Sell, price: MAX - 50, qty: 1 }));
    assert.ok(sell.some((e) => e.type === 'OrderRested'), JSON.stringify(sell));
    assert.equal(h.rejectReason(order({ orderType: OrderType.Market, tif: TimeInForce.IOC, price: 0, qty: 0, quoteBudget: 1_000_000 })), 'VALUE_OUT_OF_RANGE');
    assert.deepEqual(checkInvariants(h.engine.state), []);
  });

  it('a product whose tick × lot passes the safe range is INVALID_PRODUCT', () => {
    const h = market();
    assert.equal(h.rejectReason({
      type: 'CreateProduct', symbol: 'BIG', base: 1, quote: 2, priceScale: 0, qtyScale: 0, tickSize: 2 ** 40, lotSize: 2 ** 20,
      minQty: 0, maxQty: 2 ** 20, minNotional: 0, makerBps: 0, takerBps: 0, protectionTicks: 0, status: ProductStatus.Trading,
    }), 'INVALID_PRODUCT');
  });

  it('trades near the top of the safe range settle exactly: fees and balances add up to the unit', () => {
    const h = market();
    // Notional of the fill: 2^32 ticks × 2^20 lots = 2^52 µUSD (taker fee 20 bps, maker 10 bps).
    const price = 2 ** 32;
    const qty = 2 ** 20;
    const notional = price * qty;
    const takerFee = Math.ceil((notional * 20) / 10_000);
    h.run({ type: 'Deposit', transfer: 1, account: 1, asset: 2, amount: notional + takerFee });
    h.run({ type: 'Deposit', transfer: 2, account: 2, asset: 1, amount: qty * 10_000 });
    const sell = h.run(order({ account: 2, side: Side.Sell, price, qty }));
    assert.equal(sell.at(-1)?.type, 'OrderRested');
    const buy = h.run(order({ account: 1, side: Side.Buy, price, qty }));
    const trade = buy.find((e) => e.type === 'Trade');
    assert.ok(trade !== undefined && trade.type === 'Trade');
    assert.equal(trade.quoteAmount, notional);
    assert.equal(trade.takerFee, takerFee);
    assert.equal(trade.makerFee, Math.ceil((notional * 10) / 10_000));
    const { accounts } = h.engine.state;
    assert.equal(accounts.available[1 * accounts.stride + 2], 0);
    assert.equal(accounts.available[2 * accounts.stride + 2], notional - trade.makerFee);
    assert.equal(accounts.available[0 * accounts.stride + 2], trade.makerFee + trade.takerFee);
    assert.deepEqual(checkInvariants(h.engine.state), []);
  });
});
