/**
 * --demo-traffic: a market maker quoting both sides of BTC-USD around a price that wanders,
 * and a taker that now and then trades against it, so the book and the tape move. Both use
 * the SDK like any client would.
 */
import { BourseClient, type NodeAddress } from '../client/bourse-client.ts';
import type { DemoKey } from './demo.ts';

const PRODUCT = 1;
const QUOTE_EVERY_MS = 500;
const TAKE_EVERY_MS = 300;

/** Starts both (keys: the maker's, then the taker's); returns what stops them. */
export function startDemoTraffic(nodes: NodeAddress[], keys: readonly DemoKey[]): () => void {
  const maker = new BourseClient({ nodes, apiKey: keys[0].keyId, apiSecret: keys[0].secret });
  const taker = new BourseClient({ nodes, apiKey: keys[1].keyId, apiSecret: keys[1].secret });
  let mid = 5_000_000; // 50,000.00 USD in the price scale
  let busy = false;
  const quote = setInterval(() => {
    if (busy) return;
    busy = true;
    mid = Math.max(100_000, mid + Math.round((Math.random() - 0.5) * 2_000));
    const requote = (): Promise<unknown> => Promise.all([1, 2, 3].flatMap((level) => [
      maker.placeOrder({ product: PRODUCT, side: 'buy', price: mid - level * 500, qty: 100 * level }),
      maker.placeOrder({ product: PRODUCT, side: 'sell', price: mid + level * 500, qty: 100 * level }),
    ]));
    maker.cancelAll(PRODUCT)
      .then(requote)
      .catch((error: Error) => console.error(`demo traffic: maker: ${error.message}`))
      .finally(() => {
        busy = false;
      });
  }, QUOTE_EVERY_MS);
  const take = setInterval(() => {
    taker.placeOrder({ product: PRODUCT, side: Math.random() < 0.5 ? 'buy' : 'sell', orderType: 2, qty: 50 })
      .catch((error: Error) => console.error(`demo traffic: taker: ${error.message}`));
  }, TAKE_EVERY_MS);
  return () => {
    clearInterval(quote);
    clearInterval(take);
    maker.close();
    taker.close();
  };
}
