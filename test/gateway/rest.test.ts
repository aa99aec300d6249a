/** The REST gateway on a real node: order entry, retries, isolation of accounts, bad input, reads. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stateHash } from '../../src/application/snapshot.ts';
import { RestClient } from '../../src/client/rest-client.ts';
import { signRequest } from '../../src/gateway/auth/request-signature.ts';
import { type Market, expectStatus, limitOrder, startMarket } from './support.ts';

describe('REST gateway', () => {
  let m: Market;
  before(async () => {
    m = await startMarket();
  });
  after(async () => {
    await m.close();
  });

  it('places an order once: a retry with the same request id answers with the first outcome', async () => {
    const first = await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(1, 'buy', '100.00', '0.5')), 201);
    const order = first.order as Record<string, unknown>;
    assert.equal(first.duplicate, false);
    assert.deepEqual([order.status, order.price, order.quantity, order.remainingQuantity], ['new', '100', '0.5', '0.5']);
    const retry = await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(1, 'buy', '101.00', '0.7')), 200);
    assert.equal(retry.duplicate, true);
    assert.equal((retry.order as Record<string, unknown>).orderId, order.orderId);
    const open = await expectStatus(m.alice.request('GET', '/v1/orders'), 200) as unknown as unknown[];
    assert.equal(open.length, 1);
    const balances = await expectStatus(m.alice.request('GET', '/v1/balances'), 200) as unknown as { asset: string; available: string; held: string }[];
    // 0.5 BTC at 100 USD = 50 USD, plus the largest taker fee (20 bps = 0.1 USD) held.
    assert.deepEqual(balances.find((b) => b.asset === 'USD'), { asset: 'USD', available: '999949.9', held: '50.1' });
  });

  it('a crossing order trades; fills, trades, book and ticker show it', async () => {
    const sell = await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(1, 'sell', '99.00', '0.2')), 201);
    assert.deepEqual([(sell.order as Record<string, unknown>).status, (sell.order as Record<string, unknown>).filledQuantity], ['filled', '0.2']);
    const fills = await expectStatus(m.bob.request('GET', '/v1/fills'), 200) as unknown as Record<string, unknown>[];
    assert.equal(fills.length, 1);
    assert.deepEqual([fills[0].price, fills[0].quantity, fills[0].liquidity, fills[0].fee, fills[0].feeAsset], ['100', '0.2', 'taker', '0.04', 'USD']);
    const trades = await expectStatus(m.bob.request('GET', '/v1/products/BTC-USD/trades'), 200) as unknown as Record<string, unknown>[];
    assert.deepEqual([trades[0].price, trades[0].quantity, trades[0].takerSide], ['100', '0.2', 'sell']);
    const book = await expectStatus(m.bob.request('GET', '/v1/products/BTC-USD/book?depth=5'), 200);
    assert.deepEqual(book.bids, [['100', '0.3', 1]]);
    assert.deepEqual(book.asks, []);
    const ticker = await expectStatus(m.bob.request('GET', '/v1/products/BTC-USD/ticker'), 200);
    assert.deepEqual([ticker.lastPrice, ticker.bidPrice, ticker.bidQuantity, ticker.askPrice], ['100', '100', '0.3', null]);
  });

  it('modify and cancel act on the account\'s own orders only', async () => {
    const placed = await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(2, 'buy', '90', '1')), 201);
    const id = (placed.order as Record<string, unknown>).orderId as number;
    // Bob's key can neither read, modify nor cancel Alice's order.
    await expectStatus(m.bob.request('GET', `/v1/orders/${id}`), 404);
    const foreign = await expectStatus(m.bob.request('DELETE', `/v1/orders/${id}?requestId=2`), 404);
    assert.equal((foreign.error as Record<string, unknown>).code, 'UNKNOWN_ORDER');
    await expectStatus(m.bob.request('PATCH', `/v1/orders/${id}`, { requestId: 3, quantity: '0.1' }), 404);
    const all = await expectStatus(m.bob.request('DELETE', '/v1/orders?requestId=4'), 200);
    assert.deepEqual(all.cancelled, []);
    const modified = await expectStatus(m.alice.request('PATCH', `/v1/orders/${id}`, { requestId: 3, quantity: '0.4' }), 200);
    assert.equal((modified.order as Record<string, unknown>).quantity, '0.4');
    const cancelled = await expectStatus(m.alice.request('DELETE', `/v1/orders/${id}?requestId=4`), 200);
    assert.deepEqual([(cancelled.order as Record<string, unknown>).status, (cancelled.order as Record<string, unknown>).cancelReason], ['cancelled', 'user']);
    // A retry of the cancel returns the first outcome; a new cancel finds nothing open.
    assert.equal((await expectStatus(m.alice.request('DELETE', `/v1/orders/${id}?requestId=4`), 200)).duplicate, true);
    await expectStatus(m.alice.request('DELETE', `/v1/orders/${id}?requestId=5`), 404);
    await expectStatus(m.alice.request('GET', `/v1/orders/${id}`), 200);
  });

  it('bad input gets a clear error and changes nothing', async () => {
    const before = stateHash(m.server.node.state);
    const cases: [RestClient, string, string, unknown, number, string][] = [
      [m.alice, 'POST', '/v1/orders', limitOrder(10, 'buy', '100.001', '1'), 400, 'more than 2 decimal places'],
      [m.alice, 'POST', '/v1/orders', limitOrder(11, 'buy', '100.005', '1'), 400, 'decimal places'],
      [m.alice, 'POST', '/v1/orders', limitOrder(12, 'buy', '100', '0.00001'), 400, 'decimal places'],
      [m.alice, 'POST', '/v1/orders', limitOrder(2 ** 53, 'buy', '100', '1'), 400, 'requestId'],
      [m.alice, 'POST', '/v1/orders', { ...limitOrder(13, 'buy', '100', '1'), price: 100 }, 400, 'price'],
      [m.alice, 'POST', '/v1/orders', { ...limitOrder(14, 'buy', '100', '1'), side: 'up' }, 400, 'side'],
      [m.alice, 'POST', '/v1/orders', { ...limitOrder(15, 'buy', '100', '1'), symbol: 'NOPE-USD' }, 404, 'no product'],
      [m.alice, 'POST', '/v1/orders', limitOrder(16, 'buy', '1e3', '1'), 400, 'not a plain decimal'],
      [m.alice, 'POST', '/v1/orders', limitOrder(17, 'buy', '99999999999999999', '1'), 400, 'too large'],
      [m.alice, 'POST', '/v1/orders', { ...limitOrder(18, 'buy', '100', '1'), type: 'market' }, 400, 'price is only for'],
      [m.alice, 'DELETE', '/v1/orders/abc?requestId=1', undefined, 400, 'orderId'],
      [m.alice, 'DELETE', '/v1/orders/5?requestId=-1', undefined, 400, 'requestId'],
      [m.alice, 'GET', '/v1/nothing', undefined, 404, 'no route'],
      [m.admin, 'POST', '/v1/admin/deposits', { transferId: 1, accountId: 1, asset: 'USD', amount: '-5' }, 400, 'amount'],
      [new RestClient(m.server.httpUrl), 'POST', '/v1/admin/accounts', undefined, 401, 'admin'],
      [new RestClient(m.server.httpUrl, { adminKey: 'wrong-admin-key-000000' }), 'POST', '/v1/admin/accounts', undefined, 401, 'admin'],
      [new RestClient(m.server.httpUrl), 'GET', '/v1/balances', undefined, 401, 'bourse-key'],
      [new RestClient(m.server.httpUrl, { key: { keyId: m.keys[0].keyId, secret: m.keys[1].secret } }), 'GET', '/v1/balances', undefined, 401, 'signature'],
      [new RestClient(m.server.httpUrl, { key: { keyId: 99, secret: m.keys[0].secret } }), 'GET', '/v1/balances', undefined, 401, 'bourse-key'],
    ];
    for (const [client, method, path, body, status, words] of cases) {
      const r = await client.request(method, path, body);
      const error = (r.body as { error?: { code: string; message: string } }).error;
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.ok(error !== undefined && typeof error.code === 'string' && error.message.includes(words), `${path}: ${JSON.stringify(r.body)} lacks "${words}"`);
    }
    // Raw requests: malformed JSON, an oversized body, a replayed and a stale signature.
    const raw = async (body: string, headers: Record<string, string> = {}): Promise<{ status: number; code: string }> => {
      const response = await fetch(`${m.server.httpUrl}/v1/admin/accounts`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer admin-key-for-tests-only', ...headers } });
      return { status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code };
    };
    assert.deepEqual(await raw('{"a":'), { status: 400, code: 'BAD_JSON' });
    assert.deepEqual(await raw(JSON.stringify({ pad: 'x'.repeat(20_000) })), { status: 413, code: 'BODY_TOO_LARGE' });
    const signed = async (timestamp: number): Promise<number> => {
      const secret = Buffer.from(m.keys[0].secret, 'hex');
      const headers = { 'bourse-key': String(m.keys[0].keyId), 'bourse-timestamp': String(timestamp), 'bourse-signature': signRequest(secret, timestamp, 'GET', '/v1/balances', '') };
      return (await fetch(`${m.server.httpUrl}/v1/balances`, { headers })).status;
    };
    const now = Date.now();
    assert.equal(await signed(now), 200);
    assert.equal(await signed(now), 401, 'a replayed signature is refused');
    assert.equal(await signed(now - 60_000), 401, 'a stale timestamp is refused');
    assert.equal(stateHash(m.server.node.state), before, 'bad input changed the state');
    // Refused by the engine: the reason's name and sentence; the request id keeps that outcome.
    const refused = await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(19, 'buy', '100', '5000')), 400);
    assert.deepEqual(refused.error, { code: 'QTY_ABOVE_MAX', message: 'the quantity is above the product maximum', requestId: 19, duplicate: false });
    const again = await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(19, 'buy', '100', '1')), 400);
    assert.equal((again.error as Record<string, unknown>).duplicate, true);
  });

  it('serves products, cluster status, health, metrics and the OpenAPI document', async () => {
    const products = await expectStatus(m.alice.request('GET', '/v1/products'), 200) as unknown as Record<string, unknown>[];
    assert.deepEqual(products.map((p) => [p.symbol, p.tickSize, p.lotSize, p.status]), [['BTC-USD', '0.01', '0.0001', 'trading']]);
    const cluster = await expectStatus(m.alice.request('GET', '/v1/cluster'), 200);
    assert.equal(cluster.role, 'leader');
    assert.equal(cluster.commitIndex, cluster.viewIndex);
    assert.deepEqual(await expectStatus(m.alice.request('GET', '/healthz'), 200), { status: 'ok', role: 'leader' });
    const metrics = await m.alice.request('GET', '/metrics');
    assert.match(String(metrics.body), /^bourse_commit_index \d+$/m);
    assert.match(String(metrics.body), /bourse_http_requests_total\{route="\/v1\/orders",status="201"\}/);
    assert.match(String(metrics.body), /^bourse_gateway_commands_total\{gateway="rest",type="PlaceOrder",result="committed"\} [1-9]\d*$/m);
    assert.match(String(metrics.body), /^bourse_commit_seconds_count [1-9]\d*$/m);
    assert.match(String(metrics.body), /^bourse_fsync_seconds_bucket\{le="0\.001"\} \d+$/m);
    assert.match(String(metrics.body), /^bourse_snapshot_age_seconds \d/m);
    assert.match(String(metrics.body), /^bourse_elections_total \d+$/m);
    assert.match(String(metrics.body), /^bourse_role\{role="leader"\} 1$/m);
    // A snapshot taken on request shows in the metrics.
    const snapshot = await expectStatus(m.admin.request('POST', '/v1/admin/snapshot'), 201);
    assert.equal(snapshot.index, cluster.commitIndex);
    const after = String((await m.alice.request('GET', '/metrics')).body);
    assert.match(after, new RegExp(`^bourse_snapshot_index ${String(snapshot.index)}$`, 'm'));
    assert.ok(Number(/^bourse_snapshot_age_seconds (\S+)$/m.exec(after)?.[1]) < 60, 'the snapshot is new');
    const docs = await expectStatus(m.alice.request('GET', '/docs'), 200);
    assert.match(String(docs.openapi), /^3\./);
    for (const path of ['/v1/orders', '/v1/orders/{orderId}', '/v1/products/{symbol}/book', '/v1/admin/api-keys', '/v1/cluster']) {
      assert.ok(path in (docs.paths as object), `OpenAPI lacks ${path}`);
    }
  });
});
