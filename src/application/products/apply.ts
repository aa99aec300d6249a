/** Applying the events of the Product Manager. */
import { assert, fail } from '../assert.ts';
import { F } from '../events.ts';
import { unpackString } from '../layout.ts';
import type { State } from '../state.ts';
import { Product, type ProductSpec, type ProductTerms } from './product.ts';
import { checkProduct } from './validate.ts';

/** The terms of a ProductUpdated event at `p`, or of a ProductCreated (its offsets `f`). */
export function readTerms(s: Float64Array, p: number, f: Record<keyof ProductTerms, number> = F.ProductUpdated): ProductTerms {
  return {
    minQty: s[p + f.minQty],
    maxQty: s[p + f.maxQty],
    minNotional: s[p + f.minNotional],
    makerBps: s[p + f.makerBps],
    takerBps: s[p + f.takerBps],
    protectionTicks: s[p + f.protectionTicks],
    status: s[p + f.status],
  };
}

export function applyProductCreated(state: State, s: Float64Array, p: number): void {
  const f = F.ProductCreated;
  const id = s[p + f.product];
  const symbol = unpackString(s, p + f.symbol);
  assert(id === state.products.length && symbol !== undefined, 'ProductCreated out of sequence');
  const spec: ProductSpec = {
    symbol,
    base: s[p + f.base],
    quote: s[p + f.quote],
    priceScale: s[p + f.priceScale],
    qtyScale: s[p + f.qtyScale],
    tickSize: s[p + f.tickSize],
    lotSize: s[p + f.lotSize],
    ...readTerms(s, p, f),
  };
  const c = checkProduct(spec, state.assets);
  if (typeof c === 'string') fail(`ProductCreated with an invalid product: ${c}`);
  const product = new Product(id, spec, c.quotePerTickLot, c.basePerLot, state.levels, state.orders);
  state.products.push(product);
  state.productsBySymbol.set(symbol, product);
}

export function applyProductUpdated(state: State, s: Float64Array, p: number): void {
  const product = state.product(s[p + F.ProductUpdated.product]);
  assert(product !== undefined, 'ProductUpdated of an unknown product');
  product.update(readTerms(s, p));
}
