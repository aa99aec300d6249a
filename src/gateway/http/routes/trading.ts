/**
 * Order entry and private reads for signed requests: a key acts on its own account only. Every
 * command carries a request id; a retry (also to a new leader after a failover) answers with
 * the first outcome. Answers come once the command is committed, from the committed view.
 */
import { z } from 'zod';
import type { CommandOf } from '../../../application/commands.ts';
import { OrderType, Stp, TimeInForce } from '../../../application/matching/order-types.ts';
import { Reason } from '../../../application/reasons.ts';
import type { AccountCommand } from '../../../application/requests/decide.ts';
import type { CommittedEntry } from '../../../node/subscribers.ts';
import type { GatewayContext } from '../../context.ts';
import { parseDecimal, parseMultiple } from '../../decimal.ts';
import { type Outcome, outcomeOf } from '../../outcome.ts';
import { ORDER_TYPES, ProductUnits, SELF_TRADE, SIDES, TIME_IN_FORCE, balanceJson, fillJson, orderJson } from '../../representation.ts';
import type { OrderView, ProductInfo } from '../../view/reads.ts';
import type { Api } from '../api.ts';
import { leaderOnly, signedRequests } from '../auth.ts';
import { ApiError, rejectError } from '../errors.ts';
import { Balance, Decimal, Fill, IdParam, Order, type OrderJson, RequestId, Symbol, errors } from '../../schemas.ts';
import type { Submit } from '../submit.ts';
import { productOf } from './market.ts';

const PlaceBody = z.object({
  requestId: RequestId,
  symbol: Symbol,
  side: z.enum(['buy', 'sell']),
  type: z.enum(['limit', 'market', 'stop_limit', 'stop_market']),
  timeInForce: z.enum(['gtc', 'ioc', 'fok']).optional().describe('default: gtc for limit orders, ioc otherwise'),
  postOnly: z.boolean().default(false),
  price: Decimal.optional().describe('limit and stop-limit orders'),
  stopPrice: Decimal.optional().describe('stop orders: the last trade price that triggers them'),
  quantity: Decimal.optional().describe('in the base asset; a market buy may give quoteBudget instead'),
  quoteBudget: Decimal.optional().describe('a market buy: how much quote to spend'),
  clientOrderId: z.int().min(0).default(0).describe('unique among the account\'s open orders; 0: none'),
  selfTradePrevention: z.enum(['cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel']).default('cancel_newest'),
});

const OrderAnswer = z.object({ requestId: z.number(), duplicate: z.boolean(), entryIndex: z.number(), order: Order.nullable() });
const OrderParams = z.object({ orderId: IdParam });
const WithRequest = z.object({ requestId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

function field(r: ReturnType<typeof parseDecimal>): number {
  if (!r.ok) throw new ApiError(400, 'INVALID_REQUEST', r.message);
  return r.value;
}

function placeCommand(body: z.infer<typeof PlaceBody>, p: ProductInfo, account: number): CommandOf<'PlaceOrder'> {
  const type = ORDER_TYPES.code.get(body.type) as number;
  const limit = type === OrderType.Limit || type === OrderType.StopLimit;
  const stop = type === OrderType.StopLimit || type === OrderType.StopMarket;
  if (limit !== (body.price !== undefined)) throw new ApiError(400, 'INVALID_REQUEST', limit ? 'price is required for this order type' : 'price is only for limit and stop-limit orders');
  if (stop !== (body.stopPrice !== undefined)) throw new ApiError(400, 'INVALID_REQUEST', stop ? 'stopPrice is required for stop orders' : 'stopPrice is only for stop orders');
  if ((body.quantity === undefined) === (body.quoteBudget === undefined)) throw new ApiError(400, 'INVALID_REQUEST', 'give exactly one of quantity and quoteBudget');
  const tif = body.timeInForce ?? (type === OrderType.Limit || type === OrderType.StopLimit ? 'gtc' : 'ioc');
  return {
    type: 'PlaceOrder', request: body.requestId, account, product: p.id, clientOrderId: body.clientOrderId,
    side: SIDES.code.get(body.side) as number, orderType: type, tif: TIME_IN_FORCE.code.get(tif) ?? TimeInForce.GTC,
    postOnly: body.postOnly ? 1 : 0, stp: SELF_TRADE.code.get(body.selfTradePrevention) ?? Stp.CancelNewest,
    price: body.price === undefined ? 0 : field(parseMultiple(body.price, p.priceScale, p.tickSize, 'price', 'tick size')),
    stopPrice: body.stopPrice === undefined ? 0 : field(parseMultiple(body.stopPrice, p.priceScale, p.tickSize, 'stopPrice', 'tick size')),
    qty: body.quantity === undefined ? 0 : field(parseMultiple(body.quantity, p.qtyScale, p.lotSize, 'quantity', 'lot size')),
    quoteBudget: body.quoteBudget === undefined ? 0 : field(parseDecimal(body.quoteBudget, p.quote.scale, 'quoteBudget')),
  };
}

export function tradingRoutes(api: Api, ctx: GatewayContext, submit: Submit): void {
  const view = ctx.view;
  const authenticate = signedRequests(ctx);
  const commandHooks = [leaderOnly(ctx), authenticate];
  const security = [{ apiKey: [] }];
  const orderJsonOf = (o: OrderView | undefined): OrderJson | null => {
    const p = o === undefined ? undefined : view.product(o.product);
    return o === undefined || p === undefined ? null : orderJson(o, new ProductUnits(p));
  };
  /** Runs an account command until committed; a reject is an error, a retry answers with the first outcome. */
  const commit = async (command: AccountCommand): Promise<{ entry: CommittedEntry; outcome: Outcome }> => {
    const entry = await submit(command, command.account);
    const outcome = outcomeOf(entry, command.account, command.request);
    if (outcome.reason !== 0) throw rejectError(outcome.reason, { requestId: command.request, duplicate: outcome.duplicate });
    return { entry, outcome };
  };
  /** An order command, answered with the order as it is once committed. */
  const run = async (command: Exclude<AccountCommand, CommandOf<'CancelAll'>>) => {
    const { entry, outcome } = await commit(command);
    return { requestId: command.request, duplicate: outcome.duplicate, entryIndex: entry.index, order: orderJsonOf(view.order(command.account, outcome.order)) };
  };

  api.post('/v1/orders', {
    preHandler: commandHooks,
    schema: { tags: ['orders'], summary: 'Place an order', security, body: PlaceBody, response: { 200: OrderAnswer, 201: OrderAnswer, ...errors } },
  }, async (request, reply) => {
    const p = productOf(ctx, request.body.symbol);
    const answer = await run(placeCommand(request.body, p, request.account));
    return reply.code(answer.duplicate ? 200 : 201).send(answer);
  });

  api.delete('/v1/orders/:orderId', {
    preHandler: commandHooks,
    schema: { tags: ['orders'], summary: 'Cancel an order', security, params: OrderParams, querystring: WithRequest, response: { 200: OrderAnswer, ...errors } },
  }, (request) => run({ type: 'CancelOrder', request: request.query.requestId, account: request.account, order: request.params.orderId, clientOrderId: 0 }));

  api.delete('/v1/orders/by-client-id/:clientOrderId', {
    preHandler: commandHooks,
    schema: { tags: ['orders'], summary: 'Cancel an order by its client order id', security, params: z.object({ clientOrderId: IdParam }),
      querystring: WithRequest, response: { 200: OrderAnswer, ...errors } },
  }, (request) => run({ type: 'CancelOrder', request: request.query.requestId, account: request.account, order: 0, clientOrderId: request.params.clientOrderId }));

  api.patch('/v1/orders/:orderId', {
    preHandler: commandHooks,
    schema: {
      tags: ['orders'], summary: 'Modify an order: a smaller quantity keeps its place; a new price or more quantity loses it', security, params: OrderParams,
      body: z.object({ requestId: RequestId, price: Decimal.optional(), quantity: Decimal.optional().describe('the new total quantity, filled part included') }),
      response: { 200: OrderAnswer, ...errors },
    },
  }, (request) => {
    const o = view.order(request.account, request.params.orderId);
    const p = o === undefined ? undefined : view.product(o.product);
    if (o === undefined || p === undefined) throw rejectError(Reason.UNKNOWN_ORDER, { requestId: request.body.requestId });
    const { price, quantity } = request.body;
    return run({
      type: 'ModifyOrder', request: request.body.requestId, account: request.account, order: o.order, clientOrderId: 0,
      price: price === undefined ? o.priceTicks * p.tickSize : field(parseMultiple(price, p.priceScale, p.tickSize, 'price', 'tick size')),
      qty: quantity === undefined ? o.qtyLots * p.lotSize : field(parseMultiple(quantity, p.qtyScale, p.lotSize, 'quantity', 'lot size')),
    });
  });

  api.delete('/v1/orders', {
    preHandler: commandHooks,
    schema: {
      tags: ['orders'], summary: 'Cancel all open orders of the account (of one product if given)', security,
      querystring: WithRequest.extend({ symbol: Symbol.optional() }),
      response: { 200: z.object({ requestId: z.number(), duplicate: z.boolean(), entryIndex: z.number(), cancelled: z.array(z.number()) }), ...errors },
    },
  }, async (request) => {
    const product = request.query.symbol === undefined ? 0 : productOf(ctx, request.query.symbol).id;
    const command = { type: 'CancelAll', request: request.query.requestId, account: request.account, product } as const;
    const { entry, outcome } = await commit(command);
    const cancelled = entry.events.flatMap((e) => (e.type === 'OrderCancelled' ? [e.order] : []));
    return { requestId: command.request, duplicate: outcome.duplicate, entryIndex: entry.index, cancelled };
  });

  api.get('/v1/orders', {
    preHandler: authenticate,
    schema: { tags: ['orders'], summary: 'The account\'s open orders', security, querystring: z.object({ symbol: Symbol.optional() }), response: { 200: z.array(Order), ...errors } },
  }, (request) => {
    const product = request.query.symbol === undefined ? 0 : productOf(ctx, request.query.symbol).id;
    return view.openOrders(request.account, product).flatMap((o) => orderJsonOf(o) ?? []);
  });

  api.get('/v1/orders/:orderId', {
    preHandler: authenticate,
    schema: { tags: ['orders'], summary: 'One order of the account (open, or recently finished)', security, params: OrderParams, response: { 200: Order, ...errors } },
  }, (request) => {
    const o = orderJsonOf(view.order(request.account, request.params.orderId));
    if (o === null) throw new ApiError(404, 'UNKNOWN_ORDER', `no order ${request.params.orderId} of this account`);
    return o;
  });

  api.get('/v1/balances', {
    preHandler: authenticate,
    schema: { tags: ['account'], summary: 'The account\'s balances per asset', security, response: { 200: z.array(Balance), ...errors } },
  }, (request) => (view.balances(request.account) ?? []).map((b) => balanceJson(b, view)));

  api.get('/v1/fills', {
    preHandler: authenticate,
    schema: {
      tags: ['account'], summary: 'The account\'s recent fills, newest first', security,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(view.limits.fillsPerAccount).default(100) }),
      response: { 200: z.array(Fill), ...errors },
    },
  }, (request) => view.fills(request.account, request.query.limit).flatMap((f) => {
    const p = view.product(f.product);
    const fee = view.asset(f.feeAsset);
    return p === undefined || fee === undefined ? [] : [fillJson(f, new ProductUnits(p), fee.scale, fee.code)];
  }));
}
