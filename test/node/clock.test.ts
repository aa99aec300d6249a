/**
 * The clock: a command's timestamp never goes back, even when the clock option does; after a
 * restart (from the archive alone, or from a snapshot) it stays at or above the last committed
 * time, whatever the clock says.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from '../../src/application/commands.ts';
import { Node } from '../../src/node/node.ts';
import { SMALL_SEGMENT, archivedCommands, replayArchive, withTempDir } from './harness.ts';

const deposit = (transfer: number): Command => ({ type: 'Deposit', transfer, account: 1, asset: 1, amount: 1 });
/** Rejected: no such account. */
const bad: Command = { type: 'Deposit', transfer: 999_999, account: 99, asset: 1, amount: 1 };

describe('the clock', () => {
  it('timestamps never go back when the clock does, one command at a time or in batches', async () => {
    await withTempDir(async (dir) => {
      let now = 1_000;
      let lastTime: number | undefined;
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT, batchLimit: 3, clock: () => now });
      try {
        await node.submit({ type: 'CreateAsset', code: 'COIN', scale: 0 });
        await node.submit({ type: 'CreateAccount' });
        const readings = [5_000, 3_000, 2_000, 7_000, 6_999, 7_000, 10, 7_001, 0, -5, 8_000];
        const stamps: number[] = [];
        for (const [k, reading] of readings.entries()) {
          now = reading;
          stamps.push((await node.submit(k % 4 === 3 ? bad : deposit(k + 1))).timestampUs);
        }
        assert.deepEqual(stamps, [5_000, 5_000, 5_000, 7_000, 7_000, 7_000, 7_000, 7_001, 7_001, 7_001, 8_000]);
        assert.equal(node.state.timestampUs, 8_000);
        // Many commands while the clock runs backwards, several turns of batches.
        const results = await Promise.all(Array.from({ length: 60 }, (_, k) => {
          now = 9_000 - k * 100;
          return node.submit(deposit(100 + k));
        }));
        const times = results.map((r) => r.timestampUs);
        assert.ok(times.every((t, k) => t >= 8_000 && (k === 0 || t >= times[k - 1])), JSON.stringify(times));
        lastTime = times[times.length - 1];
      } finally {
        await node.close();
      }
      // The archive has the last time.
      const replay = await replayArchive(join(dir, 'archive'));
      assert.equal(replay.timestampUs, lastTime);
      assert.equal(replay.engine.state.timestampUs, lastTime);
    });
  });

  for (const withSnapshot of [false, true]) {
    it(`after a restart ${withSnapshot ? 'from a snapshot' : 'from the archive'}, time stays at or above the last committed`, async () => {
      await withTempDir(async (dir) => {
        const node = await Node.open({ dataDir: dir, fsync: 'always', segmentBytes: SMALL_SEGMENT, clock: () => 50_000 });
        try {
          await node.submit({ type: 'CreateAsset', code: 'COIN', scale: 0 });
          await node.submit({ type: 'CreateAccount' });
          await node.submit(deposit(1));
          // The last committed entry is a rejected command: it sets the time all the same.
          const last = await node.submit(bad);
          assert.equal(last.events[0].type, 'Rejected');
          if (withSnapshot) {
            const snapshot = await node.snapshot();
            assert.equal(snapshot.timestampUs, 50_000);
            assert.equal(snapshot.index, last.index, 'a snapshot of the last committed entry');
          }
          await node.close();

          let now = 10;
          const reopened = await Node.open({ dataDir: dir, fsync: 'always', segmentBytes: SMALL_SEGMENT, clock: () => now });
          try {
            assert.equal(reopened.status().snapshotIndex, withSnapshot ? last.index : 0);
            assert.equal(reopened.state.timestampUs, 50_000);
            assert.equal((await reopened.submit(deposit(2))).timestampUs, 50_000, 'a clock behind the last committed time is not used');
            now = 49_999;
            assert.equal((await reopened.submit(deposit(3))).timestampUs, 50_000);
            now = 60_000;
            assert.equal((await reopened.submit(deposit(4))).timestampUs, 60_000, 'a clock ahead is');
            now = 1;
            assert.equal((await reopened.submit(deposit(5))).timestampUs, 60_000);
          } finally {
            await reopened.close();
          }
          // In the archive too, across the restart (the no-op that opened the new term carries no command time).
          const times = (await archivedCommands(join(dir, 'archive'))).map((e) => e.timestampUs);
          assert.deepEqual(times, [50_000, 50_000, 50_000, 50_000, 50_000, 50_000, 60_000, 60_000]);
        } finally {
          // Also when a check failed: an open node keeps the process alive.
          await node.close();
        }
      });
    });
  }

  it('the default clock: microseconds since the epoch, non-decreasing', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT });
      try {
        const before = Date.now() * 1_000;
        await node.submit({ type: 'CreateAsset', code: 'COIN', scale: 0 });
        await node.submit({ type: 'CreateAccount' });
        const times: number[] = [];
        for (let k = 0; k < 5; k++) {
          const window = await Promise.all(Array.from({ length: 50 }, (_, j) => node.submit(deposit(k * 100 + j + 1))));
          times.push(...window.map((r) => r.timestampUs));
        }
        const after = Date.now() * 1_000;
        assert.ok(times.every((t, k) => Number.isSafeInteger(t) && (k === 0 || t >= times[k - 1])));
        const last = times[times.length - 1];
        assert.ok(times[0] >= before - 5_000 && last <= after + 5_000, `${before} ≤ ${times[0]} … ${last} ≤ ${after}`);
      } finally {
        await node.close();
      }
    });
  });
});
