/**
 * Properties over random command streams (fast-check): 10,000 commands per run, several runs
 * with fresh seeds (a failure prints its seed and replays with it). After every command: the
 * invariants (conservation, no negative balance, uncrossed books, held == needs of open
 * orders); each asset's balances sum to deposits − withdrawals as the events report them.
 * Along the way: decide never mutates, a reject changes nothing. At the end: replaying the
 * events rebuilds the same state hash, and a snapshot round trip keeps it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import type { Command } from '../../src/application/commands.ts';
import { decide } from '../../src/application/decide.ts';
import { Engine } from '../../src/application/engine.ts';
import { EventBuffer } from '../../src/application/events.ts';
import { checkInvariants } from '../../src/application/invariants.ts';
import { Matcher } from '../../src/application/matching/matcher.ts';
import { NIL } from '../../src/application/matching/orders.ts';
import { OrderType, Side, TimeInForce } from '../../src/application/matching/order-types.ts';
import { ProductStatus } from '../../src/application/products/status.ts';
import { State } from '../../src/application/state.ts';
import { decodeSnapshot, encodeSnapshot, stateHash } from '../../src/application/snapshot.ts';
import { eventsOf } from '../../src/codec/events.ts';

const ACCOUNTS = 6;
const COMMANDS_PER_RUN = 10_000;

/** Two products with different scales, fees (one with a rebate) and protection. */
const SETUP: Command[] = [
  { type: 'CreateAsset', code: 'BTC', scale: 8 },
  { type: 'CreateAsset', code: 'USD', scale: 6 },
  { type: 'CreateAsset', code: 'ETH', scale: 8 },
  {
    type: 'CreateProduct', symbol: 'BTC-USD', base: 1, quote: 2, priceScale: 2, qtyScale: 4, tickSize: 1, lotSize: 1,
    minQty: 1, maxQty: 5_000, minNotional: 0, makerBps: -5, takerBps: 20, protectionTicks: 6, status: ProductStatus.Trading,
  },
  {
    type: 'CreateProduct', symbol: 'ETH-USD', base: 3, quote: 2, priceScale: 2, qtyScale: 3, tickSize: 5, lotSize: 10,
    minQty: 10, maxQty: 50_000, minNotional: 200_000, makerBps: 13, takerBps: 37, protectionTicks: 3, status: ProductStatus.Trading,
  },
];

/** A command recipe: order references are indexes into the orders placed so far. */
type Recipe =
  | { kind: 'place'; account: number; product: number; side: number; orderType: number; tif: number; postOnly: number;
      stp: number; priceStep: number; qty: number; budget: number; stopStep: number; clientId: number }
  | { kind: 'cancel'; pick: number; byClient: boolean }
  | { kind: 'cancelAll'; account: number; product: number }
  | { kind: 'modify'; pick: number; priceStep: number; qtyDelta: number }
  | { kind: 'transfer'; deposit: boolean; account: number; asset: number; amount: number; transfer: number }
  | { kind: 'status'; product: number; status: number }
  | { kind: 'garbage'; field: number; value: number };

const account = fc.integer({ min: 1, max: ACCOUNTS });
const product = fc.integer({ min: 1, max: 2 });
const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 55, arbitrary: fc.record({
    kind: fc.constant('place' as const), account, product, side: fc.integer({ min: 0, max: 1 }),
    orderType: fc.constantFrom(...Array<number>(6).fill(OrderType.Limit), OrderType.Market, OrderType.StopLimit, OrderType.StopMarket),
    tif: fc.constantFrom(TimeInForce.GTC, TimeInForce.GTC, TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK),
    postOnly: fc.constantFrom(0, 0, 0, 1), stp: fc.integer({ min: 1, max: 4 }), priceStep: fc.integer({ min: -8, max: 8 }),
    qty: fc.integer({ min: 1, max: 40 }), budget: fc.constantFrom(0, 0, 0, 0, 1), stopStep: fc.integer({ min: -1, max: 6 }),
    clientId: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }) }),
  }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat({ max: 1 << 30 }), byClient: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelAll' as const), account, product: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 16, arbitrary: fc.record({ kind: fc.constant('modify' as const), pick: fc.nat({ max: 1 << 30 }), priceStep: fc.integer({ min: -5, max: 5 }),
    qtyDelta: fc.integer({ min: -10, max: 10 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('transfer' as const), deposit: fc.boolean(), account: fc.integer({ min: 0, max: ACCOUNTS }),
    asset: fc.integer({ min: 1, max: 3 }), amount: fc.integer({ min: 1, max: 5_000_000_000 }), transfer: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('status' as const), product,
    status: fc.constantFrom(...Array<number>(8).fill(ProductStatus.Trading), ProductStatus.Halted, ProductStatus.Closed) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), field: fc.integer({ min: 0, max: 5 }),
    value: fc.constantFrom(2 ** 53, -(2 ** 53), Number.NaN, Number.POSITIVE_INFINITY, 0.5, -1, Number.MAX_SAFE_INTEGER) }) },
);

interface Placed {
  order: number;
  account: number;
  clientId: number;
  product: number;
}

/** Turns recipes into commands against the live engine (order ids exist only once placed). */
class Driver {
  readonly engine = new Engine();
  readonly log: { slots: Float64Array; time: number }[] = [];
  /** Net transfers per asset, from the Deposited / Withdrawn events. */
  readonly net = [0, 0, 0, 0];
  private readonly placed: Placed[] = [];
  private time = 1;

  run(command: Command): void {
    const out = this.engine.out;
    const start = this.engine.execute(command, this.time++);
    const slots = out.slots.slice(start, out.length);
    this.log.push({ slots, time: this.time - 1 });
    for (const e of eventsOf(slots, 0, slots.length)) {
      if (e.type === 'Deposited') this.net[e.asset] += e.amount;
      if (e.type === 'Withdrawn') this.net[e.asset] -= e.amount;
      if (e.type === 'OrderAccepted') {
        const clientId = (command as { clientOrderId?: number }).clientOrderId ?? 0;
        this.placed.push({ order: e.order, account: e.account, clientId, product: e.product });
      }
    }
    out.reset();
  }

  /** Mostly one of the open orders (read from the accounts' order lists), sometimes any order ever placed. */
  private pick(n: number): Placed | undefined {
    const mixed = Math.imul(n, 0x9e3779b1) >>> 0;
    const { accounts, orders } = this.engine.state;
    const open: Placed[] = [];
    for (let a = 1; a < accounts.count; a++) {
      for (let slot = accounts.head[a]; slot !== NIL; slot = orders.accNext[slot]) {
        open.push({ order: orders.id[slot], account: a, clientId: orders.clientId[slot], product: orders.product[slot] });
      }
    }
    if (open.length > 0 && mixed % 16 !== 0) return open[mixed % open.length];
    return this.placed.length > 0 ? this.placed[mixed % this.placed.length] : undefined;
  }

  /** Ticks near the product's current market, so books cross and stops fire often. */
  private reference(productId: number): number {
    const p = this.engine.state.product(productId);
    if (p === undefined) return 100;
    return p.lastPriceTicks || p.bids.bestPrice() || p.asks.bestPrice() || 100;
  }

  command(r: Recipe): Command {
    const state = this.engine.state;
    switch (r.kind) {
      case 'place': {
        const p = state.product(r.product);
        const tick = p?.tickSize ?? 1;
        const lot = p?.lotSize ?? 1;
        const price = Math.max(1, this.reference(r.product) + r.priceStep) * tick;
        const stop = Math.max(1, this.reference(r.product) + (r.side === Side.Buy ? r.stopStep : -r.stopStep)) * tick;
        const market = r.orderType === OrderType.Market;
        const stopMarket = r.orderType === OrderType.StopMarket;
        const budget = market && r.side === Side.Buy && r.budget === 1 ? r.qty * 2_000_000 : 0;
        const tif = market || stopMarket ? (budget === 0 && market && r.tif === TimeInForce.FOK ? r.tif : TimeInForce.IOC) : r.tif;
        return {
          type: 'PlaceOrder', account: r.account, product: r.product, clientOrderId: r.clientId, side: r.side,
          orderType: r.orderType, tif, postOnly: r.orderType === OrderType.Limit && tif === TimeInForce.GTC ? r.postOnly : 0, stp: r.stp, price: market || stopMarket ? 0 : price, qty: budget > 0 ? 0 : r.qty * lot,
          quoteBudget: budget, stopPrice: r.orderType === OrderType.StopLimit || stopMarket ? stop : 0,
        };
      }
      case 'cancel': {
        const o = this.pick(r.pick);
        if (o === undefined) return { type: 'CancelOrder', account: 1, order: 1, clientOrderId: 0 };
        return r.byClient && o.clientId !== 0
          ? { type: 'CancelOrder', account: o.account, order: 0, clientOrderId: o.clientId }
          : { type: 'CancelOrder', account: o.account, order: o.order, clientOrderId: 0 };
      }
      case 'cancelAll': return { type: 'CancelAll', account: r.account, product: r.product };
      case 'modify': {
        const o = this.pick(r.pick);
        if (o === undefined) return { type: 'ModifyOrder', account: 1, order: 1, clientOrderId: 0, price: 100, qty: 1 };
        const p = state.product(o.product);
        const slot = state.orders.slotOf(o.order);
        const tick = p?.tickSize ?? 1;
        const lot = p?.lotSize ?? 1;
        const priceTicks = slot >= 0 ? state.orders.price[slot] : this.reference(o.product);
        const total = slot >= 0 ? state.orders.leaves[slot] + state.orders.filled[slot] : 10;
        return {
          type: 'ModifyOrder', account: o.account, order: o.order, clientOrderId: 0,
          price: Math.max(1, priceTicks + r.priceStep) * tick, qty: Math.max(1, total + r.qtyDelta) * lot,
        };
      }
      case 'transfer':
        return { type: r.deposit ? 'Deposit' : 'Withdraw', transfer: r.transfer, account: r.account, asset: r.asset, amount: r.amount };
      case 'status': {
        const p = state.product(r.product);
        if (p === undefined) return { type: 'CancelAll', account: 1, product: 0 };
        return { type: 'UpdateProduct', product: p.id, minQty: p.minQty, maxQty: p.maxQty, minNotional: p.minNotional,
          makerBps: p.makerBps, takerBps: p.takerBps, protectionTicks: p.protectionTicks, status: r.status };
      }
      case 'garbage': {
        const fields = ['account', 'product', 'price', 'qty', 'clientOrderId', 'stopPrice'] as const;
        return {
          type: 'PlaceOrder', account: 1, product: 1, clientOrderId: 0, side: Side.Buy, orderType: OrderType.Limit,
          tif: TimeInForce.GTC, postOnly: 0, stp: 1, price: 100, qty: 1, quoteBudget: 0, stopPrice: 0, [fields[r.field]]: r.value,
        };
      }
    }
  }
}

function funded(driver: Driver): void {
  for (const c of SETUP) driver.run(c);
  for (let a = 1; a <= ACCOUNTS; a++) {
    driver.run({ type: 'CreateAccount' });
    driver.run({ type: 'Deposit', transfer: 10_000 + a * 3, account: a, asset: 1, amount: 20_000_000 });
    driver.run({ type: 'Deposit', transfer: 10_001 + a * 3, account: a, asset: 2, amount: 50_000_000_000 });
    driver.run({ type: 'Deposit', transfer: 10_002 + a * 3, account: a, asset: 3, amount: 2_000_000_000 });
  }
}

/** The state hash as if the clock still read `timestampUs`. */
function hashAt(state: State, timestampUs: number): string {
  const now = state.timestampUs;
  state.timestampUs = timestampUs;
  const hash = stateHash(state);
  state.timestampUs = now;
  return hash;
}

function checkConservation(driver: Driver): void {
  const { accounts } = driver.engine.state;
  for (let asset = 1; asset <= 3; asset++) {
    let sum = 0;
    for (let a = 0; a < accounts.count; a++) sum += accounts.available[a * accounts.stride + asset] + accounts.held[a * accounts.stride + asset];
    assert.equal(sum, driver.net[asset], `asset ${asset}: balances ${sum} != deposits - withdrawals ${driver.net[asset]}`);
  }
}

it(`random streams of ${COMMANDS_PER_RUN} commands keep every invariant`, () => {
  const stats = { commands: 0, trades: 0, rejects: 0, triggered: 0, reasons: {} as Record<number, number> };
  // The property draws a seed; the stream is sampled from it, so a failure reports one number.
  const details = fc.check(
    fc.property(fc.integer(), (seed) => {
      const recipes = fc.sample(recipe, { seed, numRuns: COMMANDS_PER_RUN });
      const driver = new Driver();
      funded(driver);
      recipes.forEach((r, i) => {
        const command = driver.command(r);
        const sample = i % 97 === 0;
        const before = sample ? stateHash(driver.engine.state) : '';
        const beforeTime = driver.engine.state.timestampUs;
        if (sample) {
          // decide alone must not change the state.
          const scratch = new EventBuffer();
          decide(driver.engine.state, command, scratch, new Matcher(driver.engine.state, scratch));
          assert.equal(stateHash(driver.engine.state), before, `decide mutated the state on ${JSON.stringify(command)}`);
        }
        driver.run(command);
        const last = driver.log[driver.log.length - 1].slots;
        const events = eventsOf(last, 0, last.length);
        stats.commands++;
        stats.trades += events.filter((e) => e.type === 'Trade').length;
        stats.triggered += events.filter((e) => e.type === 'StopTriggered').length;
        const rejected = events.find((e) => e.type === 'Rejected');
        if (rejected !== undefined) {
          stats.rejects++;
          stats.reasons[rejected.reason] = (stats.reasons[rejected.reason] ?? 0) + 1;
          assert.equal(events.length, 1, 'a rejected command yields exactly one event');
          // A reject changes nothing but the engine's clock (the time of the last command).
          if (sample) assert.equal(hashAt(driver.engine.state, beforeTime), before, 'a reject changed the state');
        }
        const problems = checkInvariants(driver.engine.state);
        assert.deepEqual(problems, [], `after command ${i} ${JSON.stringify(command)}`);
        checkConservation(driver);
      });
      const replay = new Engine(new State());
      for (const entry of driver.log) replay.apply(entry.slots, 0, entry.slots.length, entry.time);
      const hash = stateHash(driver.engine.state);
      assert.equal(stateHash(replay.state), hash, 'replaying the events gives another state');
      const bytes = encodeSnapshot(driver.engine.state);
      const restored = decodeSnapshot(new Float64Array(bytes.slice().buffer));
      assert.equal(stateHash(restored), hash, 'a snapshot round trip changes the state hash');
      assert.deepEqual(checkInvariants(restored), []);
    }),
    { numRuns: 5, endOnFailure: true },
  );
  if (details.failed) {
    const cause = details.errorInstance as Error;
    cause.message = `stream seed ${String(details.counterexample?.[0])} (fast-check seed ${details.seed}): ${cause.message}`;
    throw cause;
  }
  if (process.env.BOURSE_TEST_STATS === "1") console.log(stats);
  // The streams must exercise matching, rejects and stops, or the properties prove little.
  assert.ok(stats.trades > stats.commands / 10, `too few trades: ${JSON.stringify(stats)}`);
  assert.ok(stats.rejects < stats.commands / 2, `too many rejects: ${JSON.stringify(stats)}`);
  assert.ok(stats.rejects > 0 && stats.triggered > 0, JSON.stringify(stats));
});
