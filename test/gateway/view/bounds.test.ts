/**
 * Bounds: a view with tiny limits, fed a random stream, never holds more than they allow, and
 * what it keeps is the newest — recent trades, an account's fills among the fill log's, ended
 * orders (older ones are no longer found by id), depth levels. Listeners are bounded too, a
 * throwing listener is removed without disturbing the others, and one added while an entry is
 * delivered hears nothing of that entry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderFlag } from '../../../src/application/matching/order-types.ts';
import { VIEW_LIMITS, type ViewLimits } from '../../../src/gateway/view/limits.ts';
import type { AccountUpdate } from '../../../src/gateway/view/updates.ts';
import { View } from '../../../src/gateway/view/view.ts';
import type { CommandResult } from '../../../src/node/node.ts';
import { commandStream } from '../../support/command-stream.ts';
import { RecordingLogger } from '../../node/harness.ts';
import { eventsOf, runStream } from './support.ts';

const TINY: ViewLimits = { recentTradesPerProduct: 7, fillLog: 50, fillsPerAccount: 5, finishedOrders: 20, depthLevels: 2, listeners: 3 };

/** Every fill as [account, trade, order], and the order ids in the order they ended, from the committed events. */
function history(results: readonly CommandResult[]): { fills: number[][]; ended: number[] } {
  const fills: number[][] = [];
  const ended: number[] = [];
  const leaves = new Map<number, number>();
  const budget = new Set<number>();
  const filled = (order: number, lots: number): void => {
    if (budget.has(order)) return;
    const left = (leaves.get(order) as number) - lots;
    leaves.set(order, left);
    if (left === 0) ended.push(order);
  };
  for (const { event: e } of eventsOf(results)) {
    switch (e.type) {
      case 'OrderAccepted':
        leaves.set(e.order, e.qtyLots);
        if ((e.flags & OrderFlag.Budget) !== 0) budget.add(e.order);
        break;
      case 'Trade':
        fills.push([e.makerAccount, e.trade, e.makerOrder], [e.takerAccount, e.trade, e.takerOrder]);
        filled(e.makerOrder, e.qtyLots);
        filled(e.takerOrder, e.qtyLots);
        break;
      case 'OrderModified': leaves.set(e.order, e.qtyLots); break;
      case 'OrderReduced': leaves.set(e.order, (leaves.get(e.order) as number) - e.qtyLots); break;
      case 'OrderCancelled': ended.push(e.order); break;
      default: break;
    }
  }
  return { fills, ended };
}

describe('view: bounds', () => {
  it('tiny limits hold after every window, and what is kept is the newest', async () => {
    const view = new View({ limits: TINY });
    let checked = 0;
    let evicted = 0;
    await runStream(10, commandStream(10, 2_500), ({ results }) => {
      assert.ok(checked > 20 && evicted > 100, `checked along the way (${checked}), orders evicted (${evicted})`);
      assert.deepEqual(view.sizes, { fillLog: TINY.fillLog, finishedOrders: TINY.finishedOrders, maxRecentTrades: TINY.recentTradesPerProduct });
      assert.equal(view.fills(1, 1_000).length, TINY.fillsPerAccount, 'a read never returns more than the per-account bound');
      assert.ok(results.length > 0);
    }, {
      view,
      between: ({ node, results }) => {
        const sizes = view.sizes;
        assert.ok(sizes.fillLog <= TINY.fillLog && sizes.finishedOrders <= TINY.finishedOrders);
        assert.ok(sizes.maxRecentTrades <= TINY.recentTradesPerProduct);
        const { fills, ended } = history(results);
        const kept = fills.slice(-TINY.fillLog);
        for (let a = 0; a < node.state.accounts.count; a++) {
          const want = kept.filter((f) => f[0] === a).slice(-TINY.fillsPerAccount).reverse().map((f) => f.slice(1));
          assert.deepEqual(view.fills(a).map((f) => [f.trade, f.order]), want, `fills of account ${a}: its newest among the log's`);
        }
        for (const product of [1, 2]) {
          const trades = [...eventsOf(results)].filter((e) => e.event.type === 'Trade' && e.event.product === product)
            .map((e) => (e.event as { trade: number }).trade);
          assert.deepEqual(view.trades(product).map((t) => t.trade), trades.slice(-TINY.recentTradesPerProduct).reverse());
          const depth = view.depth(product, 1_000);
          if (depth === undefined) continue;
          assert.ok(depth.bids.length <= TINY.depthLevels && depth.asks.length <= TINY.depthLevels);
        }
        const owners = new Map<number, number>();
        for (const { event: e } of eventsOf(results)) if (e.type === 'OrderAccepted') owners.set(e.order, e.account);
        const recent = new Set(ended.slice(-TINY.finishedOrders));
        for (const order of ended) {
          const found = view.order(owners.get(order) as number, order);
          if (recent.has(order)) {
            assert.ok(found !== undefined && (found.status === 'filled' || found.status === 'cancelled'), `ended order ${order} is kept`);
          } else {
            assert.equal(found, undefined, `order ${order} ended long ago: no longer kept`);
            evicted++;
          }
        }
        checked++;
      },
    });
  });

  it('limits must be positive integers; defaults are VIEW_LIMITS', () => {
    assert.deepEqual(new View().limits, VIEW_LIMITS);
    assert.throws(() => new View({ limits: { fillLog: 0 } }), /fillLog/);
    assert.throws(() => new View({ limits: { listeners: 1.5 } }), /listeners/);
  });

  it('listeners: bounded per kind; a throwing one is removed; one added during a delivery hears the next entry on', async () => {
    const logger = new RecordingLogger();
    const view = new View({ limits: { listeners: 3 }, logger });
    const heard: AccountUpdate[] = [];
    const late: AccountUpdate[] = [];
    let throws = 0;
    let lateAt = 0;
    view.onAccount(1, () => {
      throws++;
      throw new Error('a broken listener');
    });
    view.onAccount(1, (u) => {
      heard.push(u);
      if (lateAt === 0 && u.kind === 'fill') {
        lateAt = u.entryIndex;
        view.onAccount(1, (v) => late.push(v));
      }
    });
    const extra = view.onAccount(2, () => undefined);
    assert.throws(() => view.onAccount(3, () => undefined), RangeError, 'a fourth account listener');
    extra();
    extra();
    const removeBook = view.onBook(1, () => undefined);
    view.onTrades(1, () => undefined);
    assert.deepEqual(view.listenerCounts, { book: 1, trades: 1, account: 2 });
    removeBook();

    await runStream(11, commandStream(11, 800), () => {
      assert.equal(throws, 1, 'the throwing listener was called once, then removed');
      assert.equal(logger.of('error').length, 1, 'and its failure logged');
      assert.ok(heard.length > 100, 'the other listener of the account heard on');
      assert.ok(lateAt > 0 && late.length > 0);
      assert.ok(late.every((u) => u.entryIndex > lateAt), 'a listener added during an entry\'s delivery hears from the next entry');
      assert.deepEqual(late, heard.filter((u) => u.entryIndex > lateAt));
      assert.deepEqual(view.listenerCounts, { book: 0, trades: 1, account: 2 });
    }, { view });
  });
});
