/**
 * A snapshot build reads the archive only from the segment holding the first entry it replays
 * (the archive keeps all history: checking it all for each snapshot made each build slower than
 * the last), and a replay that cannot reach its target index fails rather than passing a state
 * short of it off as that index's.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../src/application/engine.ts';
import { decodeSnapshot, stateHash } from '../../src/application/snapshot.ts';
import { Archive } from '../../src/archive/archive.ts';
import { ArchiveError } from '../../src/archive/errors.ts';
import { Node } from '../../src/node/node.ts';
import { buildSnapshot, replayInto } from '../../src/node/snapshot-builder.ts';
import { readSnapshot } from '../../src/node/snapshot-store.ts';
import { commandStream } from '../support/command-stream.ts';
import { flipBit, recordLocations, segmentFiles } from '../archive/helpers.ts';
import { withTempDir } from './harness.ts';

describe('a snapshot build', () => {
  it('reads only the segments it replays, and a replay short of its target fails', async () => {
    await withTempDir(async (dir) => {
      const commands = commandStream(7, 1_500);
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: 64 * 1024, snapshot: { everyEntries: 0, keep: 5 } });
      let base: number;
      try {
        await Promise.all(commands.slice(0, 1_000).map((c) => node.submit(c)));
        base = (await node.snapshot()).index;
        await Promise.all(commands.slice(1_000).map((c) => node.submit(c)));
      } finally {
        await node.close();
      }
      const hash = node.stateHash();
      const target = node.status().lastIndex;
      const archiveDir = join(dir, 'archive');
      const locations = await recordLocations(archiveDir);
      assert.ok(locations.find((l) => l.index === base + 1)?.file !== (await segmentFiles(archiveDir))[0],
        'the entries after the snapshot start past the first segment');

      // Damage the payload of the second record, in the first segment.
      const second = locations[1];
      await flipBit(second.file, second.offset + second.length - 8, 4);
      const built = await buildSnapshot({ archiveDir, snapshotDir: join(dir, 'snapshots'), targetIndex: target, keep: 5 });
      assert.equal(built.index, target);
      assert.equal(built.replayed, target - base);
      assert.equal(stateHash(decodeSnapshot((await readSnapshot(built.path)).slots)), hash, 'the state at the target');

      // The whole archive, opened read-only, ends before the damage: replaying past it fails.
      const whole = await Archive.open({ dir: archiveDir, mode: 'read' });
      try {
        await assert.rejects(() => replayInto(new Engine(), whole, 1, target),
          (error: Error) => error instanceof ArchiveError && error.code === 'OUT_OF_RANGE' && /found 1\b/.test(error.message));
      } finally {
        await whole.close();
      }
    });
  });
});
