/**
 * The view against the engine: a real node runs thousands of random commands (orders of every
 * type, cancels, cancel-alls, modifies, deposits, withdrawals, status changes, retried request
 * ids, API keys, garbage) with a view following it. Whenever the node is idle, the view's L2
 * books, balances and open orders equal what the engine's own state says (derived here without
 * the view's code), and at the end its whole state hashes the same. Views started later —
 * at the end, catching up from the archive, or halfway, catching up while commands keep coming
 * and then going live — answer every read exactly as the live one. Each account's
 * fills add up to its trades, and every order ever placed is found by id — open, or ended with
 * the right status. Tickers' rolling volumes cover exactly the trades of their window, by entry
 * time (the node's clock here moves 37 minutes a batch, so a stream spans days).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stateHash } from '../../../src/application/snapshot.ts';
import { View } from '../../../src/gateway/view/view.ts';
import { commandStream } from '../../support/command-stream.ts';
import { eventually } from '../../node/harness.ts';
import { checkAgainstEngine, dump, eventsOf, lateView, orderOwners, runStream, windowVolume } from './support.ts';

const SEEDS = [1, 2, 3];
const NO_REQUESTS = { requests: false };
const COMMANDS = 3_000;

describe('view: agreement with the engine', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: books, balances, open orders; views started later equal the live one`, async () => {
      let checks = 0;
      /** Started halfway: it catches up from the archive while commands keep coming, then goes live. */
      const halfway = new View();
      await runStream(seed, commandStream(seed, COMMANDS), async ({ node, view, results }) => {
        checkAgainstEngine(view, node.state, 'at the end');
        assert.equal(stateHash(view.state, NO_REQUESTS), stateHash(node.state, NO_REQUESTS), 'the view holds the committed state, hash for hash');
        assert.equal(view.state.requests.size, 0, 'but no request ids: the view never decides');
        assert.ok(node.state.requests.size > 0, 'the stream sends request ids');
        assert.ok(checks > 20, 'checked along the way');

        const late = await lateView(node);
        assert.equal(stateHash(late.state), stateHash(view.state));
        const owners = orderOwners(results);
        assert.deepEqual(dump(late, owners), dump(view, owners), 'a view caught up from the archive answers as the live one');
        await eventually(() => halfway.lastIndex === view.lastIndex, 'the view started halfway at the end');
        assert.deepEqual(dump(halfway, owners), dump(view, owners), 'a view that caught up, then went live, answers as the live one');

        // The stream is meaningful: it traded, over more than a day, and some orders rest.
        const trades = [...eventsOf(results)].filter((e) => e.event.type === 'Trade').length;
        assert.ok(trades > 300, `trades happened (${trades})`);
        for (const id of [1, 2]) {
          const window = windowVolume(results, id);
          const { trades: n, volumeLots, quoteVolume } = view.ticker(id)!;
          assert.deepEqual({ trades: n, volumeLots, quoteVolume }, window, `rolling volume of product ${id}`);
          const all = [...eventsOf(results)].filter((e) => e.event.type === 'Trade' && e.event.product === id).length;
          assert.ok(n > 0 && n < all, `the window holds the newer trades only (${n} of ${all})`);
        }
        assert.ok(view.depth(1)!.bids.length + view.depth(1)!.asks.length > 0, 'a book has levels');
      }, { between: ({ node, view }) => {
        checkAgainstEngine(view, node.state, `after entry ${view.lastIndex}`);
        if (checks++ === 25) halfway.follow(node);
      } });
    });
  }

  it('fills add up to each account\'s trades; every order is found by id, open or ended', async () => {
    const view = new View({ limits: { fillsPerAccount: 1_000_000 } });
    await runStream(4, commandStream(4, COMMANDS), ({ node, results }) => {
      const fills = new Map<number, { lots: number; fees: number; count: number; quote: number }>();
      const filled = new Map<number, number>();
      const ended = new Map<number, { status: string; reason: number }>();
      for (const { event: e } of eventsOf(results)) {
        if (e.type === 'Trade') {
          for (const [account, fee, order] of [[e.makerAccount, e.makerFee, e.makerOrder], [e.takerAccount, e.takerFee, e.takerOrder]]) {
            const f = fills.get(account) ?? { lots: 0, fees: 0, count: 0, quote: 0 };
            f.lots += e.qtyLots;
            f.fees += fee;
            f.count++;
            f.quote += e.quoteAmount;
            fills.set(account, f);
            filled.set(order, (filled.get(order) ?? 0) + e.qtyLots);
          }
        }
        if (e.type === 'OrderCancelled') ended.set(e.order, { status: 'cancelled', reason: e.reason });
      }
      assert.ok(fills.size >= 5, 'most accounts traded');
      for (let account = 0; account < node.state.accounts.count; account++) {
        const got = view.fills(account);
        const sum = { lots: 0, fees: 0, count: got.length, quote: 0 };
        for (const f of got) {
          sum.lots += f.qtyLots;
          sum.fees += f.fee;
          const product = view.product(f.product)!;
          sum.quote += f.priceTicks * f.qtyLots * (node.state.product(product.id)!.quotePerTickLot);
          assert.equal(f.feeAsset, product.quote.id, 'fees are in the quote asset');
        }
        assert.deepEqual(sum, fills.get(account) ?? { lots: 0, fees: 0, count: 0, quote: 0 }, `fills of account ${account}`);
        for (let i = 1; i < got.length; i++) assert.ok(got[i - 1].trade >= got[i].trade, 'fills newest first');
      }

      const owners = orderOwners(results);
      let open = 0;
      for (const [order, account] of owners) {
        const v = view.order(account, order);
        assert.ok(v !== undefined, `order ${order} is found`);
        assert.equal(view.order(account + 1, order), undefined, 'not by another account');
        assert.equal(v.filledLots, filled.get(order) ?? 0, `filled lots of order ${order}`);
        if (node.state.orders.slotOf(order) !== -1) {
          open++;
          assert.equal(v.status, v.filledLots > 0 ? 'partially_filled' : 'new');
          if (v.clientOrderId !== 0) assert.deepEqual(view.orderByClientId(account, v.clientOrderId), v, 'by client order id');
          continue;
        }
        const end = ended.get(order) ?? { status: 'filled', reason: 0 };
        assert.equal(v.status, end.status, `status of order ${order}`);
        assert.equal(v.reason, end.reason, `reason of order ${order}`);
        assert.equal(v.leavesLots, 0);
        assert.ok(v.finishedUs >= v.acceptedUs);
        if (v.status === 'filled') assert.equal(v.qtyLots, v.filledLots);
      }
      assert.ok(open > 10 && open < owners.size, `some orders open (${open}), most ended`);
    }, { view });
  });
});
