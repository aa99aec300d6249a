/** Fee arithmetic against exact BigInt arithmetic: rounding, the per-order carry, the buy hold. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buyNeed, carryAfter, feeUp } from '../../src/application/holds/fees.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const BPS = 10_000n;

/** ceil(x / 10,000) exactly. */
function ceilDiv(x: bigint): bigint {
  const q = x / BPS; // truncates toward zero: already the ceiling for x <= 0
  return x > 0n && x % BPS !== 0n ? q + 1n : q;
}

const big = (n: number): bigint => BigInt(n);

/** Notionals over the whole safe range, biased to small values, 2^53 and multiples of 10,000. */
const notional = fc.oneof(
  fc.integer({ min: 0, max: MAX_SAFE }),
  fc.integer({ min: 0, max: 100_000 }),
  fc.integer({ min: MAX_SAFE - 100_000, max: MAX_SAFE }),
  fc.integer({ min: 0, max: Math.floor(MAX_SAFE / 10_000) }).chain((a) =>
    fc.integer({ min: -2, max: 2 }).map((d) => Math.min(MAX_SAFE, Math.max(0, a * 10_000 + d))),
  ),
  fc.constantFrom(0, 1, 9_999, 10_000, 10_001, MAX_SAFE, MAX_SAFE - 1, 2 ** 52, 2 ** 32, 2 ** 31),
);
const bps = fc.oneof(fc.integer({ min: -10_000, max: 10_000 }), fc.constantFrom(-10_000, -9_999, -1, 0, 1, 9_999, 10_000));
const carry = fc.oneof(fc.integer({ min: -9_999, max: 0 }), fc.constantFrom(0, -1, -9_999, -5_000));

function checkFill(c: number, n: number, b: number): { fee: number; next: number } {
  const fee = feeUp(c, n, b);
  const exact = big(c) + big(n) * big(b);
  assert.ok(Number.isSafeInteger(fee), `fee ${fee}`);
  assert.equal(big(fee), ceilDiv(exact), `feeUp(${c}, ${n}, ${b})`);
  assert.ok(!Object.is(fee, -0), `feeUp(${c}, ${n}, ${b}) is -0`);
  const next = carryAfter(c, n, b, fee);
  assert.ok(Number.isSafeInteger(next), `carry ${next}`);
  assert.ok(next > -10_000 && next <= 0, `carryAfter(${c}, ${n}, ${b}, ${fee}) = ${next}`);
  assert.equal(big(next), exact - BPS * big(fee), `carryAfter(${c}, ${n}, ${b}, ${fee})`);
  assert.ok(!Object.is(next, -0), `carryAfter(${c}, ${n}, ${b}, ${fee}) is -0`);
  return { fee, next };
}

describe('feeUp and carryAfter', () => {
  it('feeUp is the exact ceil((carry + notional × bps) / 10,000); carryAfter is the exact remainder in (-10000, 0]', () => {
    fc.assert(
      fc.property(carry, notional, bps, (c, n, b) => {
        checkFill(c, n, b);
      }),
      { numRuns: 50_000 },
    );
  });

  it('edge cases: 0 notional, 0 bps, the full rate at 2^53 − 1, rebates, never -0', () => {
    const cases: [number, number, number][] = [];
    for (const c of [0, -1, -9_999]) {
      for (const n of [0, 1, 9_999, 10_000, 10_001, MAX_SAFE - 1, MAX_SAFE]) {
        for (const b of [-10_000, -9_999, -1, 0, 1, 9_999, 10_000]) cases.push([c, n, b]);
      }
    }
    for (const [c, n, b] of cases) checkFill(c, n, b);
    assert.equal(feeUp(0, MAX_SAFE, 10_000), MAX_SAFE);
    assert.equal(feeUp(0, MAX_SAFE, -10_000), -MAX_SAFE);
    assert.equal(feeUp(0, 1, -1), 0);
    assert.equal(feeUp(0, 1, 1), 1);
    assert.ok(Object.is(feeUp(-9_999, 1, 1), 0));
    assert.ok(Object.is(feeUp(-1, 0, -10_000), 0));
    assert.ok(Object.is(carryAfter(0, 1, -1, feeUp(0, 1, -1)), -1));
  });

  it('split into fills with random rates, the fees with the carry sum to ceil(exact total / 10,000)', () => {
    const fills = fc.integer({ min: -10_000, max: 10_000 }).chain((maxRate) =>
      fc.array(fc.tuple(notional, fc.integer({ min: -10_000, max: maxRate })), { minLength: 1, size: 'max', maxLength: 30 }),
    );
    fc.assert(
      fc.property(fills, (list) => {
        let c = 0;
        let total = 0n;
        let exact = 0n;
        for (const [n, b] of list) {
          const { fee, next } = checkFill(c, n, b);
          total += big(fee);
          exact += big(n) * big(b);
          c = next;
        }
        assert.equal(total, ceilDiv(exact));
        assert.equal(BPS * total + big(c), exact);
      }),
      { numRuns: 5_000 },
    );
  });

  it('an order split into fills at one rate pays ceil(rate × total notional / 10,000), whatever the split', () => {
    const order = fc.record({
      quotePerTickLot: fc.integer({ min: 1, max: 1_000 }),
      rate: fc.integer({ min: -10_000, max: 10_000 }),
      fills: fc.array(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 100_000 })), {
        minLength: 1,
        size: 'max', maxLength: 40,
      }),
    });
    fc.assert(
      fc.property(order, ({ quotePerTickLot, rate, fills }) => {
        let c = 0;
        let total = 0n;
        let notionalSum = 0n;
        for (const [price, lots] of fills) {
          const n = price * lots * quotePerTickLot;
          const { fee, next } = checkFill(c, n, rate);
          total += big(fee);
          notionalSum += big(n);
          c = next;
        }
        assert.equal(total, ceilDiv(notionalSum * big(rate)));
      }),
      { numRuns: 3_000 },
    );
  });
});

/**
 * A buy order the engine accepts: limit price, leaves, quote per tick-lot, rate, carry, with
 * both its notional and its need safe integers (place.ts and modify.ts reject the others).
 * Leaves are biased toward the largest such value, to reach the 2^53 edge.
 */
const buyOrder = fc
  .record({
    limit: fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 1_000_000_000 })),
    q: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 10_000 })),
    rate: bps,
    c: carry,
  })
  .chain((o) => {
    const most = Math.floor(MAX_SAFE / (o.limit * o.q));
    const leaves = fc.oneof(
      fc.integer({ min: 1, max: Math.min(1_000, most) }),
      fc.integer({ min: 1, max: most }),
      fc.integer({ min: Math.max(1, Math.floor(most / 2) - 1_000), max: most }),
    );
    return leaves.map((l) => ({ ...o, leaves: l }));
  })
  .filter(({ limit, leaves, q, rate, c }) => {
    const n = big(limit) * big(leaves) * big(q);
    return n <= BigInt(MAX_SAFE) && n + ceilDiv(big(c) + n * big(rate)) <= BigInt(MAX_SAFE);
  });

describe('buyNeed', () => {
  it('is the notional at the limit plus the most its fees can still cost', () => {
    fc.assert(
      fc.property(buyOrder, ({ limit, leaves, q, rate, c }) => {
        const n = big(limit) * big(leaves) * big(q);
        assert.equal(big(buyNeed(limit, leaves, c, rate, q)), n + ceilDiv(big(c) + n * big(rate)));
      }),
      { numRuns: 5_000 },
    );
  });

  it('a fill never costs more than the drop in the need: fee + cost + need(after) <= need(before)', () => {
    const scenario = buyOrder.chain((order) =>
      fc.record({
        order: fc.constant(order),
        fillLots: fc.oneof(fc.integer({ min: 1, max: order.leaves }), fc.constant(order.leaves)),
        fillPrice: fc.oneof(fc.integer({ min: 1, max: order.limit }), fc.constant(order.limit)),
        fillBps: fc.oneof(fc.integer({ min: -10_000, max: order.rate }), fc.constant(order.rate)),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ order, fillLots, fillPrice, fillBps }) => {
        const { limit, leaves, q, rate, c } = order;
        const before = buyNeed(limit, leaves, c, rate, q);
        const cost = fillPrice * fillLots * q;
        const fee = feeUp(c, cost, fillBps);
        const next = carryAfter(c, cost, fillBps, fee);
        const after = buyNeed(limit, leaves - fillLots, next, rate, q);
        assert.ok(
          big(fee) + big(cost) + big(after) <= big(before),
          `fee ${fee} + cost ${cost} + need after ${after} > need before ${before}`,
        );
      }),
      { numRuns: 20_000 },
    );
  });

  it('over a whole order, fills never cost more than the initial need', () => {
    const scenario = fc
      .record({
        limit: fc.integer({ min: 1, max: 100_000 }),
        leaves: fc.integer({ min: 1, max: 10_000 }),
        q: fc.integer({ min: 1, max: 1_000 }),
        rate: bps,
      })
      .chain((order) =>
        fc.record({
          order: fc.constant(order),
          fills: fc.array(
            fc.tuple(fc.integer({ min: 1, max: order.leaves }), fc.integer({ min: 1, max: order.limit }), fc.integer({ min: -10_000, max: order.rate })),
            { minLength: 1, size: 'max', maxLength: 20 },
          ),
        }),
      );
    fc.assert(
      fc.property(scenario, ({ order, fills }) => {
        const { limit, q, rate } = order;
        let leaves = order.leaves;
        let c = 0;
        let held = big(buyNeed(limit, leaves, c, rate, q));
        for (const [lots, price, b] of fills) {
          const take = Math.min(lots, leaves);
          if (take === 0) break;
          const cost = price * take * q;
          const fee = feeUp(c, cost, b);
          c = carryAfter(c, cost, b, fee);
          leaves -= take;
          held -= big(fee) + big(cost);
          assert.ok(held >= big(buyNeed(limit, leaves, c, rate, q)), 'the hold no longer covers the need');
        }
        assert.ok(held >= 0n);
      }),
      { numRuns: 5_000 },
    );
  });
});
