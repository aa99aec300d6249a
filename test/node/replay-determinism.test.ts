/**
 * Replay determinism: random but meaningful command streams (test/support/command-stream.ts)
 * run through a node, with and without snapshots taken along the way (by snapshot() and by
 * the `everyEntries` policy), under each fsync policy, some with a restart in the middle.
 * After close(), a reopened node has the same state hash, and so has a fresh engine fed the
 * archive's events.
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
import { RecordingLogger, SMALL_SEGMENT, prng, replayArchive, snapshotFiles, submitInWindows, withTempDir } from './harness.ts';

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
  for (const half of halves) {
    calls = 0;
    const node = await Node.open(options());
    if (hash !== '') assert.equal(node.stateHash(), hash, 'a restart in the middle keeps the state');
    results.push(...await submitInWindows(node, half, random, 300, takeSnapshots(node)));
    await Promise.all(snapshots.splice(0));
    await node.close();
    hash = node.stateHash();
  }
  assert.deepEqual(results.map((r) => r.index), commands.map((_, i) => i + 1), 'one entry per command, gapless');
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

  const logger = new RecordingLogger();
  const reopened = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, logger });
  try {
    assert.equal(reopened.stateHash(), hash, 'the state after start-up is the state at shutdown');
    assert.equal(reopened.status().lastIndex, commands.length);
    assert.equal(reopened.status().snapshotIndex, newest, 'start-up uses the newest snapshot');
    assert.equal(logger.started().replayed, commands.length - newest, 'and replays only the entries after it');
    assert.deepEqual(logger.of('warn'), []);
  } finally {
    await reopened.close();
  }
  const replay = await replayArchive(join(dir, 'archive'));
  assert.equal(replay.lastIndex, commands.length);
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
