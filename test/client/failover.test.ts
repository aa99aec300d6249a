/**
 * The SDK across a failover, with real `bourse node` processes: the leader is killed with
 * kill -9 while the client places orders; the client finds the new leader and resends what
 * was in flight with the same request ids. Every order it reports placed exists exactly once,
 * and no order exists that it did not report.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BourseClient, type CommandResult } from '../../src/client/bourse-client.ts';
import { RestClient } from '../../src/client/rest-client.ts';
import { ReportKind } from '../../src/gateway/binary/messages.ts';
import { limitOrder, setUpMarket } from '../gateway/support.ts';
import type { RestCredentials } from '../../src/client/rest-client.ts';
import { ADMIN_KEY, ServerCluster } from '../support/server-cluster.ts';

const ORDERS = 1_500;
const WORKERS = 16;

describe('a cluster of bourse node processes', () => {
  let dir: string;
  let cluster: ServerCluster;
  let keys: RestCredentials[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bourse-sdk-failover-'));
    cluster = await ServerCluster.start({ dir, nodes: 3, fsync: 'always' });
    keys = await setUpMarket(new RestClient(cluster.url(await cluster.leader()), { adminKey: ADMIN_KEY }));
  });
  after(async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a follower answers order entry with 421 and the leader\'s URL, and serves public reads', async () => {
    const leader = await cluster.leader();
    const follower = [1, 2, 3].find((id) => id !== leader) as number;
    // Regression: fetch resends a 421 once by itself, and the follower used to check (and
    // remember) the signature first, so the resend came back as a replay (401).
    const r = await new RestClient(cluster.url(follower), { key: keys[1] }).request('POST', '/v1/orders', limitOrder(1, 'sell', '5000', '0.001'));
    assert.equal(r.status, 421, JSON.stringify(r.body));
    const error = (r.body as { error: { code: string; leader: { id: number; url: string } } }).error;
    assert.deepEqual([error.code, error.leader.id, error.leader.url], ['NOT_LEADER', leader, cluster.url(leader)]);
    const placed = await new RestClient(error.leader.url, { key: keys[1] }).request('POST', '/v1/orders', limitOrder(1, 'sell', '5000', '0.001'));
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    // The follower's committed view catches up: its book shows the order.
    let asks: unknown = [];
    for (let i = 0; i < 100 && JSON.stringify(asks) !== JSON.stringify([['5000', '0.001', 1]]); i++) {
      asks = ((await new RestClient(cluster.url(follower)).request('GET', '/v1/products/BTC-USD/book')).body as { asks: unknown }).asks;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(asks, [['5000', '0.001', 1]]);
  });

it('kill -9 of the leader while the SDK places orders: each order it reports placed exists exactly once', async () => {
    let client: BourseClient | undefined;
    try {
      const first = await cluster.leader();
      client = new BourseClient({
        nodes: cluster.members.map((m) => ({ host: m.host, binaryPort: m.binaryPort, httpUrl: cluster.url(m.id) })),
        apiKey: keys[0].keyId, apiSecret: keys[0].secret, requestTimeoutMs: 20_000,
      });
      await client.connect();
      const placed = new Map<number, number>();
      let next = 0;
      let killed = false;
      const worker = async (): Promise<void> => {
        while (next < ORDERS) {
          const clientOrderId = ++next;
          // Resting buys at distinct prices far below any sell: nothing trades.
          const result: CommandResult = await (client as BourseClient).placeOrder({ product: 1, side: 'buy', price: 1_000 + clientOrderId, qty: 1, clientOrderId });
          const report = result.reports[0];
          assert.ok(report.kind === ReportKind.New || report.kind === ReportKind.Duplicate, JSON.stringify(result));
          assert.ok(report.order > 0, `order ${clientOrderId} was placed: ${JSON.stringify(result)}`);
          assert.ok(!placed.has(clientOrderId));
          placed.set(clientOrderId, report.order);
          if (!killed && placed.size === ORDERS / 3) {
            killed = true;
            await cluster.kill(first);
          }
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, worker));
      assert.equal(placed.size, ORDERS);
      const second = await cluster.leader();
      assert.notEqual(second, first);
      const open = await new RestClient(cluster.url(second), { key: keys[0] }).request('GET', '/v1/orders');
      assert.equal(open.status, 200);
      const orders = open.body as { orderId: number; clientOrderId: number }[];
      // Exactly the orders reported, once each: none lost, none doubled.
      assert.equal(orders.length, ORDERS, `${orders.length} open orders for ${ORDERS} placed`);
      const byClient = new Map(orders.map((o) => [o.clientOrderId, o.orderId]));
      assert.equal(byClient.size, ORDERS);
      for (const [clientOrderId, order] of placed) assert.equal(byClient.get(clientOrderId), order, `client order ${clientOrderId}`);
    } finally {
      client?.close();
    }
  });
});
