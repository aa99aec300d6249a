/**
 * Public streams: a client that takes a depth snapshot at seq S and applies every L2 update
 * after it holds exactly the later snapshots — checked after every window of commands, for
 * clients that joined at many points (one from the very start, on an empty book), with no gap
 * in the seqs. The trade stream brings every committed trade once, in order, and the recent
 * trades read back the newest of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublicTrade } from '../../../src/gateway/view/updates.ts';
import { View } from '../../../src/gateway/view/view.ts';
import { commandStream } from '../../support/command-stream.ts';
import { L2Replica, eventsOf, runStream } from './support.ts';

const PRODUCTS = [1, 2];

describe('view: L2 and trade streams', () => {
  for (const seed of [5, 6]) {
    it(`seed ${seed}: snapshot at seq S + the updates after it = every later snapshot`, async () => {
      const view = new View();
      const replicas: { product: number; replica: L2Replica; joinedAt: number }[] = [];
      const join = (product: number): void => {
        // A depth snapshot and a listener taken together, between two entries: nothing falls between them.
        const replica = new L2Replica(view.depth(product)!);
        view.onBook(product, (u) => {
          assert.equal(u.product, product);
          replica.apply(u);
        });
        replicas.push({ product, replica, joinedAt: view.lastIndex });
      };
      const trades = new Map<number, PublicTrade[]>(PRODUCTS.map((p) => [p, []]));
      // Before the products exist: listeners are keyed by id.
      for (const product of PRODUCTS) view.onTrades(product, (t) => trades.get(product)!.push(t));
      let windows = 0;
      let compared = 0;
      await runStream(seed, commandStream(seed, 3_000), ({ results }) => {
        for (const { product, replica, joinedAt } of replicas) {
          assert.deepEqual(replica.snapshot(product), view.depth(product), `product ${product}, joined after entry ${joinedAt}`);
        }
        assert.ok(replicas.slice(0, PRODUCTS.length).every((r) => r.replica.seq > 400), 'the first clients saw many changes');

        const committed = [...eventsOf(results)].flatMap(({ index, timestampUs, event: e }) => e.type !== 'Trade' ? [] : [{
          entryIndex: index, timestampUs, product: e.product, trade: e.trade, priceTicks: e.priceTicks, qtyLots: e.qtyLots, takerSide: e.takerSide,
        }]);
        for (const product of PRODUCTS) {
          const all = committed.filter((t) => t.product === product);
          assert.ok(all.length > 100, `product ${product} traded`);
          assert.deepEqual(trades.get(product), all, `the trade stream of product ${product}: each trade once, in order`);
          assert.deepEqual(view.trades(product), all.slice(-1_000).reverse(), 'recent trades: the newest, newest first');
          assert.deepEqual(view.trades(product, 3), all.slice(-3).reverse());
        }
      }, {
        view,
        between: () => {
          if (windows++ === 0) {
            for (const product of PRODUCTS) join(product);
          } else if (windows % 7 === 0) {
            join(1 + (windows % 2));
          }
          for (const { product, replica } of replicas) {
            assert.deepEqual(replica.snapshot(product), view.depth(product), `product ${product} after entry ${view.lastIndex}`);
            compared++;
          }
        },
      });
      assert.ok(replicas.length > 8 && compared > 200, `many clients (${replicas.length}), many comparisons (${compared})`);
    });
  }

  it('a depth snapshot returns at most the levels asked for, best first', async () => {
    await runStream(7, commandStream(7, 1_500), ({ view }) => {
      for (const product of PRODUCTS) {
        const full = view.depth(product)!;
        const top = view.depth(product, 1)!;
        assert.deepEqual(top, { ...full, bids: full.bids.slice(0, 1), asks: full.asks.slice(0, 1) });
        assert.deepEqual(view.depth(product, 0), { ...full, bids: [], asks: [] });
        for (let i = 1; i < full.bids.length; i++) assert.ok(full.bids[i - 1][0] > full.bids[i][0], 'bids highest first');
        for (let i = 1; i < full.asks.length; i++) assert.ok(full.asks[i - 1][0] < full.asks[i][0], 'asks lowest first');
      }
      assert.equal(view.depth(99), undefined, 'no depth of an unknown product');
      assert.equal(view.ticker(99), undefined);
      assert.deepEqual(view.trades(99), []);
    });
  });
});
