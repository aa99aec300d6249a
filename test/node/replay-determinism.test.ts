/**
 * Replay determinism: random but meaningful command streams (test/support/command-stream.ts)
 * run through a node, with and without snapshots taken along the way (by snapshot() and by
 * the `everyEntries` policy), under each fsync policy, some with a restart in the middle.
 * After close(), a reopened node has the same state hash, and so has a fresh engine fed the
 * archive's events; the archive's command entries are exactly the commands answered, in order,
 * each once, and its other entries the no-ops that open each term (one per start-up).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine } from '../../src/application/engine.ts';
import { eventsOf } from '../../src/codec/events.ts';
import { Node, type CommandResult } from '../../src/node/node.ts';
import { NodeError } from '../../src/node/errors.ts';
import { commandStream } from '../support/command-stream.ts';
import { RecordingLogger, SMALL_SEGMENT, assertIncreasing, checkArchiveHolds, prng, snapshotFiles, submitInWindows, withTempDir } from './harness.ts';

const COMMANDS = 2_500;

interface Variant {
  name: string;
  fsync: string;
  /** Call snapshot() now and then while the stream runs (not awaited: commands keep coming). */
  manual: boolean;
  everyEntries: number;
  /** Close and reopen the node halfway through the stream. */
  restart: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'no snapshots, fsync always', fsync: 'always', manual: false, everyEntries: 0, restart: false },
  { name: 'snapshot() along the way, fsync never, restart halfway', fsync: 'never', manual: true, everyEntries: 0, restart: true },
  { name: 'everyEntries policy, fsync interval', fsync: 'interval:5', manual: false, everyEntries: 300, restart: false },
  { name: 'both, fsync always, restart halfway', fsync: 'always', manual: true, everyEntries: 450, restart: true },
];

/** Runs one stream through a node in `dir` (maybe restarting it halfway), then checks the reopened node and a replay. */
async function runStream(dir: string, seed: number, v: Variant): Promise<void> {
  const commands = commandStream(seed, COMMANDS);
  const random = prng(seed);
  const options = () => ({
    dataDir: dir, fsync: v.fsync, segmentBytes: SMALL_SEGMENT, batchLimit: 1 + Math.floor(random() * 200),
    snapshot: { everyEntries: v.everyEntries, keep: 2 },
  });
  const snapshots: Promise<unknown>[] = [];
  let calls = 0;
  const takeSnapshots = (node: Node) => () => {
    // After the first window of each half, then now and then.
    if (!v.manual || (calls > 0 && random() > 0.2)) return;
    calls++;
    // NOTHING_TO_DO is fine (nothing committed since the last one); anything else fails the test.
    snapshots.push(node.snapshot().catch((error: NodeError) => assert.equal(error.code, 'NOTHING_TO_DO')));
  };
  const halves = v.restart ? [commands.slice(0, commands.length >> 1), commands.slice(commands.length >> 1)] : [commands];
  const results: CommandResult[] = [];
  let hash = '';
  /** The log's last index at the last shutdown (no-ops included). */
  let lastIndex = 0;
  for (const half of halves) {
    calls = 0;
    const node = await Node.open(options());
    try {
      if (hash !== '') assert.equal(node.stateHash(), hash, 'a restart in the middle keeps the state');
      // Each start-up begins a term with a no-op: the log's next entry after the one before.
      assert.equal(node.status().lastIndex, lastIndex + 1, 'a start-up appends one no-op');
      results.push(...await submitInWindows(node, half, random, 300, takeSnapshots(node)));
      await Promise.all(snapshots.splice(0));
    } finally {
      await node.close();
    }
    hash = node.stateHash();
    lastIndex = node.status().lastIndex;
  }
  assert.equal(results.length, commands.length, 'one answer per command');
  assertIncreasing(results.map((r) => r.index), 'one entry per command, in order');
  assert.equal(lastIndex, commands.length + halves.length, 'the log: the commands and one no-op per start-up');
  // The node decides as a bare engine does (decisions never depend on the time).
  const engine = new Engine();
  commands.forEach((command, i) => {
    const start = engine.execute(command, i + 1);
    assert.deepEqual(results[i].events, eventsOf(engine.out.slots, start, engine.out.length), `events of command ${i + 1}`);
    engine.out.reset();
  });
  const count = (type: string) => results.filter((r) => r.events.some((e) => e.type === type)).length;
  assert.ok(count('Trade') > 0 && count('Rejected') > 0 && count('StopTriggered') > 0, 'the stream trades, rejects and triggers stops');

  const files = await snapshotFiles(dir);
  const newest = files[0]?.index ?? 0;
  if (v.manual || v.everyEntries > 0) assert.ok(newest > 0, 'snapshots were taken along the way');
  else assert.equal(files.length, 0, 'no snapshot without a policy or a call');

  // The archive's command entries are the commands answered (index, term, time, events), each once.
  const before = await checkArchiveHolds(join(dir, 'archive'), results);
  assert.equal(before.lastIndex, lastIndex);
  assert.equal(before.noops.length, halves.length, 'one no-op per start-up');
  assert.equal(before.hash, hash, "a fresh engine fed the archive's events reaches the state at shutdown");

  const logger = new RecordingLogger();
  const reopened = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, logger });
  try {
    assert.equal(reopened.stateHash(), hash, 'the state after start-up is the state at shutdown');
    assert.equal(reopened.status().lastIndex, lastIndex + 1, 'the log at shutdown, and the no-op of the new term');
    assert.equal(reopened.status().snapshotIndex, newest, 'start-up uses the newest snapshot');
    assert.equal(logger.started().replayed, lastIndex - newest, 'and replays only the entries after it (no-ops included)');
    assert.equal(logger.started().lastIndex, lastIndex);
    assert.deepEqual(logger.of('warn'), []);
  } finally {
    await reopened.close();
  }
  const replay = await checkArchiveHolds(join(dir, 'archive'), results, 'the archive after the reopen');
  assert.equal(replay.lastIndex, lastIndex + 1);
  assert.equal(replay.noops.length, halves.length + 1);
  assert.equal(replay.hash, hash, "a fresh engine fed the archive's events reaches the same state");
}

describe('replay determinism', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: reopened node and a fresh replay both reach the state at shutdown`, async () => {
      // Two streams per variant, each from a seed fast-check draws; a failure names its seed.
      await fc.assert(
        fc.asyncProperty(fc.integer(), (seed) => withTempDir((dir) => runStream(dir, seed, v))),
        { numRuns: 2, endOnFailure: true },
      );
    });
  }
});
