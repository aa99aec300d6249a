/**
 * Start-up's replay: a replay that cannot reach its target index fails, rather than passing a
 * state short of it off as that index's.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../src/application/engine.ts';
import { stateHash } from '../../src/application/snapshot.ts';
import { Archive } from '../../src/archive/archive.ts';
import { ArchiveError } from '../../src/archive/errors.ts';
import { Node } from '../../src/node/node.ts';
import { replayInto } from '../../src/node/replay.ts';
import { commandStream } from '../support/command-stream.ts';
import { flipBit, recordLocations } from '../archive/helpers.ts';
import { withTempDir } from './harness.ts';

describe('a replay', () => {
  it('reaches the state at its target, and one the archive cannot reach fails', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: 64 * 1024, snapshot: { everyEntries: 0 } });
      try {
        await Promise.all(commandStream(7, 1_500).map((c) => node.submit(c)));
      } finally {
        await node.close();
      }
      const target = node.status().lastIndex;
      const archiveDir = join(dir, 'archive');
      const whole = await Archive.open({ dir: archiveDir, mode: 'read' });
      try {
        const engine = new Engine();
        await replayInto(engine, whole, 1, target);
        assert.equal(stateHash(engine.state), node.stateHash(), 'the state at the target');
      } finally {
        await whole.close();
      }

      // Damage the payload of the second record: the archive, opened read-only, ends before it.
      const second = (await recordLocations(archiveDir))[1];
      await flipBit(second.file, second.offset + second.length - 8, 4);
      const damaged = await Archive.open({ dir: archiveDir, mode: 'read' });
      try {
        await assert.rejects(() => replayInto(new Engine(), damaged, 1, target),
          (error: Error) => error instanceof ArchiveError && error.code === 'OUT_OF_RANGE' && /found 1\b/.test(error.message));
      } finally {
        await damaged.close();
      }
    });
  });
});
