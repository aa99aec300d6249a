/**
 * Helpers of the view tests (not a test file itself): a node that runs a random command stream
 * with a view following it; reads of the engine's own state derived without the view's code
 * (walking the books' order queues and the accounts' order lists); a client-side L2 book kept
 * from a snapshot and incremental updates; a dump of everything a view answers.
 */
import assert from 'node:assert/strict';
import type { Command } from '../../../src/application/commands.ts';
import type { Event } from '../../../src/application/events.ts';
import type { BookSide } from '../../../src/application/matching/book-side.ts';
import { NIL } from '../../../src/application/matching/orders.ts';
import type { State } from '../../../src/application/state.ts';
import { Node, type CommandResult, type NodeOptions } from '../../../src/node/node.ts';
import { VOLUME_WINDOW_HOURS } from '../../../src/gateway/view/limits.ts';
import type { DepthSnapshot, Level } from '../../../src/gateway/view/reads.ts';
import type { L2Update } from '../../../src/gateway/view/updates.ts';
import { View } from '../../../src/gateway/view/view.ts';
import { eventually, prng, withTempDir } from '../../node/harness.ts';

export const HOUR_US = 3_600_000_000;

/** Commands in flight at once, at most: a window of random size is submitted, then awaited. */
const MAX_WINDOW = 60;

/** A command time source that moves 37 minutes per call (per batch) from a fixed start: a stream spans days. */
export function steppingClock(): () => number {
  let now = 1_700_000_000_000_000;
  return () => (now += 37 * 60_000_000);
}

export interface Run {
  node: Node;
  /** Follows the node from index 1, subscribed before the first command. */
  view: View;
  results: CommandResult[];
}

/**
 * Opens a node in a temporary directory with a view following it, submits `commands` in
 * windows of random size (`between` runs after each, with the results so far, once the view
 * has every committed entry), then runs `check` with the node idle; closes the node whatever
 * happens.
 */
export async function runStream(
  seed: number, commands: readonly Command[], check: (run: Run) => Promise<void> | void,
  options: { view?: View; between?: (run: Run) => void; node?: Partial<NodeOptions> } = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    const node = await Node.open({ dataDir: dir, fsync: 'never', clock: steppingClock(), batchLimit: 32, ...options.node });
    try {
      const view = options.view ?? new View();
      await view.follow(node).caughtUp;
      const run: Run = { node, view, results: [] };
      const random = prng(seed);
      for (let i = 0; i < commands.length;) {
        const window = commands.slice(i, i + 1 + Math.floor(random() * MAX_WINDOW));
        run.results.push(...await Promise.all(window.map((c) => node.submit(c))));
        i += window.length;
        assert.equal(view.lastIndex, node.status().commitIndex, 'the view has every committed entry once the submits are answered');
        options.between?.(run);
      }
      await check(run);
    } finally {
      await node.close();
    }
  });
}

/** A second view, started now, catching up from the archive to the node's commit index. */
export async function lateView(node: Node): Promise<View> {
  const view = new View();
  const sub = view.follow(node);
  await sub.caughtUp;
  await eventually(() => view.lastIndex === node.status().commitIndex, 'the late view at the commit index');
  sub.close();
  return view;
}

/** The events of every committed command, with their entry's index and time. */
export function* eventsOf(results: readonly CommandResult[]): Generator<{ index: number; timestampUs: number; event: Event }> {
  for (const r of results) for (const event of r.events) yield { index: r.index, timestampUs: r.timestampUs, event };
}

// ---- The engine's state, read without the view ----

/** A side's levels best first, each summed over its order queue; empty levels left out. */
export function engineLevels(state: State, side: BookSide): Level[] {
  const { levels, orders } = state;
  const out: Level[] = [];
  for (let i = side.n - 1; i >= 0; i--) {
    let lots = 0;
    let count = 0;
    for (let slot = levels.head[side.ids[i]]; slot !== NIL; slot = orders.next[slot]) {
      lots += orders.leaves[slot];
      count++;
    }
    if (count > 0) out.push([levels.price[side.ids[i]], lots, count]);
  }
  return out;
}

export function engineBalances(state: State, account: number): { asset: number; available: number; held: number }[] {
  const { accounts, assets } = state;
  return assets.list.map((a) => ({
    asset: a.id, available: accounts.available[account * accounts.stride + a.id], held: accounts.held[account * accounts.stride + a.id],
  }));
}

export interface OpenOrderFields {
  order: number;
  clientOrderId: number;
  product: number;
  side: number;
  type: number;
  priceTicks: number;
  stopTicks: number;
  qtyLots: number;
  filledLots: number;
  leavesLots: number;
}

export function engineOpenOrders(state: State, account: number): OpenOrderFields[] {
  const { accounts, orders } = state;
  const out: OpenOrderFields[] = [];
  for (let slot = accounts.head[account]; slot !== NIL; slot = orders.accNext[slot]) {
    out.push({
      order: orders.id[slot], clientOrderId: orders.clientId[slot], product: orders.product[slot], side: orders.side[slot],
      type: orders.type[slot], priceTicks: orders.price[slot], stopTicks: orders.stop[slot],
      qtyLots: orders.leaves[slot] + orders.filled[slot], filledLots: orders.filled[slot], leavesLots: orders.leaves[slot],
    });
  }
  return out;
}

export function openOrderFields(o: OpenOrderFields): OpenOrderFields {
  const { order, clientOrderId, product, side, type, priceTicks, stopTicks, qtyLots, filledLots, leavesLots } = o;
  return { order, clientOrderId, product, side, type, priceTicks, stopTicks, qtyLots, filledLots, leavesLots };
}

/** Checks the view's books, balances and open orders against the engine's state. */
export function checkAgainstEngine(view: View, state: State, what: string): void {
  for (let id = 1; id < state.products.length; id++) {
    const product = state.products[id];
    assert.ok(product !== undefined);
    const depth = view.depth(id);
    assert.ok(depth !== undefined);
    assert.deepEqual(depth.bids, engineLevels(state, product.bids), `${what}: bids of product ${id}`);
    assert.deepEqual(depth.asks, engineLevels(state, product.asks), `${what}: asks of product ${id}`);
    const ticker = view.ticker(id);
    assert.equal(ticker?.product, id);
    assert.equal(ticker?.lastPriceTicks, product.lastPriceTicks, `${what}: last price of product ${id}`);
    assert.equal(ticker?.bidTicks, depth.bids[0]?.[0] ?? 0);
    assert.equal(ticker?.bidLots, depth.bids[0]?.[1] ?? 0);
    assert.equal(ticker?.askTicks, depth.asks[0]?.[0] ?? 0);
    assert.equal(ticker?.askLots, depth.asks[0]?.[1] ?? 0);
  }
  for (let account = 0; account < state.accounts.count; account++) {
    assert.deepEqual(view.balances(account), engineBalances(state, account), `${what}: balances of account ${account}`);
    assert.deepEqual(view.openOrders(account).map(openOrderFields), engineOpenOrders(state, account), `${what}: open orders of account ${account}`);
  }
  assert.equal(view.balances(state.accounts.count), undefined, 'no balances of an account that does not exist');
}

// ---- A client's L2 book ----

/** What a client keeps: a depth snapshot, then every L2 update after it, checked for gaps. */
export class L2Replica {
  private readonly sides = [new Map<number, [number, number]>(), new Map<number, [number, number]>()];
  seq: number;

  constructor(snapshot: DepthSnapshot) {
    this.seq = snapshot.seq;
    for (const [price, lots, orders] of snapshot.bids) this.sides[0].set(price, [lots, orders]);
    for (const [price, lots, orders] of snapshot.asks) this.sides[1].set(price, [lots, orders]);
  }

  apply(u: L2Update): void {
    assert.equal(u.seq, this.seq + 1, 'L2 updates come one seq after the other');
    assert.equal(u.qtyLots === 0, u.orders === 0, 'a level has lots exactly when it has orders');
    this.seq = u.seq;
    if (u.qtyLots === 0) this.sides[u.side].delete(u.priceTicks);
    else this.sides[u.side].set(u.priceTicks, [u.qtyLots, u.orders]);
  }

  /** As a full depth snapshot lists it: bids highest first, asks lowest first. */
  snapshot(product: number): DepthSnapshot {
    const levels = (side: number, sign: number): Level[] => [...this.sides[side]]
      .map(([price, [lots, orders]]): Level => [price, lots, orders]).sort((a, b) => sign * (b[0] - a[0]));
    return { product, seq: this.seq, bids: levels(0, 1), asks: levels(1, -1) };
  }
}

// ---- Everything a view answers ----

/** Every read of a view, for comparing two views: `orders` maps each order id ever accepted to its account. */
export function dump(view: View, orders: ReadonlyMap<number, number>): unknown {
  const state = view.state;
  const products = view.products().map((p) => ({
    info: p, depth: view.depth(p.id), ticker: view.ticker(p.id), trades: view.trades(p.id),
  }));
  const accounts = [];
  for (let a = 0; a < state.accounts.count; a++) {
    accounts.push({ balances: view.balances(a), open: view.openOrders(a), fills: view.fills(a) });
  }
  const lookups = [...orders].map(([order, account]) => view.order(account, order));
  return { lastIndex: view.lastIndex, timestampUs: view.timestampUs, assets: view.assets(), products, accounts, lookups, sizes: view.sizes };
}

/**
 * A product's trades, lots and quote volume in the hour of the last entry and the
 * VOLUME_WINDOW_HOURS - 1 before it, summed from the committed Trade events.
 */
export function windowVolume(results: readonly CommandResult[], product: number): { trades: number; volumeLots: number; quoteVolume: number } {
  const lastHour = Math.floor((results.at(-1)?.timestampUs ?? 0) / HOUR_US);
  const sum = { trades: 0, volumeLots: 0, quoteVolume: 0 };
  for (const { timestampUs, event: e } of eventsOf(results)) {
    if (e.type !== 'Trade' || e.product !== product || Math.floor(timestampUs / HOUR_US) <= lastHour - VOLUME_WINDOW_HOURS) continue;
    sum.trades++;
    sum.volumeLots += e.qtyLots;
    sum.quoteVolume += e.quoteAmount;
  }
  return sum;
}

/** Order id -> account of every OrderAccepted committed. */
export function orderOwners(results: readonly CommandResult[]): Map<number, number> {
  const owners = new Map<number, number>();
  for (const { event } of eventsOf(results)) if (event.type === 'OrderAccepted') owners.set(event.order, event.account);
  return owners;
}
