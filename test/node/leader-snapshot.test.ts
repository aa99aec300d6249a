/**
 * A leader's snapshot is of its last entry applied, which may not be committed yet: it is
 * written only once that entry commits, and dropped if another leader's entry takes its index.
 * Real `bourse node` processes: the followers killed while the leader runs an order (stopped,
 * they would still receive it: their sockets buffer it, and the next leader commits it), then
 * the leader stopped while they restart and elect one of themselves.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { RestClient } from '../../src/client/rest-client.ts';
import { listSnapshots } from '../../src/node/snapshot-store.ts';
import { limitOrder, setUpMarket } from '../gateway/support.ts';
import { ADMIN_KEY, ServerCluster } from '../support/server-cluster.ts';
import { until } from '../support/until.ts';

interface ClusterStatus { role: string; term: number; commitIndex: number; lastIndex: number; appliedIndex: number }

async function status(cluster: ServerCluster, id: number): Promise<ClusterStatus> {
  return (await new RestClient(cluster.url(id), {}, 1_000).request('GET', '/v1/cluster')).body as ClusterStatus;
}

it("a leader's snapshot of an entry that never commits is dropped: another leader's entry took its index", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-leader-snapshot-'));
  const cluster = await ServerCluster.start({ dir, nodes: 3, fsync: 'never' });
  const stopped = new Set<number>();
  const signal = (id: number, stop: boolean): void => {
    process.kill(cluster.pid(id) as number, stop ? 'SIGSTOP' : 'SIGCONT');
    if (stop) stopped.add(id);
    else stopped.delete(id);
  };
  try {
    const first = await cluster.leader();
    const keys = await setUpMarket(new RestClient(cluster.url(first), { adminKey: ADMIN_KEY }));
    const others = [1, 2, 3].filter((id) => id !== first);
    for (const id of others) await cluster.kill(id);
    // Run but not committed: the leader's state runs ahead of its commit index.
    const order = new RestClient(cluster.url(first), { key: keys[0] }, 30_000).request('POST', '/v1/orders', limitOrder(1, 'buy', '100', '1')).catch(() => undefined);
    await until(async () => {
      const s = await status(cluster, first);
      return s.appliedIndex > s.commitIndex;
    }, 'the leader ran the order');
    const ahead = await status(cluster, first);
    const snapshot = new RestClient(cluster.url(first), { adminKey: ADMIN_KEY }, 30_000).request('POST', '/v1/admin/snapshot');
    // The copy is taken at once; the snapshot then waits for its entry to commit.
    await new Promise((resolve) => setTimeout(resolve, 500));
    signal(first, true);
    for (const id of others) await cluster.startNode(id);
    const second = await cluster.leader(20_000);
    assert.notEqual(second, first);
    signal(first, false);

    const answer = await snapshot;
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.match(JSON.stringify(answer.body), new RegExp(`entry ${ahead.appliedIndex} of the snapshot was replaced before it committed`));
    await order;
    const written = await listSnapshots(join(dir, `node-${first}`, 'snapshots'));
    assert.deepEqual(written.filter((s) => s.index >= ahead.appliedIndex), [], 'no snapshot of the replaced entry');
    // The old leader follows the new one, its entry replaced: a snapshot now is of the new log.
    await until(async () => (await status(cluster, first)).commitIndex >= ahead.appliedIndex, 'the old leader learned the new commits');
    const again = await new RestClient(cluster.url(first), { adminKey: ADMIN_KEY }, 30_000).request('POST', '/v1/admin/snapshot');
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.ok((again.body as { term: number }).term > ahead.term, 'of an entry of a later term');
  } finally {
    for (const id of stopped) process.kill(cluster.pid(id) as number, 'SIGCONT');
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
