/**
 * The metadata file (currentTerm, votedFor): round trips, a missing file, every kind of damage
 * refused with its documented code, and a leftover meta.tmp that changes nothing.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import type { ArchiveErrorCode } from '../../src/archive/errors.ts';
import { readMeta, writeMeta } from '../../src/archive/meta.ts';
import { TempDirs, expectArchiveError, flipBit } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

/** The documented fields of the state read (the file may carry more after them). */
async function termAndVote(dir: string): Promise<{ currentTerm: number; votedFor: number }> {
  const { currentTerm, votedFor } = await readMeta(dir);
  return { currentTerm, votedFor };
}

describe('meta', () => {
  it('round trips any safe term and vote; each write replaces the last', async () => {
    const dir = await temp.make('bourse-meta-');
    const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    await fc.assert(
      fc.asyncProperty(safe, safe, async (currentTerm, votedFor) => {
        await writeMeta(dir, { currentTerm, votedFor });
        assert.deepEqual(await termAndVote(dir), { currentTerm, votedFor });
      }),
      { numRuns: 50 },
    );
    await writeMeta(dir, { currentTerm: 0, votedFor: 0 });
    assert.deepEqual(await termAndVote(dir), { currentTerm: 0, votedFor: 0 });
    assert.deepEqual((await readdir(dir)).sort(), ['meta'], 'no temporary file is left');
  });

  it('the layout: magic, version, CRC-32 (zlib\'s) of bytes 16.., term at 16, vote at 24', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 42, votedFor: 3 });
    const bytes = await readFile(join(dir, 'meta'));
    // At least the 32 bytes of term and vote; fields after them (a commit index) share the CRC.
    assert.ok(bytes.byteLength >= 32 && bytes.byteLength % 8 === 0, `${bytes.byteLength} bytes`);
    assert.equal(bytes.subarray(0, 8).toString('latin1'), 'BSRSMETA');
    const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.equal(d.getUint32(8, true), 1);
    assert.equal(d.getUint32(12, true), crc32(bytes.subarray(16)));
    assert.equal(d.getFloat64(16, true), 42);
    assert.equal(d.getFloat64(24, true), 3);
  });

  it('a missing file reads as term 0, no vote', async () => {
    const dir = await temp.make('bourse-meta-');
    assert.deepEqual(await termAndVote(dir), { currentTerm: 0, votedFor: 0 });
  });

  it('every bit flip is refused: BAD_MAGIC, BAD_VERSION or BAD_HEADER by where it falls', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 7, votedFor: 2 });
    const file = join(dir, 'meta');
    const size = (await readFile(file)).byteLength;
    for (let byte = 0; byte < size; byte++) {
      const code: ArchiveErrorCode = byte < 8 ? 'BAD_MAGIC' : byte < 12 ? 'BAD_VERSION' : 'BAD_HEADER';
      for (let bit = 0; bit < 8; bit++) {
        await flipBit(file, byte, bit);
        await expectArchiveError(() => readMeta(dir), code, { file });
        await flipBit(file, byte, bit);
      }
    }
    assert.deepEqual(await termAndVote(dir), { currentTerm: 7, votedFor: 2 });
  });

  it('a short, long, empty or foreign file is BAD_MAGIC; invalid fields under a valid CRC are BAD_HEADER', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 7, votedFor: 2 });
    const file = join(dir, 'meta');
    const good = await readFile(file);
    const notMeta = Buffer.alloc(good.byteLength, 'not meta at all ');
    for (const bytes of [good.subarray(0, good.byteLength - 1), Buffer.concat([good, Buffer.alloc(8)]), Buffer.alloc(0), notMeta]) {
      await writeFile(file, bytes);
      await expectArchiveError(() => readMeta(dir), 'BAD_MAGIC', { file });
    }
    for (const [term, vote] of [[-1, 0], [1.5, 0], [0, -2], [2 ** 53, 0], [Number.NaN, 1]]) {
      const bytes = Buffer.from(good);
      const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      d.setFloat64(16, term, true);
      d.setFloat64(24, vote, true);
      d.setUint32(12, crc32(bytes.subarray(16)), true);
      await writeFile(file, bytes);
      await expectArchiveError(() => readMeta(dir), 'BAD_HEADER', { file });
    }
  });

  it('a leftover meta.tmp (a crash mid-replace) changes nothing, and the next write replaces it', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 5, votedFor: 1 });
    await writeFile(join(dir, 'meta.tmp'), Buffer.from('half-written garbage'));
    assert.deepEqual(await termAndVote(dir), { currentTerm: 5, votedFor: 1 });
    await writeMeta(dir, { currentTerm: 6, votedFor: 0 });
    assert.deepEqual(await termAndVote(dir), { currentTerm: 6, votedFor: 0 });
    assert.deepEqual((await readdir(dir)).sort(), ['meta']);
    // A meta.tmp with no meta at all: still no state.
    const other = await temp.make('bourse-meta-');
    await writeFile(join(other, 'meta.tmp'), Buffer.alloc(32, 1));
    assert.deepEqual(await termAndVote(other), { currentTerm: 0, votedFor: 0 });
  });
});
