/**
 * Random but meaningful command streams (fast-check): a setup of assets, products and funded
 * accounts, then recipes turned into commands against a live engine — orders near the market
 * so books cross and stops fire, cancels and modifies of open orders, transfers, status
 * changes and some garbage fields. Shared by the application properties and the node tests
 * (not a test file itself).
 */
import fc from 'fast-check';
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import { NIL } from '../../src/application/matching/orders.ts';
import { OrderType, Side, TimeInForce } from '../../src/application/matching/order-types.ts';
import { ProductStatus } from '../../src/application/products/status.ts';
import { eventsOf } from '../../src/codec/events.ts';

/** Client accounts the streams use (1..ACCOUNTS); account 0 is the fee account. */
export const ACCOUNTS = 6;

/** Two products with different scales, fees (one with a rebate) and protection. */
export const SETUP: Command[] = [
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
export type Recipe =
  | { kind: 'place'; account: number; product: number; side: number; orderType: number; tif: number; postOnly: number;
      stp: number; priceStep: number; qty: number; budget: number; stopStep: number; clientId: number }
  | { kind: 'cancel'; pick: number; byClient: boolean }
  | { kind: 'cancelAll'; account: number; product: number }
  | { kind: 'modify'; pick: number; priceStep: number; qtyDelta: number }
  | { kind: 'transfer'; deposit: boolean; account: number; asset: number; amount: number; transfer: number }
  | { kind: 'status'; product: number; status: number }
  | { kind: 'garbage'; field: number; value: number }
  | { kind: 'retry'; pick: number }
  | { kind: 'key'; account: number; revoke: boolean; pick: number };

const account = fc.integer({ min: 1, max: ACCOUNTS });
const product = fc.integer({ min: 1, max: 2 });
export const recipe: fc.Arbitrary<Recipe> = fc.oneof(
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
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat({ max: 1 << 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('key' as const), account: fc.integer({ min: 0, max: ACCOUNTS + 1 }), revoke: fc.boolean(),
    pick: fc.nat({ max: 40 }) }) },
);

/** Recent commands that carried a request id, for retries: at most this many. */
const RETRYABLE = 256;

export interface Placed {
  order: number;
  account: number;
  clientId: number;
  product: number;
}

/** Turns recipes into commands against the live engine (order ids exist only once placed). */
export class Driver {
  readonly engine = new Engine();
  readonly log: { slots: Float64Array; time: number }[] = [];
  /** Net transfers per asset, from the Deposited / Withdrawn events. */
  readonly net = [0, 0, 0, 0];
  private readonly placed: Placed[] = [];
  private time = 1;
  /** Every other account command carries a fresh request id; some are sent again later. */
  private requests = 0;
  private readonly retryable: Command[] = [];

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
    if (r.kind === 'retry') return this.retryable[r.pick % this.retryable.length] ?? { type: 'CreateAccount' };
    const c = this.fresh(r);
    if ('request' in c && this.requests++ % 2 === 0) {
      c.request = this.requests;
      if (this.retryable.length === RETRYABLE) this.retryable.shift();
      this.retryable.push(c);
    }
    return c;
  }

  private fresh(r: Exclude<Recipe, { kind: 'retry' }>): Command {
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
          type: 'PlaceOrder', request: 0, account: r.account, product: r.product, clientOrderId: r.clientId, side: r.side,
          orderType: r.orderType, tif, postOnly: r.orderType === OrderType.Limit && tif === TimeInForce.GTC ? r.postOnly : 0, stp: r.stp, price: market || stopMarket ? 0 : price, qty: budget > 0 ? 0 : r.qty * lot,
          quoteBudget: budget, stopPrice: r.orderType === OrderType.StopLimit || stopMarket ? stop : 0,
        };
      }
      case 'cancel': {
        const o = this.pick(r.pick);
        if (o === undefined) return { type: 'CancelOrder', request: 0, account: 1, order: 1, clientOrderId: 0 };
        return r.byClient && o.clientId !== 0
          ? { type: 'CancelOrder', request: 0, account: o.account, order: 0, clientOrderId: o.clientId }
          : { type: 'CancelOrder', request: 0, account: o.account, order: o.order, clientOrderId: 0 };
      }
      case 'cancelAll': return { type: 'CancelAll', request: 0, account: r.account, product: r.product };
      case 'modify': {
        const o = this.pick(r.pick);
        if (o === undefined) return { type: 'ModifyOrder', request: 0, account: 1, order: 1, clientOrderId: 0, price: 100, qty: 1 };
        const p = state.product(o.product);
        const slot = state.orders.slotOf(o.order);
        const tick = p?.tickSize ?? 1;
        const lot = p?.lotSize ?? 1;
        const priceTicks = slot >= 0 ? state.orders.price[slot] : this.reference(o.product);
        const total = slot >= 0 ? state.orders.leaves[slot] + state.orders.filled[slot] : 10;
        return {
          type: 'ModifyOrder', request: 0, account: o.account, order: o.order, clientOrderId: 0,
          price: Math.max(1, priceTicks + r.priceStep) * tick, qty: Math.max(1, total + r.qtyDelta) * lot,
        };
      }
      case 'transfer':
        return { type: r.deposit ? 'Deposit' : 'Withdraw', transfer: r.transfer, account: r.account, asset: r.asset, amount: r.amount };
      case 'status': {
        const p = state.product(r.product);
        if (p === undefined) return { type: 'CancelAll', request: 0, account: 1, product: 0 };
        return { type: 'UpdateProduct', product: p.id, minQty: p.minQty, maxQty: p.maxQty, minNotional: p.minNotional,
          makerBps: p.makerBps, takerBps: p.takerBps, protectionTicks: p.protectionTicks, status: r.status };
      }
      case 'key':
        return r.revoke ? { type: 'RevokeApiKey', key: r.pick } : { type: 'CreateApiKey', account: r.account, salt1: r.pick, salt2: 7 };
      case 'garbage': {
        const fields = ['account', 'product', 'price', 'qty', 'clientOrderId', 'stopPrice'] as const;
        return {
          type: 'PlaceOrder', request: 0, account: 1, product: 1, clientOrderId: 0, side: Side.Buy, orderType: OrderType.Limit,
          tif: TimeInForce.GTC, postOnly: 0, stp: 1, price: 100, qty: 1, quoteBudget: 0, stopPrice: 0, [fields[r.field]]: r.value,
        };
      }
    }
  }
}

/** The setup, then per account: CreateAccount and a deposit of each asset. */
export function fundingCommands(): Command[] {
  const commands: Command[] = [...SETUP];
  for (let a = 1; a <= ACCOUNTS; a++) {
    commands.push({ type: 'CreateAccount' });
    commands.push({ type: 'Deposit', transfer: 10_000 + a * 3, account: a, asset: 1, amount: 20_000_000 });
    commands.push({ type: 'Deposit', transfer: 10_001 + a * 3, account: a, asset: 2, amount: 50_000_000_000 });
    commands.push({ type: 'Deposit', transfer: 10_002 + a * 3, account: a, asset: 3, amount: 2_000_000_000 });
  }
  return commands;
}

export function funded(driver: Driver): void {
  for (const c of fundingCommands()) driver.run(c);
}

/**
 * A whole stream: the funding commands, then `count` random commands sampled from `seed`,
 * each made against an in-memory engine that ran the ones before it (so its order ids and
 * prices refer to what exists). The decisions do not depend on the time, so the stream stays
 * as meaningful when another engine (a node) runs it with other timestamps.
 */
export function commandStream(seed: number, count: number): Command[] {
  const driver = new Driver();
  const commands = fundingCommands();
  for (const c of commands) driver.run(c);
  for (const r of fc.sample(recipe, { seed, numRuns: count })) {
    const command = driver.command(r);
    driver.run(command);
    commands.push(command);
  }
  return commands;
}
