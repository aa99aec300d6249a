/**
 * Real processes: a follower that was down while thousands of entries committed (far more than
 * the leader keeps in memory) is streamed from the leader's archive, then joins the live stream;
 * the leader never pauses, and all three end with the same state hash.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { ProcessCluster } from '../support/process-cluster.ts';

it('a follower far behind catches up from the leader\'s archive while commands keep committing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-catch-up-'));
  const cluster = await ProcessCluster.start({ dir, nodes: 3, fsync: 'never', cacheEntries: 16 });
  try {
    const leader = await cluster.leader();
    const setup = await cluster.request(leader, { op: 'setup-market' }, 30_000);
    assert.ok(setup.ok, JSON.stringify(setup));
    const follower = [1, 2, 3].find((id) => id !== leader) as number;
    cluster.kill(follower);
    const ahead = await cluster.request(leader, { op: 'load', kind: 'orders', commands: 20_000, clients: 256 }, 60_000);
    assert.ok(ahead.ok, JSON.stringify(ahead));
    await cluster.startNode(follower);
    // The leader keeps committing while the follower catches up.
    const during = await cluster.request(leader, { op: 'load', kind: 'orders', commands: 5_000, clients: 64 }, 60_000);
    assert.ok(during.ok, JSON.stringify(during));
    let hashes: { hash: string; applied: number; failure?: string }[] = [];
    for (let wait = 0; wait < 300; wait++) {
      const replies = await Promise.all([1, 2, 3].map((id) => cluster.request(id, { op: 'hash' })));
      hashes = replies.map((r) => (r.ok ? (r.value as { hash: string; applied: number; failure?: string }) : { hash: r.code, applied: -1 }));
      if (hashes.some((h) => h.failure !== undefined) || hashes.every((h) => h.applied === hashes[0].applied && h.hash === hashes[0].hash)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Regression: the cache ran ahead of a catching-up follower's disk, and the follower stopped.
    assert.ok(hashes.every((h) => h.failure === undefined), JSON.stringify(hashes));
    assert.ok(hashes.every((h) => h.hash === hashes[0].hash && h.applied === hashes[0].applied), JSON.stringify(hashes));
    assert.ok(hashes[0].applied > 25_000, `all entries applied: ${hashes[0].applied}`);
    // The leader learns what a follower holds from its next answer (a heartbeat's at the latest).
    let followers: { id: number; lag: number }[] = [];
    for (let wait = 0; wait < 100; wait++) {
      const status = await cluster.request(leader, { op: 'status' });
      assert.ok(status.ok);
      followers = (status.value as { followers: { id: number; lag: number }[] }).followers;
      if (followers.every((f) => f.lag === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(followers.every((f) => f.lag === 0), `no follower lags: ${JSON.stringify(followers)}`);
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
