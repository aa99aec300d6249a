/**
 * Administration behind the admin key: assets, products, accounts, API keys, deposits and
 * withdrawals. Deposits and withdrawals are idempotent on their transfer id.
 */
import { z } from 'zod';
import type { Command } from '../../../application/commands.ts';
import type { Event } from '../../../application/events.ts';
import type { GatewayContext } from '../../context.ts';
import { newSalts, deriveKeySecret } from '../../auth/key-secrets.ts';
import { formatDecimal, parseDecimal, parseMultiple } from '../../decimal.ts';
import { PRODUCT_STATUS, balanceJson, productJson } from '../../representation.ts';
import type { Api } from '../api.ts';
import { adminRequests, leaderOnly } from '../auth.ts';
import { ApiError, rejectError } from '../errors.ts';
import { Balance, Decimal, Id, IdParam, Product, Symbol, errors } from '../../schemas.ts';
import type { Submit } from '../submit.ts';
import { productOf } from './market.ts';

const AssetCode = z.string().min(1).max(24).regex(/^[A-Za-z0-9._-]+$/);
const Status = z.enum(['trading', 'halted', 'closed']);
/**
 * A market order's limit is its reference price plus or minus this many ticks: bounded so that
 * the limit stays far inside the safe integers (the engine does not check it for a market buy
 * by budget, which has no quantity to bound the order's value).
 */
const ProtectionTicks = z.int().min(1).max(1_000_000_000);
const ProductBody = z.object({
  symbol: Symbol, base: AssetCode, quote: AssetCode, priceScale: z.int().min(0).max(18), quantityScale: z.int().min(0).max(18),
  tickSize: Decimal, lotSize: Decimal, minQuantity: Decimal, maxQuantity: Decimal, minNotional: Decimal.default('0'),
  makerFeeBps: z.int().min(-10_000).max(10_000), takerFeeBps: z.int().min(0).max(10_000), protectionTicks: ProtectionTicks,
  status: Status.default('trading'),
});
const Transfer = z.object({ transferId: z.int().positive(), accountId: z.int().min(0), asset: AssetCode, amount: Decimal });
const TransferAnswer = z.object({ transferId: z.number(), accountId: z.number(), asset: z.string(), amount: Decimal, duplicate: z.boolean(), entryIndex: z.number() });

function value(r: ReturnType<typeof parseDecimal>): number {
  if (!r.ok) throw new ApiError(400, 'INVALID_REQUEST', r.message);
  return r.value;
}

/** The first event of a committed command, or its reject as an error. */
function firstEvent(events: readonly Event[]): Event {
  const e = events[0];
  if (e === undefined) throw new ApiError(500, 'INTERNAL', 'the command yielded no event');
  if (e.type === 'Rejected') throw rejectError(e.reason);
  return e;
}

export function adminRoutes(api: Api, ctx: GatewayContext, submit: Submit): void {
  const view = ctx.view;
  const preHandler = [leaderOnly(ctx), adminRequests(ctx)];
  /** Reads and snapshots: any node. */
  const anyNode = adminRequests(ctx);
  const security = [{ admin: [] }];
  const run = async (command: Command): Promise<{ event: Event; index: number }> => {
    const entry = await submit(command);
    return { event: firstEvent(entry.events), index: entry.index };
  };
  const assetId = (code: string): number => {
    const a = view.assets().find((x) => x.code === code);
    if (a === undefined) throw new ApiError(404, 'UNKNOWN_ASSET', `no asset ${code}`);
    return a.id;
  };

  api.post('/v1/admin/assets', {
    preHandler, schema: { tags: ['admin'], security, body: z.object({ code: AssetCode, scale: z.int().min(0).max(18) }),
      response: { 201: z.object({ assetId: z.number(), code: z.string(), scale: z.number() }), ...errors } },
  }, async (request, reply) => {
    const { event } = await run({ type: 'CreateAsset', code: request.body.code, scale: request.body.scale });
    if (event.type !== 'AssetCreated') throw new ApiError(500, 'INTERNAL', 'unexpected event');
    return reply.code(201).send({ assetId: event.asset, code: event.code, scale: event.scale });
  });

  api.post('/v1/admin/products', {
    preHandler, schema: { tags: ['admin'], security, body: ProductBody, response: { 201: Product, ...errors } },
  }, async (request, reply) => {
    const b = request.body;
    const quote = view.assets().find((x) => x.code === b.quote);
    if (quote === undefined) throw new ApiError(404, 'UNKNOWN_ASSET', `no asset ${b.quote}`);
    const tickSize = value(parseDecimal(b.tickSize, b.priceScale, 'tickSize'));
    const lotSize = value(parseDecimal(b.lotSize, b.quantityScale, 'lotSize'));
    await run({
      type: 'CreateProduct', symbol: b.symbol, base: assetId(b.base), quote: quote.id, priceScale: b.priceScale, qtyScale: b.quantityScale,
      tickSize, lotSize, minQty: value(parseMultiple(b.minQuantity, b.quantityScale, lotSize, 'minQuantity', 'lot size')),
      maxQty: value(parseMultiple(b.maxQuantity, b.quantityScale, lotSize, 'maxQuantity', 'lot size')),
      minNotional: value(parseDecimal(b.minNotional, quote.scale, 'minNotional')), makerBps: b.makerFeeBps, takerBps: b.takerFeeBps,
      protectionTicks: b.protectionTicks, status: PRODUCT_STATUS.code.get(b.status) as number,
    });
    return reply.code(201).send(productJson(productOf(ctx, b.symbol)));
  });

  api.patch('/v1/admin/products/:symbol', {
    preHandler, schema: {
      tags: ['admin'], summary: 'Change a product\'s status, limits or fees (closing it cancels its open orders)', security,
      params: z.object({ symbol: Symbol }),
      body: z.object({ status: Status.optional(), minQuantity: Decimal.optional(), maxQuantity: Decimal.optional(), minNotional: Decimal.optional(),
        makerFeeBps: z.int().min(-10_000).max(10_000).optional(), takerFeeBps: z.int().min(0).max(10_000).optional(), protectionTicks: ProtectionTicks.optional() }),
      response: { 200: Product, ...errors },
    },
  }, async (request) => {
    const p = productOf(ctx, request.params.symbol);
    const b = request.body;
    await run({
      type: 'UpdateProduct', product: p.id, status: b.status === undefined ? p.status : PRODUCT_STATUS.code.get(b.status) as number,
      minQty: b.minQuantity === undefined ? p.minQty : value(parseMultiple(b.minQuantity, p.qtyScale, p.lotSize, 'minQuantity', 'lot size')),
      maxQty: b.maxQuantity === undefined ? p.maxQty : value(parseMultiple(b.maxQuantity, p.qtyScale, p.lotSize, 'maxQuantity', 'lot size')),
      minNotional: b.minNotional === undefined ? p.minNotional : value(parseDecimal(b.minNotional, p.quote.scale, 'minNotional')),
      makerBps: b.makerFeeBps ?? p.makerBps, takerBps: b.takerFeeBps ?? p.takerBps, protectionTicks: b.protectionTicks ?? p.protectionTicks,
    });
    return productJson(productOf(ctx, p.symbol));
  });

  api.post('/v1/admin/accounts', {
    preHandler, schema: { tags: ['admin'], security, response: { 201: z.object({ accountId: z.number() }), ...errors } },
  }, async (_request, reply) => {
    const { event } = await run({ type: 'CreateAccount' });
    if (event.type !== 'AccountCreated') throw new ApiError(500, 'INTERNAL', 'unexpected event');
    return reply.code(201).send({ accountId: event.account });
  });

  api.get('/v1/admin/accounts/:accountId/balances', {
    preHandler: anyNode, schema: { tags: ['admin'], security, params: z.object({ accountId: z.string().regex(/^\d{1,16}$/).transform(Number) }),
      response: { 200: z.array(Balance), ...errors } },
  }, (request) => {
    const balances = view.balances(request.params.accountId);
    if (balances === undefined) throw new ApiError(404, 'UNKNOWN_ACCOUNT', `no account ${request.params.accountId}`);
    return balances.map((b) => balanceJson(b, view));
  });

  api.post('/v1/admin/api-keys', {
    preHandler, schema: {
      tags: ['admin'], summary: 'Create an API key for an account: its secret is shown this once', security, body: z.object({ accountId: Id }),
      response: { 201: z.object({ keyId: z.number(), accountId: z.number(), secret: z.string() }), ...errors },
    },
  }, async (request, reply) => {
    const { salt1, salt2 } = newSalts();
    const { event } = await run({ type: 'CreateApiKey', account: request.body.accountId, salt1, salt2 });
    if (event.type !== 'ApiKeyCreated') throw new ApiError(500, 'INTERNAL', 'unexpected event');
    const secret = deriveKeySecret(ctx.keySecret, event.key, salt1, salt2).toString('hex');
    return reply.code(201).send({ keyId: event.key, accountId: event.account, secret });
  });

  api.delete('/v1/admin/api-keys/:keyId', {
    preHandler, schema: { tags: ['admin'], security, params: z.object({ keyId: IdParam }),
      response: { 200: z.object({ keyId: z.number(), revoked: z.boolean() }), ...errors } },
  }, async (request) => {
    await run({ type: 'RevokeApiKey', key: request.params.keyId });
    return { keyId: request.params.keyId, revoked: true };
  });

  api.post('/v1/admin/snapshot', {
    preHandler: anyNode, schema: {
      tags: ['admin'], summary: 'Take a snapshot of this node\'s state now (copied at once, written in the background once committed)', security,
      response: { 201: z.object({ index: z.number(), term: z.number(), stateHash: z.string(), ms: z.number() }), ...errors },
    },
  }, async (_request, reply) => {
    try {
      const r = await ctx.node.snapshot();
      return await reply.code(201).send({ index: r.index, term: r.term, stateHash: r.stateHash, ms: Math.round(r.ms) });
    } catch (error) {
      throw new ApiError(409, 'SNAPSHOT_FAILED', (error as Error).message.replace(/^[A-Z_]+: /, ''));
    }
  });

  for (const [path, type] of [['/v1/admin/deposits', 'Deposit'], ['/v1/admin/withdrawals', 'Withdraw']] as const) {
    api.post(path, {
      preHandler, schema: { tags: ['admin'], summary: `${type === 'Deposit' ? 'Credit' : 'Debit'} an account (idempotent on transferId)`, security,
        body: Transfer, response: { 200: TransferAnswer, 201: TransferAnswer, ...errors } },
    }, async (request, reply) => {
      const b = request.body;
      const asset = view.assets().find((x) => x.code === b.asset);
      if (asset === undefined) throw new ApiError(404, 'UNKNOWN_ASSET', `no asset ${b.asset}`);
      const amount = value(parseDecimal(b.amount, asset.scale, 'amount'));
      if (amount <= 0) throw new ApiError(400, 'INVALID_REQUEST', 'amount must be positive');
      const { event, index } = await run({ type, transfer: b.transferId, account: b.accountId, asset: asset.id, amount });
      if (event.type !== 'Deposited' && event.type !== 'Withdrawn' && event.type !== 'TransferDuplicate') throw new ApiError(500, 'INTERNAL', 'unexpected event');
      const first = view.asset(event.asset);
      return reply.code(event.type === 'TransferDuplicate' ? 200 : 201).send({
        transferId: event.transfer, accountId: event.account, asset: first?.code ?? b.asset,
        amount: formatDecimal(event.amount, first?.scale ?? asset.scale), duplicate: event.type === 'TransferDuplicate', entryIndex: index,
      });
    });
  }
}
