/**
 * A large file beside the log goes to disk in synced chunks: every byte arrives where
 * it belongs, and each chunk is written (and synced) before the next one is asked for.
 */
import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SYNCED_CHUNK_BYTES, writeInSyncedChunks } from '../../src/archive/synced-chunks.ts';
import { TempDirs } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

describe('writeInSyncedChunks', () => {
  it('writes every byte in chunks, in order, the last one short', async () => {
    const path = join(await temp.make('bourse-chunks-'), 'file');
    const data = new Uint8Array(2 * SYNCED_CHUNK_BYTES + 12_345).map((_, i) => (i * 7 + (i >> 20)) & 255);
    const asked: [number, number][] = [];
    const fh = await open(path, 'w');
    try {
      await writeInSyncedChunks(fh, data.byteLength, (at, size) => {
        asked.push([at, size]);
        return data.subarray(at, at + size);
      });
    } finally {
      await fh.close();
    }
    assert.deepEqual(asked, [[0, SYNCED_CHUNK_BYTES], [SYNCED_CHUNK_BYTES, SYNCED_CHUNK_BYTES], [2 * SYNCED_CHUNK_BYTES, 12_345]]);
    assert.deepEqual(new Uint8Array(await readFile(path)), data);
  });
});
