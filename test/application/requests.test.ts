/** Request ids make an account's commands idempotent; API keys are bound to one account. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command, CommandOf } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import { LIMITS } from '../../src/application/limits.ts';
import { OrderType, Side, Stp, TimeInForce } from '../../src/application/matching/order-types.ts';
import { ProductStatus } from '../../src/application/products/status.ts';
import { Reason } from '../../src/application/reasons.ts';
import { RecentRequests } from '../../src/application/requests/recent-requests.ts';
import { decodeSnapshot, encodeSnapshot, stateHash } from '../../src/application/snapshot.ts';
import { eventsOf } from '../../src/codec/events.ts';
import { Harness } from './harness.ts';

/** BTC-USD with accounts 1 and 2; account 1 holds 1,000 USD. */
function market(): Harness {
  const h = new Harness();
  h.run({ type: 'CreateAsset', code: 'BTC', scale: 8 });
  h.run({ type: 'CreateAsset', code: 'USD', scale: 6 });
  h.run({
    type: 'CreateProduct', symbol: 'BTC-USD', base: 1, quote: 2, priceScale: 2, qtyScale: 4, tickSize: 1, lotSize: 1,
    minQty: 1, maxQty: 10 ** 9, minNotional: 0, makerBps: 0, takerBps: 0, protectionTicks: 100, status: ProductStatus.Trading,
  });
  h.run({ type: 'CreateAccount' });
  h.run({ type: 'CreateAccount' });
  h.run({ type: 'Deposit', transfer: 1, account: 1, asset: 2, amount: 100_000_000_000 });
  return h;
}

function buy(request: number, account = 1, price = 100): CommandOf<'PlaceOrder'> {
  return { type: 'PlaceOrder', request, account, product: 1, clientOrderId: 0, side: Side.Buy, orderType: OrderType.Limit,
    tif: TimeInForce.GTC, postOnly: 0, stp: Stp.CancelNewest, price, qty: 10_000, quoteBudget: 0, stopPrice: 0 };
}

describe('request ids', () => {
  it('a retried place answers with the first outcome and places nothing more', () => {
    const h = market();
    const first = h.run(buy(5));
    const accepted = first.find((e) => e.type === 'OrderAccepted');
    assert.ok(accepted);
    assert.deepEqual(first[first.length - 1], { type: 'RequestRecorded', account: 1, request: 5, command: 7, order: accepted.order, reason: 0 });
    const hash = stateHash(h.engine.state);
    const retry = h.run(buy(5, 1, 999));
    assert.deepEqual(retry, [{ type: 'RequestDuplicate', account: 1, request: 5, command: 7, order: accepted.order, reason: 0 }]);
    // Nothing changed but the engine's clock.
    h.engine.state.timestampUs = h.timeUs - 1;
    assert.equal(stateHash(h.engine.state), hash);
    assert.equal(h.engine.state.orders.count, 1);
  });

  it('the same request id of another account is another request', () => {
    const h = market();
    h.run({ type: 'Deposit', transfer: 2, account: 2, asset: 2, amount: 100_000_000_000 });
    h.run(buy(5, 1));
    const other = h.run(buy(5, 2));
    assert.ok(other.some((e) => e.type === 'OrderAccepted'));
    assert.equal(h.engine.state.orders.count, 2);
  });

  it('a rejected request stays rejected on retry, even once it could succeed', () => {
    const h = market();
    const first = h.run(buy(9, 2));
    assert.equal(first[0].type, 'Rejected');
    assert.deepEqual(first[1], { type: 'RequestRecorded', account: 2, request: 9, command: 7, order: 0, reason: Reason.INSUFFICIENT_FUNDS });
    h.run({ type: 'Deposit', transfer: 2, account: 2, asset: 2, amount: 100_000_000_000 });
    assert.deepEqual(h.run(buy(9, 2)), [{ type: 'RequestDuplicate', account: 2, request: 9, command: 7, order: 0, reason: Reason.INSUFFICIENT_FUNDS }]);
  });

  it('cancel, modify and cancel-all record the order they acted on', () => {
    const h = market();
    h.run(buy(1));
    h.run(buy(2));
    const modify = h.run({ type: 'ModifyOrder', request: 3, account: 1, order: 1, clientOrderId: 0, price: 101, qty: 10_000 });
    assert.deepEqual(modify[modify.length - 1], { type: 'RequestRecorded', account: 1, request: 3, command: 10, order: 1, reason: 0 });
    const cancel = h.run({ type: 'CancelOrder', request: 4, account: 1, order: 2, clientOrderId: 0 });
    assert.deepEqual(cancel[cancel.length - 1], { type: 'RequestRecorded', account: 1, request: 4, command: 8, order: 2, reason: 0 });
    assert.deepEqual(h.run({ type: 'CancelOrder', request: 4, account: 1, order: 2, clientOrderId: 0 }),
      [{ type: 'RequestDuplicate', account: 1, request: 4, command: 8, order: 2, reason: 0 }]);
    const all = h.run({ type: 'CancelAll', request: 5, account: 1, product: 0 });
    assert.equal(all.filter((e) => e.type === 'OrderCancelled').length, 1);
    assert.equal(h.run({ type: 'CancelAll', request: 5, account: 1, product: 0 })[0].type, 'RequestDuplicate');
  });

  it('bad request ids are rejected and nothing is recorded; an unknown account records nothing', () => {
    const h = market();
    for (const [request, reason] of [[-1, Reason.VALUE_OUT_OF_RANGE], [2 ** 53, Reason.NOT_SAFE_INTEGER], [0.5, Reason.NOT_SAFE_INTEGER]]) {
      const events = h.run(buy(request));
      assert.deepEqual(events.map((e) => e.type), ['Rejected']);
      assert.equal(events[0].type === 'Rejected' && events[0].reason, reason);
    }
    assert.deepEqual(h.run(buy(3, 77)).map((e) => e.type), ['Rejected']);
    assert.equal(h.engine.state.requests.size, 0);
  });

  it(`an id is forgotten once a newer one is recorded more than ${LIMITS.requestWindowUs} µs later`, () => {
    const h = market();
    h.run(buy(1));
    h.run(buy(2), LIMITS.requestWindowUs);
    assert.equal(h.run(buy(1))[0].type, 'RequestDuplicate', 'exactly the window apart: still remembered');
    h.run(buy(3), 1);
    assert.equal(h.engine.state.requests.size, 2, 'request 1 expired');
    assert.equal(h.run(buy(1))[0].type, 'OrderAccepted', 'a forgotten id runs again');
  });

  it(`at most ${LIMITS.recentRequests} ids are remembered: the oldest goes first`, () => {
    const requests = new RecentRequests();
    const accountOf = (i: number): number => 1 + (i % 3);
    for (let i = 1; i <= LIMITS.recentRequests + 1; i++) requests.record(accountOf(i), i, 7, i, 0, 1);
    assert.equal(requests.size, LIMITS.recentRequests);
    assert.equal(requests.find(accountOf(1), 1), -1);
    assert.notEqual(requests.find(accountOf(2), 2), -1);
    const last = LIMITS.recentRequests + 1;
    assert.equal(requests.orderAt(requests.find(accountOf(last), last)), last);
  });

  it('ids that share their low bits, of one account or of several, are each remembered and forgotten', () => {
    const requests = new RecentRequests();
    // Request ids 2^32 apart share their low 32 bits: one table slot per account (direct-index.ts).
    const ids: [number, number][] = [];
    for (let k = 0; k < 50; k++) for (let account = 1; account <= 4; account++) ids.push([account, 7 + k * 2 ** 32]);
    ids.forEach(([account, request], i) => requests.record(account, request, 7, i + 1, 0, 1));
    ids.forEach(([account, request], i) => assert.equal(requests.orderAt(requests.find(account, request)), i + 1));
    assert.equal(requests.find(1, 7 + 50 * 2 ** 32), -1);
    assert.equal(requests.find(5, 7), -1);
    // Forgotten oldest first: each new id pushes one out.
    for (let i = 1; i <= LIMITS.recentRequests; i++) requests.record(9, i, 7, 0, 0, 1);
    for (const [account, request] of ids) assert.equal(requests.find(account, request), -1);
    assert.equal(requests.size, LIMITS.recentRequests);
  });

  it('a snapshot keeps the remembered ids and their expiry order', () => {
    const h = market();
    for (let i = 1; i <= 3_000; i++) h.run(buy(i, 1, 100 + (i % 5)), 1_000);
    const restored = new Engine(decodeSnapshot(new Float64Array(encodeSnapshot(h.engine.state).slice().buffer)));
    assert.equal(stateHash(restored.state), stateHash(h.engine.state));
    assert.equal(restored.state.requests.size, 3_000);
    restored.execute(buy(2_000), h.timeUs + 1);
    assert.equal(eventsOf(restored.out.slots, 0, restored.out.length)[0].type, 'RequestDuplicate');
  });
});

describe('API keys', () => {
  it('are created for a trading account, numbered from 1, and revoked once', () => {
    const h = market();
    assert.deepEqual(h.run({ type: 'CreateApiKey', account: 1, salt1: 11, salt2: 12 }),
      [{ type: 'ApiKeyCreated', key: 1, account: 1, salt1: 11, salt2: 12 }]);
    assert.deepEqual(h.run({ type: 'CreateApiKey', account: 2, salt1: 21, salt2: 22 }),
      [{ type: 'ApiKeyCreated', key: 2, account: 2, salt1: 21, salt2: 22 }]);
    assert.ok(h.engine.state.apiKeys.active(1));
    assert.deepEqual(h.run({ type: 'RevokeApiKey', key: 1 }), [{ type: 'ApiKeyRevoked', key: 1, account: 1 }]);
    assert.ok(!h.engine.state.apiKeys.active(1));
    assert.ok(h.engine.state.apiKeys.active(2));
    const restored = decodeSnapshot(new Float64Array(encodeSnapshot(h.engine.state).slice().buffer));
    assert.ok(!restored.apiKeys.active(1) && restored.apiKeys.active(2));
    assert.equal(restored.apiKeys.account[2], 2);
  });

  it('bad requests are rejected with a reason and change nothing', () => {
    const h = market();
    h.run({ type: 'CreateApiKey', account: 1, salt1: 1, salt2: 1 });
    h.run({ type: 'RevokeApiKey', key: 1 });
    const cases: [Command, number][] = [
      [{ type: 'CreateApiKey', account: 9, salt1: 1, salt2: 1 }, Reason.UNKNOWN_ACCOUNT],
      [{ type: 'CreateApiKey', account: 0, salt1: 1, salt2: 1 }, Reason.SYSTEM_ACCOUNT],
      [{ type: 'CreateApiKey', account: 1, salt1: -1, salt2: 1 }, Reason.VALUE_OUT_OF_RANGE],
      [{ type: 'CreateApiKey', account: 1, salt1: 2 ** 53, salt2: 1 }, Reason.NOT_SAFE_INTEGER],
      [{ type: 'RevokeApiKey', key: 1 }, Reason.UNKNOWN_API_KEY],
      [{ type: 'RevokeApiKey', key: 2 }, Reason.UNKNOWN_API_KEY],
      [{ type: 'RevokeApiKey', key: 0.5 }, Reason.NOT_SAFE_INTEGER],
    ];
    for (const [command, reason] of cases) {
      const events = h.run(command);
      assert.equal(events.length, 1, JSON.stringify(command));
      assert.equal(events[0].type === 'Rejected' && events[0].reason, reason, JSON.stringify(command));
    }
    assert.equal(h.engine.state.apiKeys.count, 1);
  });
});
