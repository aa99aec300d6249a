/**
 * The API's schemas (zod): REST validates requests and responses with them and generates its
 * OpenAPI document from them; the WebSocket's messages use the same shapes.
 */
import { z } from 'zod';

export const ErrorBody = z.object({
  error: z.looseObject({ code: z.string(), message: z.string() }),
}).describe('every error: a stable code and a sentence');

export const Decimal = z.string().max(40).describe('an exact decimal number, e.g. "123.45"');
export const Symbol = z.string().min(1).max(24).regex(/^[A-Za-z0-9._-]+$/);
export const Id = z.int().positive().describe('a positive integer');
export const IdParam = z.string().regex(/^[1-9]\d{0,15}$/, 'must be a positive integer').transform(Number);

export const RequestId = z.int().positive().describe('the client\'s request id: a retry with the same id returns the first outcome and never acts twice');

export const Product = z.object({
  symbol: z.string(), base: z.string(), quote: z.string(), status: z.enum(['trading', 'halted', 'closed', 'unknown']),
  priceScale: z.number(), quantityScale: z.number(), tickSize: Decimal, lotSize: Decimal, minQuantity: Decimal,
  maxQuantity: Decimal, minNotional: Decimal, makerFeeBps: z.number(), takerFeeBps: z.number(), protectionTicks: z.number(),
});

export const Order = z.object({
  orderId: z.number(), clientOrderId: z.number(), symbol: z.string(), side: z.string(), type: z.string(), timeInForce: z.string(),
  postOnly: z.boolean(), price: Decimal.nullable(), stopPrice: Decimal.nullable(), quantity: Decimal, filledQuantity: Decimal,
  remainingQuantity: Decimal, status: z.string(), cancelReason: z.string().nullable(), createdAtUs: z.number(), finishedAtUs: z.number().nullable(),
});

export const Level = z.tuple([Decimal, Decimal, z.number()]).describe('[price, quantity, orders]');

export const Balance = z.object({ asset: z.string(), available: Decimal, held: Decimal });

export const Fill = z.object({
  tradeId: z.number(), orderId: z.number(), clientOrderId: z.number(), symbol: z.string(), side: z.string(), price: Decimal,
  quantity: Decimal, fee: Decimal, feeAsset: z.string(), liquidity: z.enum(['maker', 'taker']), timestampUs: z.number(),
});

export const Ticker = z.object({
  symbol: z.string(), lastPrice: Decimal.nullable(), lastQuantity: Decimal, lastTradeAtUs: z.number(), bidPrice: Decimal.nullable(),
  bidQuantity: Decimal, askPrice: Decimal.nullable(), askQuantity: Decimal, trades24h: z.number(), volume24h: Decimal, quoteVolume24h: Decimal,
});

export const Trade = z.object({
  tradeId: z.number(), symbol: z.string(), price: Decimal, quantity: Decimal, takerSide: z.string(), timestampUs: z.number(),
});

export const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 421: ErrorBody, 429: ErrorBody, 503: ErrorBody };

export type ProductJson = z.output<typeof Product>;
export type OrderJson = z.output<typeof Order>;
export type BalanceJson = z.output<typeof Balance>;
export type FillJson = z.output<typeof Fill>;
export type TradeJson = z.output<typeof Trade>;
export type TickerJson = z.output<typeof Ticker>;
export type LevelJson = z.output<typeof Level>;
