/**
 * A real one-node server on a free loopback port with a demo market set up through the admin
 * API: BTC (8) and USD (6), BTC-USD (tick 0.01, lot 0.0001), two funded accounts with a key
 * each. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient, type RestCredentials } from '../../src/client/rest-client.ts';
import type { GatewayLimits } from '../../src/gateway/context.ts';
import { Server } from '../../src/node/server.ts';

export const ADMIN_KEY = 'admin-key-for-tests-only';
export const KEY_SECRET = 'key-secret-for-tests-only';

export interface Market {
  server: Server;
  admin: RestClient;
  /** Clients signed with the keys of accounts 1 and 2. */
  alice: RestClient;
  bob: RestClient;
  keys: RestCredentials[];
  close(): Promise<void>;
}

export async function expectStatus(p: Promise<{ status: number; body: unknown }>, status: number): Promise<Record<string, unknown>> {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body as Record<string, unknown>;
}

export async function startMarket(limits: Partial<GatewayLimits> = {}): Promise<Market> {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-gateway-'));
  const server = await Server.start({ dataDir: dir, fsync: 'never', http: { host: '127.0.0.1', port: 0 }, adminKey: ADMIN_KEY, keySecret: KEY_SECRET, limits });
  const admin = new RestClient(server.httpUrl, { adminKey: ADMIN_KEY });
  const keys = await setUpMarket(admin);
  return {
    server, admin, keys,
    alice: new RestClient(server.httpUrl, { key: keys[0] }),
    bob: new RestClient(server.httpUrl, { key: keys[1] }),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Through the admin API: the assets, BTC-USD, and `accounts` funded accounts (ids 1, 2, …) with a key each. */
export async function setUpMarket(admin: RestClient, funds = { btc: '10', usd: '1000000' }, accounts = 2): Promise<RestCredentials[]> {
  await expectStatus(admin.request('POST', '/v1/admin/assets', { code: 'BTC', scale: 8 }), 201);
  await expectStatus(admin.request('POST', '/v1/admin/assets', { code: 'USD', scale: 6 }), 201);
  await expectStatus(admin.request('POST', '/v1/admin/products', {
    symbol: 'BTC-USD', base: 'BTC', quote: 'USD', priceScale: 2, quantityScale: 4, tickSize: '0.01', lotSize: '0.0001',
    minQuantity: '0.0001', maxQuantity: '1000', makerFeeBps: 10, takerFeeBps: 20, protectionTicks: 10_000,
  }), 201);
  const keys: RestCredentials[] = [];
  for (let i = 1; i <= accounts; i++) {
    const account = await expectStatus(admin.request('POST', '/v1/admin/accounts'), 201);
    assert.equal(account.accountId, i);
    await expectStatus(admin.request('POST', '/v1/admin/deposits', { transferId: i * 10, accountId: i, asset: 'USD', amount: funds.usd }), 201);
    await expectStatus(admin.request('POST', '/v1/admin/deposits', { transferId: i * 10 + 1, accountId: i, asset: 'BTC', amount: funds.btc }), 201);
    const key = await expectStatus(admin.request('POST', '/v1/admin/api-keys', { accountId: i }), 201);
    keys.push({ keyId: key.keyId as number, secret: key.secret as string });
  }
  return keys;
}

export function limitOrder(requestId: number, side: 'buy' | 'sell', price: string, quantity: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { requestId, symbol: 'BTC-USD', side, type: 'limit', price, quantity, ...extra };
}
