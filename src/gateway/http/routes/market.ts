/** Public market data, served by any node from its committed view. */
import { z } from 'zod';
import type { GatewayContext } from '../../context.ts';
import { ProductUnits, levelsJson, productJson, tickerJson, tradeJson } from '../../representation.ts';
import type { ProductInfo } from '../../view/reads.ts';
import type { Api } from '../api.ts';
import { ApiError } from '../errors.ts';
import { Level, Product, Symbol, Ticker, Trade, errors } from '../../schemas.ts';

export function productOf(ctx: GatewayContext, symbol: string): ProductInfo {
  const p = ctx.view.productBySymbol(symbol);
  if (p === undefined) throw new ApiError(404, 'UNKNOWN_PRODUCT', `no product ${symbol}`);
  return p;
}

const BySymbol = z.object({ symbol: Symbol });

export function marketRoutes(api: Api, ctx: GatewayContext): void {
  const maxDepth = ctx.view.limits.depthLevels;
  const maxTrades = ctx.view.limits.recentTradesPerProduct;
  api.get('/v1/products', {
    schema: { tags: ['market'], summary: 'Every product', response: { 200: z.array(Product) } },
  }, () => ctx.view.products().map(productJson));

  api.get('/v1/products/:symbol', {
    schema: { tags: ['market'], params: BySymbol, response: { 200: Product, ...errors } },
  }, (request) => productJson(productOf(ctx, request.params.symbol)));

  api.get('/v1/products/:symbol/book', {
    schema: {
      tags: ['market'], summary: 'The order book by price level (L2), best first', params: BySymbol,
      querystring: z.object({ depth: z.coerce.number().int().min(1).max(maxDepth).default(Math.min(50, maxDepth)) }),
      response: { 200: z.object({ symbol: z.string(), seq: z.number(), entryIndex: z.number(), bids: z.array(Level), asks: z.array(Level) }), ...errors },
    },
  }, (request) => {
    const p = productOf(ctx, request.params.symbol);
    const depth = ctx.view.depth(p.id, request.query.depth);
    if (depth === undefined) throw new ApiError(404, 'UNKNOWN_PRODUCT', `no product ${p.symbol}`);
    const u = new ProductUnits(p);
    return { symbol: p.symbol, seq: depth.seq, entryIndex: ctx.view.lastIndex, bids: levelsJson(depth.bids, u), asks: levelsJson(depth.asks, u) };
  });

  api.get('/v1/products/:symbol/trades', {
    schema: {
      tags: ['market'], summary: 'Recent trades, newest first', params: BySymbol,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(maxTrades).default(Math.min(100, maxTrades)) }),
      response: { 200: z.array(Trade), ...errors },
    },
  }, (request) => {
    const p = productOf(ctx, request.params.symbol);
    const u = new ProductUnits(p);
    return ctx.view.trades(p.id, request.query.limit).map((t) => tradeJson(t, u));
  });

  api.get('/v1/products/:symbol/ticker', {
    schema: {
      tags: ['market'], params: BySymbol,
      response: { 200: Ticker, ...errors },
    },
  }, (request) => {
    const p = productOf(ctx, request.params.symbol);
    const t = ctx.view.ticker(p.id);
    if (t === undefined) throw new ApiError(404, 'UNKNOWN_PRODUCT', `no product ${p.symbol}`);
    return tickerJson(t, new ProductUnits(p));
  });
}
