/**
 * Snapshots: the `everyEntries` policy (count) and the `everyMs` policy (time) produce them,
 * `keep` prunes the old ones, a snapshot's state hash is the hash of the state at its index
 * (checked against a replay of the archive up to it, and against the live state), and
 * start-up uses the newest and replays only the entries after it.
 *
 * A node alone begins its term with a no-op entry (index 1 of a fresh node): snapshot
 * indexes are committed indexes of the log, expected ones are taken from the answers and the
 * node's status, and entries counted (between snapshots, replayed) include no-ops.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeSnapshot, stateHash } from '../../src/application/snapshot.ts';
import { NodeError } from '../../src/node/errors.ts';
import { Node, type CommandResult } from '../../src/node/node.ts';
import { readSnapshot, snapshotName } from '../../src/node/snapshot-store.ts';
import { commandStream } from '../support/command-stream.ts';
import { RecordingLogger, SMALL_SEGMENT, checkArchiveHolds, prng, replayArchive, snapshotFiles, submitInWindows, withTempDir } from './harness.ts';

/** The `node: snapshot written` lines: index and state hash of every snapshot made. */
function written(logger: RecordingLogger): { index: number; stateHash: string }[] {
  return logger.lines.filter((l) => l.message === 'node: snapshot written')
    .map((l) => ({ index: l.fields.index as number, stateHash: l.fields.stateHash as string }));
}

/** Each snapshot file left: readable, its hash the replay's at its index, and its decoded state's. */
async function checkFiles(dir: string, expected: number[]): Promise<void> {
  const files = await snapshotFiles(dir);
  assert.deepEqual(files.map((f) => f.index), expected, 'the snapshot files kept');
  for (const f of files) {
    const snapshot = await readSnapshot(join(dir, 'snapshots', f.name));
    assert.equal(snapshot.index, f.index);
    const replay = await replayArchive(join(dir, 'archive'), f.index);
    assert.equal(snapshot.stateHash, replay.hash, `snapshot ${f.index} is the state at its index`);
    assert.equal(stateHash(decodeSnapshot(snapshot.slots)), replay.hash);
    // The time of its entry (of the last command at or before it, should it be a no-op).
    assert.equal(snapshot.timestampUs, replay.timestampUs, `snapshot ${f.index} has the time of its entry`);
    assert.equal(snapshot.term, replay.term, `snapshot ${f.index} has the term of its entry`);
    assert.equal(snapshot.term, 1, 'one term: the node ran once');
  }
}

/**
 * Reopens: start-up from the newest snapshot, replaying only what follows (no-ops included,
 * up to `lastIndex`, the log's end at shutdown); the same state.
 */
async function checkStartUp(dir: string, hash: string, lastIndex: number, newest: number): Promise<void> {
  const logger = new RecordingLogger();
  const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, logger });
  try {
    assert.equal(node.status().snapshotIndex, newest);
    assert.deepEqual(logger.started(), { ...logger.started(), snapshotIndex: newest, replayed: lastIndex - newest, lastIndex });
    assert.equal(node.status().lastIndex, lastIndex + 1, 'the log, and the no-op of the new term');
    assert.equal(node.stateHash(), hash);
  } finally {
    await node.close();
  }
}

describe('snapshots', () => {
  it('everyEntries: one at least that many entries after the previous; keep prunes; each is its index\'s state', async () => {
    await withTempDir(async (dir) => {
      const EVERY = 150;
      const logger = new RecordingLogger();
      const node = await Node.open({ dataDir: dir, fsync: 'always', segmentBytes: SMALL_SEGMENT, batchLimit: 16, logger,
        snapshot: { everyEntries: EVERY, keep: 2 } });
      try {
        const commands = commandStream(31, 1_800);
        const setup = 29;
        const first = await Promise.all(commands.slice(0, setup).map((c) => node.submit(c)));
        const setupIndex = (first.at(-1) as CommandResult).index;
        assert.equal((await node.snapshot()).index, setupIndex, 'a snapshot of the commit index: the last command answered');
        // Small windows with a pause: commits come often, and a snapshot's paced steps get their turns.
        const rest = await submitInWindows(node, commands.slice(setup), prng(31), 40, () => new Promise((resolve) => setTimeout(resolve, 2)));
        await node.close();
        const hash = node.stateHash();
        const lastIndex = node.status().lastIndex;
        const replay = await checkArchiveHolds(join(dir, 'archive'), [...first, ...rest]);
        assert.equal(replay.lastIndex, lastIndex);
        assert.equal(replay.hash, hash);
        const made = written(logger);
        assert.ok(made.length >= 4, `several snapshots by count, then pruned: ${JSON.stringify(made)}`);
        assert.equal(made[0].index, setupIndex);
        let previous = 0;
        for (const s of made) {
          if (previous > 0) assert.ok(s.index - previous >= EVERY, `snapshot ${s.index} at least ${EVERY} entries after ${previous}`);
          previous = s.index;
          // Pruned or not, each one was the state at its index.
          assert.equal(s.stateHash, (await replayArchive(join(dir, 'archive'), s.index)).hash, `snapshot ${s.index}`);
        }
        assert.ok(made.every((s) => s.index <= lastIndex), 'snapshots are of committed indexes');
        const kept = made.slice(-2).map((s) => s.index).reverse();
        await checkFiles(dir, kept);
        await checkStartUp(dir, hash, lastIndex, kept[0]);
      } finally {
        // Also when a check failed: an open node keeps the process alive.
        await node.close();
      }
    });
  });

  it('everyMs: snapshots by time while entries come, none without new entries', async () => {
    await withTempDir(async (dir) => {
      const logger = new RecordingLogger();
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT, logger,
        snapshot: { everyEntries: 0, everyMs: 100, keep: 10 } });
      try {
        const commands = commandStream(32, 600);
        const first = await Promise.all(commands.slice(0, 20).map((c) => node.submit(c)));
        const firstIndex = (first.at(-1) as CommandResult).index;
        assert.equal((await node.snapshot()).index, firstIndex);
        const started = Date.now();
        // About 800 ms of a slow trickle of commands.
        let i = 20;
        while (i < commands.length) {
          await Promise.all(commands.slice(i, i + 20).map((c) => node.submit(c)));
          i += 20;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        const elapsed = Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
        const made = written(logger);
        assert.equal(made[0].index, firstIndex);
        assert.ok(made.length >= 3, `snapshots by time over ${elapsed} ms: ${JSON.stringify(made)}`);
        assert.ok(made.length - 1 <= Math.ceil(elapsed / 100), `at most one per 100 ms over ${elapsed} ms: ${made.length - 1}`);
        // Idle: time passes, nothing new, no snapshot.
        const count = made.length;
        await new Promise((resolve) => setTimeout(resolve, 250));
        assert.equal(written(logger).length, count);
        await node.close();
        assert.equal(written(logger).length, count, 'close() takes no snapshot of its own');
        const lastIndex = node.status().lastIndex;
        assert.equal(lastIndex, commands.length + 1, 'the commands and the no-op of the term');
        const files = await snapshotFiles(dir);
        assert.deepEqual(files.map((f) => f.index), made.map((s) => s.index).reverse());
        await checkFiles(dir, files.map((f) => f.index));
        await checkStartUp(dir, node.stateHash(), lastIndex, files[0].index);
      } finally {
        // Also when a check failed: an open node keeps the process alive.
        await node.close();
      }
    });
  });

  it('snapshot() while commands flow is the state at the last entry applied at the call, written once that commits; keep 1 keeps the newest only', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'always', segmentBytes: SMALL_SEGMENT, batchLimit: 16,
        snapshot: { everyEntries: 0, keep: 1 } });
      try {
        const commands = commandStream(33, 2_000);
        const taken: { index: number; stateHash: string }[] = [];
        let ahead = 0;
        // Quiet moments: the snapshot equals the live state.
        const quiet = await Promise.all(commands.slice(0, 300).map((c) => node.submit(c)));
        const quietIndex = (quiet.at(-1) as CommandResult).index;
        assert.equal(node.status().commitIndex, quietIndex);
        await assert.rejects(node.snapshot().then(() => node.snapshot()), (e: unknown) => e instanceof NodeError && e.code === 'NOTHING_TO_DO');
        assert.equal(node.status().snapshotIndex, quietIndex);
        const live = node.stateHash();
        assert.equal((await readSnapshot(join(dir, 'snapshots', snapshotName(quietIndex)))).stateHash, live, 'the snapshot is the live state');
        // Busy moments: a snapshot of the last entry applied, run ahead of the commit index, while more commands keep coming.
        let i = 300;
        while (i < commands.length) {
          const first = commands.slice(i, i + 75).map((c) => node.submit(c));
          // The first batch committed; the rest of the window (group commit) follows.
          await first[0];
          const { applied: at, commitIndex } = node.status();
          ahead += at > commitIndex ? 1 : 0;
          const snapshot = node.snapshot();
          // Submitted after the call: run and committed while the snapshot is encoded and written.
          const second = commands.slice(i + 75, i + 150).map((c) => node.submit(c));
          await Promise.all([...first, ...second]);
          const result = await snapshot;
          assert.equal(result.index, at, 'a snapshot is of the last entry applied when it was asked for');
          taken.push(result);
          i += 150;
        }
        assert.ok(ahead > 0, 'some snapshots were asked for while their entry was not yet committed');
        await node.close();
        for (const s of taken) assert.equal(s.stateHash, (await replayArchive(join(dir, 'archive'), s.index)).hash, `snapshot ${s.index}`);
        const lastIndex = node.status().lastIndex;
        assert.equal(lastIndex, commands.length + 1, 'the commands and the no-op of the term');
        const newest = taken.at(-1)?.index ?? 0;
        await checkFiles(dir, [newest]);
        await checkStartUp(dir, node.stateHash(), lastIndex, newest);
      } finally {
        // Also when a check failed: an open node keeps the process alive.
        await node.close();
      }
    });
  });
});
