/**
 * The metadata file (currentTerm, votedFor, commit index): round trips, a missing file, the
 * two-slot layout, a damaged or half-written slot that leaves the other, damage to both refused
 * with its documented code, a version-1 file read and converted, and a leftover meta.tmp that
 * changes nothing.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import type { ArchiveErrorCode } from '../../src/archive/errors.ts';
import { META_FILE_BYTES, META_SLOT_BYTES, MetaFile, readMeta, writeMeta } from '../../src/archive/meta.ts';
import { TempDirs, expectArchiveError, flipBit, writeBytes } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

/** The documented fields of the state read (the file may carry more after them). */
async function termAndVote(dir: string): Promise<{ currentTerm: number; votedFor: number }> {
  const { currentTerm, votedFor } = await readMeta(dir);
  return { currentTerm, votedFor };
}

/** The slot's fields as the layout places them (offsets within the file). */
function slotAt(bytes: Uint8Array, slot: number): { magic: string; version: number; crcOk: boolean; sequence: number; term: number; vote: number; commit: number } {
  const at = slot * META_SLOT_BYTES;
  const d = new DataView(bytes.buffer, bytes.byteOffset + at, META_SLOT_BYTES);
  return {
    magic: Buffer.from(bytes.subarray(at, at + 8)).toString('latin1'), version: d.getUint32(8, true),
    crcOk: d.getUint32(12, true) === crc32(bytes.subarray(at + 16, at + META_SLOT_BYTES)),
    sequence: d.getFloat64(16, true), term: d.getFloat64(24, true), vote: d.getFloat64(32, true), commit: d.getFloat64(40, true),
  };
}

/** A version-1 file: one 40-byte record, CRC of bytes 16..39. */
function versionOne(term: number, vote: number, commit: number): Buffer {
  const bytes = Buffer.alloc(40);
  bytes.write('BSRSMETA', 0, 'latin1');
  bytes.writeUInt32LE(1, 8);
  bytes.writeDoubleLE(term, 16);
  bytes.writeDoubleLE(vote, 24);
  bytes.writeDoubleLE(commit, 32);
  bytes.writeUInt32LE(crc32(bytes.subarray(16)), 12);
  return bytes;
}

describe('meta', () => {
  it('round trips any safe term, vote and commit index; each write replaces the last', async () => {
    const dir = await temp.make('bourse-meta-');
    const file = await MetaFile.open(dir);
    try {
      const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
      await fc.assert(
        fc.asyncProperty(safe, safe, safe, async (currentTerm, votedFor, commitIndex) => {
          await file.write({ currentTerm, votedFor, commitIndex });
          assert.deepEqual(await readMeta(dir), { currentTerm, votedFor, commitIndex });
        }),
        { numRuns: 50 },
      );
      await file.write({ currentTerm: 0, votedFor: 0 });
      assert.deepEqual(await readMeta(dir), { currentTerm: 0, votedFor: 0, commitIndex: 0 });
    } finally {
      await file.close();
    }
    assert.deepEqual((await readdir(dir)).sort(), ['meta'], 'no temporary file is left');
    const again = await MetaFile.open(dir);
    assert.deepEqual(again.state, { currentTerm: 0, votedFor: 0, commitIndex: 0 });
    await again.close();
  });

  it('writes run in call order, each to the slot that is not the newest', async () => {
    const dir = await temp.make('bourse-meta-');
    const file = await MetaFile.open(dir);
    await Promise.all([1, 2, 3, 4, 5].map((term) => file.write({ currentTerm: term, votedFor: term % 3 })));
    await file.close();
    const bytes = await readFile(join(dir, 'meta'));
    const [a, b] = [slotAt(bytes, 0), slotAt(bytes, 1)];
    const [newer, older] = a.sequence > b.sequence ? [a, b] : [b, a];
    assert.equal(newer.sequence, older.sequence + 1);
    assert.deepEqual([newer.term, older.term], [5, 4]);
    assert.deepEqual(await termAndVote(dir), { currentTerm: 5, votedFor: 2 });
  });

  it('the layout: two 512-byte slots of magic, version 2, CRC-32 (zlib\'s) of bytes 16..511, sequence, term, vote, commit index', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 42, votedFor: 3, commitIndex: 99 });
    const bytes = await readFile(join(dir, 'meta'));
    assert.equal(bytes.byteLength, META_FILE_BYTES);
    const slots = [slotAt(bytes, 0), slotAt(bytes, 1)];
    for (const s of slots) assert.deepEqual([s.magic, s.version, s.crcOk], ['BSRSMETA', 2, true]);
    const newer = slots[0].sequence > slots[1].sequence ? slots[0] : slots[1];
    assert.deepEqual([newer.term, newer.vote, newer.commit], [42, 3, 99]);
    // A slot's sequence says where it lies: odd ones in the second slot.
    for (const [k, s] of slots.entries()) assert.equal(s.sequence % 2, k);
  });

  it('a missing file reads as term 0, no vote', async () => {
    const dir = await temp.make('bourse-meta-');
    assert.deepEqual(await readMeta(dir), { currentTerm: 0, votedFor: 0, commitIndex: 0 });
  });

  it('a bit flip in one slot leaves the other: the newest state, or the one before it if the newest slot is hit', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 7, votedFor: 2 });
    await writeMeta(dir, { currentTerm: 8, votedFor: 1 });
    const file = join(dir, 'meta');
    const bytes = await readFile(file);
    const newest = slotAt(bytes, 0).sequence > slotAt(bytes, 1).sequence ? 0 : 1;
    // Every bit of the newest slot's used bytes, and a sample of its padding; every byte of the older slot.
    for (const slot of [0, 1]) {
      const want = slot === newest ? { currentTerm: 7, votedFor: 2 } : { currentTerm: 8, votedFor: 1 };
      for (let byte = 0; byte < META_SLOT_BYTES; byte += byte < 48 ? 1 : 37) {
        for (let bit = 0; bit < 8; bit++) {
          await flipBit(file, slot * META_SLOT_BYTES + byte, bit);
          assert.deepEqual(await termAndVote(dir), want, `slot ${slot} byte ${byte} bit ${bit}`);
          await flipBit(file, slot * META_SLOT_BYTES + byte, bit);
        }
      }
    }
  });

  it('a write cut short leaves the state before it, and the next write goes on from there', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 3, votedFor: 1 });
    const file = join(dir, 'meta');
    const bytes = await readFile(file);
    const older = slotAt(bytes, 0).sequence > slotAt(bytes, 1).sequence ? 1 : 0;
    // The next write's target, half new bytes and half old: as a crash mid-write leaves it.
    await writeBytes(file, older * META_SLOT_BYTES + 20, Buffer.alloc(100, 0xab));
    assert.deepEqual(await termAndVote(dir), { currentTerm: 3, votedFor: 1 });
    await writeMeta(dir, { currentTerm: 4, votedFor: 0 });
    assert.deepEqual(await termAndVote(dir), { currentTerm: 4, votedFor: 0 });
  });

  it('the same damage to both slots is refused: BAD_MAGIC, BAD_VERSION or BAD_HEADER by where it falls', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 7, votedFor: 2 });
    const file = join(dir, 'meta');
    for (let byte = 0; byte < META_SLOT_BYTES; byte += byte < 48 ? 1 : 29) {
      const code: ArchiveErrorCode = byte < 8 ? 'BAD_MAGIC' : byte < 12 ? 'BAD_VERSION' : 'BAD_HEADER';
      for (const bit of [0, 5]) {
        for (const slot of [0, 1]) await flipBit(file, slot * META_SLOT_BYTES + byte, bit);
        await expectArchiveError(() => readMeta(dir), code, { file });
        await expectArchiveError(() => MetaFile.open(dir), code, { file });
        for (const slot of [0, 1]) await flipBit(file, slot * META_SLOT_BYTES + byte, bit);
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
    // In either slot: such a slot was written wrong, so neither is trusted.
    for (const slot of [0, 1]) {
      for (const [at, value] of [[16, -1], [24, 1.5], [32, -2], [40, 2 ** 53], [24, Number.NaN]]) {
        const bytes = Buffer.from(good);
        const base = slot * META_SLOT_BYTES;
        bytes.writeDoubleLE(value, base + at);
        bytes.writeUInt32LE(crc32(bytes.subarray(base + 16, base + META_SLOT_BYTES)), base + 12);
        await writeFile(file, bytes);
        await expectArchiveError(() => readMeta(dir), 'BAD_HEADER', { file });
      }
    }
  });

  it('a version-1 file is read, and opening it for writing turns it into version 2 with the same state', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeFile(join(dir, 'meta'), versionOne(9, 3, 1234));
    assert.deepEqual(await readMeta(dir), { currentTerm: 9, votedFor: 3, commitIndex: 1234 });
    const file = await MetaFile.open(dir);
    assert.deepEqual(file.state, { currentTerm: 9, votedFor: 3, commitIndex: 1234 });
    await file.close();
    assert.equal((await readFile(join(dir, 'meta'))).byteLength, META_FILE_BYTES);
    assert.deepEqual(await readMeta(dir), { currentTerm: 9, votedFor: 3, commitIndex: 1234 });
    // A damaged version-1 file is refused as before.
    await writeFile(join(dir, 'meta'), versionOne(9, 3, 1234).fill(0, 30, 31));
    await expectArchiveError(() => readMeta(dir), 'BAD_HEADER', { file: join(dir, 'meta') });
  });

  it('a leftover meta.tmp (a crash mid-replace) changes nothing, and the next open replaces it', async () => {
    const dir = await temp.make('bourse-meta-');
    await writeMeta(dir, { currentTerm: 5, votedFor: 1 });
    await writeFile(join(dir, 'meta.tmp'), Buffer.from('half-written garbage'));
    assert.deepEqual(await termAndVote(dir), { currentTerm: 5, votedFor: 1 });
    await writeMeta(dir, { currentTerm: 6, votedFor: 0 });
    assert.deepEqual(await termAndVote(dir), { currentTerm: 6, votedFor: 0 });
    // A meta.tmp with no meta at all: still no state, and the first open makes meta.
    const other = await temp.make('bourse-meta-');
    await writeFile(join(other, 'meta.tmp'), Buffer.alloc(32, 1));
    assert.deepEqual(await termAndVote(other), { currentTerm: 0, votedFor: 0 });
    await writeMeta(other, { currentTerm: 1, votedFor: 1 });
    assert.deepEqual((await readdir(other)).sort(), ['meta']);
  });
});
