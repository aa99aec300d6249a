/**
 * A leader deposed while it runs (its process stopped past the election timeout, then let go)
 * follows the new leader, and once its view and its state are both at the commit index the view
 * holds its state again (bourse_view_holds_state, as on the other followers): it no longer applies
 * each entry twice. Its view then shows what the new leader commits. Real `bourse node` processes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { RestClient } from '../../src/client/rest-client.ts';
import { expectStatus, limitOrder, setUpMarket } from '../gateway/support.ts';
import { ADMIN_KEY, ServerCluster } from '../support/server-cluster.ts';
import { until } from '../support/until.ts';

async function holdsState(cluster: ServerCluster, id: number): Promise<boolean> {
  const r = await new RestClient(cluster.url(id), {}, 1_000).request('GET', '/metrics').catch(() => undefined);
  return typeof r?.body === 'string' && /^bourse_view_holds_state 1$/m.test(r.body);
}

async function book(cluster: ServerCluster, id: number): Promise<string> {
  const r = await new RestClient(cluster.url(id), {}, 1_000).request('GET', '/v1/products/BTC-USD/book');
  return JSON.stringify(r.body);
}

it('a deposed leader that follows again has its view hold its state, and the view keeps up', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-deposed-'));
  const cluster = await ServerCluster.start({ dir, nodes: 3, fsync: 'never' });
  let stopped: number | undefined;
  try {
    const first = await cluster.leader();
    const keys = await setUpMarket(new RestClient(cluster.url(first), { adminKey: ADMIN_KEY }));
    await expectStatus(new RestClient(cluster.url(first), { key: keys[0] }).request('POST', '/v1/orders', limitOrder(1, 'buy', '100', '1')), 201);
    const others = [1, 2, 3].filter((id) => id !== first);
    for (const id of others) await until(() => holdsState(cluster, id), `follower ${id}'s view holds its state`);
    assert.equal(await holdsState(cluster, first), false, "a leader's state runs ahead of its view");

    // Stopped past the election timeout: the others elect one of themselves.
    stopped = first;
    process.kill(cluster.pid(first) as number, 'SIGSTOP');
    // The stopped one does not answer: only another can be found leading.
    const second = await cluster.leader(20_000);
    assert.notEqual(second, first);
    await expectStatus(new RestClient(cluster.url(second), { key: keys[1] }).request('POST', '/v1/orders', limitOrder(2, 'sell', '101', '1')), 201);
    process.kill(cluster.pid(first) as number, 'SIGCONT');
    stopped = undefined;

    await until(() => holdsState(cluster, first), 'the deposed leader\'s view holds its state', 20_000);
    // Entries committed since reach its view through the state they share.
    await expectStatus(new RestClient(cluster.url(second), { key: keys[1] }).request('POST', '/v1/orders', limitOrder(3, 'sell', '102', '2')), 201);
    const expected = await book(cluster, second);
    assert.match(expected, /"102"/);
    await until(async () => (await book(cluster, first)) === expected, 'the deposed leader\'s view shows the new leader\'s book');
  } finally {
    if (stopped !== undefined) process.kill(cluster.pid(stopped) as number, 'SIGCONT');
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
