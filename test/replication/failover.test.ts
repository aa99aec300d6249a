/**
 * Real processes: 3 nodes on loopback under load; the leader is killed with kill -9. A new
 * leader is elected, no acknowledged command is lost or applied twice, the restarted node
 * catches up, and all three reach the same state hash.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import type { Command } from '../../src/application/commands.ts';
import { ProcessCluster } from '../support/process-cluster.ts';

const RETRYABLE = new Set(['NOT_LEADER', 'LEADERSHIP_LOST', 'EXITED', 'TIMEOUT', 'CLOSED']);

it('kill -9 of the leader under load: new leader, nothing acknowledged lost or doubled, the same state everywhere', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-failover-'));
  const cluster = await ProcessCluster.start({ dir, nodes: 3, fsync: 'always' });
  try {
    let leader = await cluster.leader();
    // Submits until some leader commits it: the command must be idempotent (transfer ids are).
    const submit = async (command: Command): Promise<void> => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const r = await cluster.request(leader, { op: 'submit', command }, 5_000);
        if (r.ok) return;
        if (!RETRYABLE.has(r.code)) throw new Error(`${command.type}: ${r.code} ${r.message}`);
        leader = r.code === 'NOT_LEADER' && r.leaderId !== undefined && r.leaderId !== 0 && cluster.alive(r.leaderId)
          ? r.leaderId : await cluster.leader();
      }
      throw new Error(`${command.type} never committed`);
    };
    await submit({ type: 'CreateAsset', code: 'USD', scale: 6 });
    // Account creation is not idempotent: count afterwards and use those that exist.
    for (let a = 0; a < 4; a++) await submit({ type: 'CreateAccount' });

    const acked = new Set<number>();
    let nextTransfer = 1;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const transfer = nextTransfer++;
        await submit({ type: 'Deposit', transfer, account: 1 + (transfer % 4), asset: 1, amount: 1 });
        acked.add(transfer);
      }
    };
    const workers = Array.from({ length: 24 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const victim = leader;
    const ackedBeforeKill = acked.size;
    cluster.kill(victim);
    const killedAt = Date.now();
    const next = await cluster.leader();
    assert.notEqual(next, victim, 'a surviving node leads');
    const electedMs = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await cluster.startNode(victim);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stop = true;
    await Promise.all(workers);
    assert.ok(ackedBeforeKill > 100 && acked.size > ackedBeforeKill + 100, `load ran on both leaders: ${ackedBeforeKill}, ${acked.size}`);
    assert.ok(electedMs < 5_000, `a new leader within 5 s (took ${electedMs} ms)`);

    // Everyone converges: the same applied index and the same state hash.
    let hashes: { hash: string; applied: number }[] = [];
    for (let wait = 0; wait < 200; wait++) {
      const replies = await Promise.all([1, 2, 3].map((id) => cluster.request(id, { op: 'hash' })));
      hashes = replies.map((r) => (r.ok ? (r.value as { hash: string; applied: number }) : { hash: r.code, applied: -1 }));
      if (hashes.every((h) => h.applied === hashes[0].applied && h.hash === hashes[0].hash && h.applied > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(hashes.every((h) => h.hash === hashes[0].hash && h.applied === hashes[0].applied),
      `all three converge: ${JSON.stringify(hashes)}`);

    // Nothing acknowledged lost; nothing applied twice: each deposit of 1 counted once.
    for (const id of [1, 2, 3]) {
      const transfers = await cluster.request(id, { op: 'transfers' });
      assert.ok(transfers.ok);
      const present = new Set(transfers.value as number[]);
      const lost = [...acked].filter((t) => !present.has(t));
      assert.deepEqual(lost, [], `node ${id} lost acknowledged deposits`);
      let total = 0;
      for (let account = 1; account <= 4; account++) {
        const b = await cluster.request(id, { op: 'balance', account, asset: 1 });
        total += b.ok ? Number(b.value ?? 0) : 0;
      }
      assert.equal(total, present.size, `node ${id}: balances count each deposit once`);
    }
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
