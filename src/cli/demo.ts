/**
 * The demo market `bourse start` sets up through the admin API: BTC, ETH and USD; BTC-USD and
 * ETH-USD; four funded accounts (two for people to try, a market maker and a taker for
 * --demo-traffic) with an API key each. Every step first looks for what it would create, so a
 * later start — or one after an interrupted first — creates nothing twice. The keys' secrets
 * are printed once, when made; the demo traffic's are kept beside the local secrets.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { RestClient } from '../client/rest-client.ts';

export interface DemoKey {
  account: number;
  keyId: number;
  secret: string;
}

export interface Demo {
  /** What to show the user. */
  printed: string[];
  /** Keys of the market maker (first) and the taker, when made now; else undefined (see trafficKeys). */
  traffic: DemoKey[] | undefined;
}

const ASSETS = [{ code: 'BTC', scale: 8 }, { code: 'ETH', scale: 8 }, { code: 'USD', scale: 6 }];
const PRODUCTS = [
  { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', priceScale: 2, quantityScale: 4, tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', maxQuantity: '1000', makerFeeBps: 10, takerFeeBps: 20, protectionTicks: 500_000 },
  { symbol: 'ETH-USD', base: 'ETH', quote: 'USD', priceScale: 2, quantityScale: 3, tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '10000', makerFeeBps: 10, takerFeeBps: 20, protectionTicks: 50_000 },
];
const ACCOUNTS = 4;
const FUNDS = [{ asset: 'USD', amount: '10000000' }, { asset: 'BTC', amount: '100' }, { asset: 'ETH', amount: '1000' }];

async function must(p: Promise<{ status: number; body: unknown }>, ok: number[], what: string): Promise<{ status: number; body: unknown }> {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`demo set-up: ${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export async function setUpDemo(admin: RestClient): Promise<Demo> {
  const printed: string[] = [];
  for (const a of ASSETS) await must(admin.request('POST', '/v1/admin/assets', a), [201, 409], `asset ${a.code}`);
  for (const p of PRODUCTS) {
    const found = await admin.request('GET', `/v1/products/${p.symbol}`);
    if (found.status !== 200) await must(admin.request('POST', '/v1/admin/products', p), [201], `product ${p.symbol}`);
  }
  let made = false;
  for (let account = 1; account <= ACCOUNTS; account++) {
    const found = await admin.request('GET', `/v1/admin/accounts/${account}/balances`);
    if (found.status === 404) {
      const r = await must(admin.request('POST', '/v1/admin/accounts'), [201], 'account');
      if ((r.body as { accountId: number }).accountId !== account) throw new Error('demo set-up: accounts exist that the demo did not make');
      made = true;
    }
    // Fixed transfer ids: a repeated deposit is answered with the first and changes nothing.
    for (const [i, f] of FUNDS.entries()) {
      await must(admin.request('POST', '/v1/admin/deposits', { transferId: account * 10 + i, accountId: account, asset: f.asset, amount: f.amount }), [200, 201], 'deposit');
    }
  }
  if (!made) {
    printed.push('demo market: found from an earlier start (its API keys were printed then)');
    return { printed, traffic: undefined };
  }
  const keys: DemoKey[] = [];
  for (let account = 1; account <= ACCOUNTS; account++) keys.push(await newKey(admin, account));
  printed.push('demo market: BTC-USD and ETH-USD; accounts 1 and 2 hold 10,000,000 USD, 100 BTC and 1,000 ETH each.');
  printed.push('API keys (shown this once; keep them):');
  for (const k of keys.slice(0, 2)) printed.push(`  account ${k.account}: BOURSE_API_KEY=${k.keyId} BOURSE_API_SECRET=${k.secret}`);
  return { printed, traffic: keys.slice(2) };
}

async function newKey(admin: RestClient, account: number): Promise<DemoKey> {
  const r = await must(admin.request('POST', '/v1/admin/api-keys', { accountId: account }), [201], 'API key');
  const body = r.body as { keyId: number; secret: string };
  return { account, keyId: body.keyId, secret: body.secret };
}

function isDemoKeys(value: unknown): value is DemoKey[] {
  return Array.isArray(value) && value.length === 2 && value.every((k: Partial<DemoKey> | null) =>
    Number.isSafeInteger(k?.account) && Number.isSafeInteger(k?.keyId) && typeof k?.secret === 'string');
}

/**
 * The market maker's and the taker's keys for --demo-traffic: kept in `file` (owner-only)
 * once known — made by this start's set-up (`made`), else made now for their accounts — so
 * that the traffic runs on every start, not only the first.
 */
export async function trafficKeys(admin: RestClient, file: string, made: DemoKey[] | undefined): Promise<DemoKey[]> {
  const kept: unknown = await readFile(file, 'utf8').then((text) => JSON.parse(text) as unknown, () => undefined);
  if (isDemoKeys(kept)) return kept;
  const keys = made ?? [await newKey(admin, ACCOUNTS - 1), await newKey(admin, ACCOUNTS)];
  await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}
