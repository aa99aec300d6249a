/**
 * Unusable snapshots: a newest snapshot with a flipped byte (anywhere: magic, checksum,
 * header, payload) or cut short makes start-up fall back to the previous one (or to none),
 * with a warning naming the file, and the state is the one at shutdown. A snapshot beyond the
 * archive's last index is ignored too. Snapshots built later (in the worker) also skip the
 * unusable one.
 *
 * A node alone begins each term (each start-up) with a no-op entry: the archive's last index
 * grows by one at every reopen, and the entries replayed at start-up include no-ops.
 */
import assert from 'node:assert/strict';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from '../../src/application/commands.ts';
import { encodeSnapshot } from '../../src/application/snapshot.ts';
import { State } from '../../src/application/state.ts';
import { Archive } from '../../src/archive/archive.ts';
import { Node, type CommandResult, type SnapshotResult } from '../../src/node/node.ts';
import { snapshotName, writeSnapshot } from '../../src/node/snapshot-store.ts';
import { commandStream } from '../support/command-stream.ts';
import { RecordingLogger, SMALL_SEGMENT, checkArchiveHolds, replayArchive, snapshotFiles, withTempDir } from './harness.ts';

interface Built {
  hash: string;
  /** The archive's last index (no-ops included), kept up to date by reopen(). */
  lastIndex: number;
  /** Snapshot indexes, oldest first. */
  snapshots: number[];
}

/** A node that ran a stream with two snapshots along the way, closed. */
async function build(dir: string): Promise<Built> {
  const commands = commandStream(21, 1_500);
  const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT, snapshot: { everyEntries: 0, keep: 5 } });
  const snapshots: number[] = [];
  const results: CommandResult[] = [];
  try {
    for (const [from, to] of [[0, 500], [500, 1_000], [1_000, commands.length]]) {
      results.push(...await Promise.all(commands.slice(from, to).map((c) => node.submit(c))));
      if (to < commands.length) {
        const { index } = await node.snapshot();
        assert.equal(index, (results.at(-1) as CommandResult).index, 'a snapshot of the last command committed');
        snapshots.push(index);
      }
    }
  } finally {
    await node.close();
  }
  assert.deepEqual((await snapshotFiles(dir)).map((f) => f.index), [...snapshots].reverse());
  const replay = await checkArchiveHolds(join(dir, 'archive'), results);
  assert.equal(replay.lastIndex, node.status().lastIndex);
  assert.equal(replay.hash, node.stateHash());
  return { hash: node.stateHash(), lastIndex: node.status().lastIndex, snapshots };
}

const snapshotPath = (dir: string, index: number): string => join(dir, 'snapshots', snapshotName(index));

/**
 * Reopens and checks: the expected snapshot used, only the entries after it replayed (no-ops
 * included), the same state. The reopened node appends the no-op of its term: `built.lastIndex`
 * moves on by one.
 */
async function reopen(dir: string, built: Built, expectedSnapshot: number, unusable: number[], what: string): Promise<void> {
  const logger = new RecordingLogger();
  const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, logger });
  try {
    assert.equal(node.status().snapshotIndex, expectedSnapshot, `${what}: snapshot used`);
    const started = logger.started();
    assert.equal(started.snapshotIndex, expectedSnapshot, what);
    assert.equal(started.lastIndex, built.lastIndex, `${what}: the archive at start-up`);
    assert.equal(started.replayed, built.lastIndex - expectedSnapshot, `${what}: entries replayed`);
    assert.equal(node.status().lastIndex, built.lastIndex + 1, `${what}: the archive and the no-op of the new term`);
    assert.equal(node.stateHash(), built.hash, `${what}: the state at shutdown`);
    const warnings = logger.of('warn').map((l) => l.message);
    assert.equal(warnings.length, unusable.length, `${what}: ${JSON.stringify(warnings)}`);
    for (const index of unusable) {
      assert.ok(warnings.some((w) => w.includes(snapshotName(index))), `${what}: a warning names ${snapshotName(index)}: ${JSON.stringify(warnings)}`);
    }
  } finally {
    await node.close();
  }
  built.lastIndex = node.status().lastIndex;
}

describe('unusable snapshots at start-up', () => {
  it('a flipped byte anywhere in the newest snapshot: back to the previous one, with a warning', async () => {
    await withTempDir(async (dir) => {
      const built = await build(dir);
      const [older, newest] = built.snapshots;
      const path = snapshotPath(dir, newest);
      const original = await readFile(path);
      const places: [string, number][] = [['magic', 0], ['version', 8], ['checksum', 12], ['index', 17], ['term', 24],
        ['timestamp', 33], ['state hash', 40], ['payload length', 72], ['payload start', 80],
        ['payload middle', 80 + ((original.byteLength - 80) >> 1)], ['last byte', original.byteLength - 1]];
      for (const [what, offset] of places) {
        const flipped = Buffer.from(original);
        flipped[offset] ^= 0x10;
        await writeFile(path, flipped);
        await reopen(dir, built, older, [newest], `flip in the ${what} (byte ${offset})`);
      }
      await writeFile(path, original);
      await reopen(dir, built, newest, [], 'restored');
    });
  });

  it('the newest snapshot cut short: back to the previous one; both unusable: back to none', async () => {
    await withTempDir(async (dir) => {
      const built = await build(dir);
      const [older, newest] = built.snapshots;
      const path = snapshotPath(dir, newest);
      const original = await readFile(path);
      for (const length of [0, 7, 80, original.byteLength >> 1, original.byteLength - 8]) {
        await truncate(path, length);
        await reopen(dir, built, older, [newest], `cut to ${length} bytes`);
        await writeFile(path, original);
      }
      await truncate(path, 100);
      const olderPath = snapshotPath(dir, older);
      const olderBytes = await readFile(olderPath);
      olderBytes[olderBytes.byteLength - 3] ^= 0xff;
      await writeFile(olderPath, olderBytes);
      await reopen(dir, built, 0, [newest, older], 'both unusable');
    });
  });

  it('a snapshot beyond the archive\'s last index is ignored (and removed, with a warning)', async () => {
    await withTempDir(async (dir) => {
      const built = await build(dir);
      const [older, newest] = built.snapshots;
      // Well-formed snapshots (of another state) that the archive does not reach.
      const other = new State();
      const beyond = [built.lastIndex + 100, built.lastIndex + 1];
      for (const index of beyond) await writeSnapshot(join(dir, 'snapshots'), { index, term: 1, timestampUs: 1 }, encodeSnapshot(other));
      await reopen(dir, built, newest, beyond, 'beyond the last index');
      assert.deepEqual((await snapshotFiles(dir)).map((f) => f.index), [newest, older]);
      // ... and then a corrupt newest usable one still falls back to the one before.
      await truncate(snapshotPath(dir, newest), 50);
      await reopen(dir, built, older, [newest], 'beyond the last index, newest usable corrupt');
    });
  });

  it('after a fallback, new snapshots are built (skipping the unusable one) and used', async () => {
    await withTempDir(async (dir) => {
      const built = await build(dir);
      const [older, newest] = built.snapshots;
      const bytes = await readFile(snapshotPath(dir, newest));
      bytes[200] ^= 1;
      await writeFile(snapshotPath(dir, newest), bytes);
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, snapshot: { everyEntries: 0, keep: 5 } });
      let taken: SnapshotResult;
      let results: CommandResult[];
      try {
        assert.equal(node.status().snapshotIndex, older);
        const more = commandStream(22, 200).slice(-100);
        const first = node.status().lastIndex + 1;
        assert.equal(first, built.lastIndex + 2, 'after the archive and the no-op of the new term');
        results = await Promise.all(more.map((c) => node.submit(c)));
        assert.deepEqual(results.map((r) => r.index), results.map((_, k) => first + k));
        taken = await node.snapshot();
      } finally {
        await node.close();
      }
      const lastIndex = (results.at(-1) as CommandResult).index;
      assert.equal(node.status().lastIndex, lastIndex);
      assert.equal(taken.index, lastIndex);
      const replay = await replayArchive(join(dir, 'archive'));
      assert.deepEqual(replay.commands.slice(-results.length), results.map((r) => r.index));
      assert.equal(taken.stateHash, replay.hash, 'the new snapshot is of the state at its index');
      assert.equal(node.stateHash(), replay.hash);
      await reopen(dir, { hash: replay.hash, lastIndex, snapshots: [] }, lastIndex, [], 'the new snapshot');
    });
  });

  // Regression: the snapshot beyond the end was skipped but kept, and used once new entries
  // reached its index — a state of entries the archive no longer has.
  it('a snapshot beyond the archive\'s end is never used, not even after the archive grows past it again', async () => {
    await withTempDir(async (dir) => {
      const built = await build(dir);
      const [older, newest] = built.snapshots;
      // What a power loss under fsync never or interval can leave: the snapshot (synced) survived,
      // the archive's tail (written, not yet synced) did not.
      const archive = await Archive.open({ dir: join(dir, 'archive'), segmentBytes: SMALL_SEGMENT });
      await archive.truncateAfter(newest - 100);
      await archive.close();
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      let results: CommandResult[];
      try {
        assert.equal(node.status().snapshotIndex, older);
        // The archive that is left, and the no-op of the new term after it.
        assert.equal(node.status().lastIndex, newest - 100 + 1);
        assert.equal(node.stateHash(), (await replayArchive(join(dir, 'archive'), newest - 100)).hash);
        // Other entries take the lost indexes, and more.
        const deposits = Array.from({ length: 300 }, (_, k): Command => ({ type: 'Deposit', transfer: 900_000 + k, account: 1, asset: 2, amount: 7 }));
        results = await Promise.all(deposits.map((c) => node.submit(c)));
      } finally {
        await node.close();
      }
      const lastIndex = (results.at(-1) as CommandResult).index;
      assert.equal(node.status().lastIndex, lastIndex);
      assert.ok(results[0].index <= newest && lastIndex > newest, 'new commands took the lost indexes, the snapshot\'s among them');
      const replay = await replayArchive(join(dir, 'archive'));
      assert.equal(replay.lastIndex, lastIndex);
      assert.deepEqual(replay.commands.slice(-results.length), results.map((r) => r.index));
      assert.equal(node.stateHash(), replay.hash);
      const logger = new RecordingLogger();
      const reopened = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, logger });
      try {
        assert.equal(logger.started().lastIndex, lastIndex);
        assert.equal(reopened.status().lastIndex, lastIndex + 1, 'the archive and the no-op of the new term');
        assert.equal(reopened.stateHash(), replay.hash, 'the state of the archive, not of the lost history');
        assert.equal(reopened.status().snapshotIndex, older);
      } finally {
        await reopened.close();
      }
    });
  });
});
