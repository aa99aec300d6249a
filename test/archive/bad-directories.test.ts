/**
 * Directories and files that are not a sound archive: each gives its documented error code
 * (docs/archive-format.md, "Errors"), from Archive.open in every mode and from verifyArchive,
 * and nothing is changed by looking. Also what a writable open does to a missing directory and
 * to leftover temporary files.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { Archive } from '../../src/archive/archive.ts';
import { ArchiveError, type ArchiveErrorCode } from '../../src/archive/errors.ts';
import { segmentFileName } from '../../src/archive/format.ts';
import { readMeta, writeMeta } from '../../src/archive/meta.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import {
  SEGMENT_BYTES, TempDirs, assertDeterministic, dirFingerprint, expectArchiveError, payloadFor, readAll, readBytes, segmentFiles,
  termFor, timeFor, writeBytes, writeEntries,
} from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const big = (i: number): Uint8Array => payloadFor(i, 1000);

async function termAndVote(dir: string): Promise<{ currentTerm: number; votedFor: number }> {
  const { currentTerm, votedFor } = await readMeta(dir);
  return { currentTerm, votedFor };
}

/** An archive of entries 1..n with 1000-byte payloads: 62 per segment. */
async function build(n: number): Promise<string> {
  const dir = join(await temp.make('bourse-bad-'), 'archive');
  const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
  try {
    for (let i = 1; i <= n; i++) a.add(i, termFor(i), 1, timeFor(i), big(i));
    await a.flush();
  } finally {
    await a.close();
  }
  return dir;
}

/**
 * The directory is refused with `code` by every open and reported by verify as corruption
 * (or, for NOT_AN_ARCHIVE, refused by verify too), naming `file`; nothing on disk changes.
 */
async function expectRefused(dir: string, code: ArchiveErrorCode, where: { file?: string; offset?: number; index?: number }): Promise<void> {
  const before = await dirFingerprint(dir);
  for (const mode of ['repair', 'read'] as const) {
    await expectArchiveError(() => Archive.open({ dir, segmentBytes: SEGMENT_BYTES, mode }), code, where);
  }
  if (code === 'NOT_AN_ARCHIVE') {
    await expectArchiveError(() => verifyArchive(dir), code, where);
  } else {
    const report = await verifyArchive(dir);
    assert.equal(report.clean, false);
    assert.equal(report.problems.length, 1, JSON.stringify(report.problems));
    const p = report.problems[0];
    assert.equal(p.kind, 'corruption');
    assert.equal(p.code, code, p.message);
    if (where.file !== undefined) assert.equal(p.file, where.file);
    if (where.offset !== undefined) assert.equal(p.offset, where.offset);
    if (where.index !== undefined) assert.equal(p.index, where.index);
  }
  assert.equal(await dirFingerprint(dir), before, 'looking changed the directory');
}

/** Recomputes a segment header's CRC (zlib's CRC-32 of bytes 0..31) after editing it. */
async function editHeader(file: string, edit: (d: DataView) => void): Promise<void> {
  const h = await readBytes(file, 0, 64);
  const d = new DataView(h.buffer);
  edit(d);
  d.setUint32(32, crc32(h.subarray(0, 32)), true);
  await writeBytes(file, 0, h);
}

describe('bad segment files', () => {
  it('a missing middle segment is a GAP at the next one', async () => {
    const dir = await build(200);
    const files = await segmentFiles(dir);
    assert.equal(files.length, 4);
    const missingFrom = Number(/(\d{20})/.exec(basename(files[1]))?.[1]);
    await rm(files[1]);
    await expectRefused(dir, 'GAP', { file: files[2], offset: 64, index: missingFrom });
  });

  it('a missing first segment is no gap: the archive starts later', async () => {
    const dir = await build(200);
    const files = await segmentFiles(dir);
    const from = Number(/(\d{20})/.exec(basename(files[1]))?.[1]);
    await rm(files[0]);
    const report = await verifyArchive(dir);
    assert.equal(report.clean, true);
    assert.equal(report.firstIndex, from);
    const a = await Archive.open({ dir, mode: 'read' });
    try {
      assert.equal(a.firstIndex, from);
      assertDeterministic(await readAll(a), from, 200, big);
      assert.equal(await a.termAt(from - 1), 0, 'the term before the first entry kept is 0');
    } finally {
      await a.close();
    }
  });

  it('a format version this build does not read is BAD_VERSION', async () => {
    const dir = await build(10);
    const [file] = await segmentFiles(dir);
    await editHeader(file, (d) => d.setUint32(8, 2, true));
    await expectRefused(dir, 'BAD_VERSION', { file, offset: 8 });
  });

  it('a wrong magic is BAD_MAGIC', async () => {
    const dir = await build(10);
    const [file] = await segmentFiles(dir);
    await writeBytes(file, 0, new TextEncoder().encode('BOURSEAX'));
    await expectRefused(dir, 'BAD_MAGIC', { file, offset: 0 });
  });

  it('a header size other than 64, or a segment size other than the file\'s, is BAD_HEADER (checksum valid)', async () => {
    const dir = await build(10);
    const [file] = await segmentFiles(dir);
    await editHeader(file, (d) => d.setUint32(12, 128, true));
    await expectRefused(dir, 'BAD_HEADER', { file, offset: 0 });
    await editHeader(file, (d) => {
      d.setUint32(12, 64, true);
      d.setFloat64(24, SEGMENT_BYTES * 2, true);
    });
    await expectRefused(dir, 'BAD_HEADER', { file, offset: 0 });
    await editHeader(file, (d) => d.setFloat64(24, SEGMENT_BYTES, true));
    assert.equal((await verifyArchive(dir)).clean, true, 'the header restored');
    // The file no longer has the size its header says.
    await appendFile(file, new Uint8Array(8));
    await expectRefused(dir, 'BAD_HEADER', { file, offset: 0 });
  });

  it('a zero-length segment file is SEGMENT_TOO_SHORT, alone or after good segments', async () => {
    const alone = join(await temp.make('bourse-bad-'), 'archive');
    await mkdir(alone);
    await writeFile(join(alone, segmentFileName(1)), new Uint8Array(0));
    await expectRefused(alone, 'SEGMENT_TOO_SHORT', { file: join(alone, segmentFileName(1)), offset: 0 });

    const dir = await build(70);
    const files = await segmentFiles(dir);
    assert.equal(files.length, 2);
    const extra = join(dir, segmentFileName(71));
    await writeFile(extra, new Uint8Array(0));
    await expectRefused(dir, 'SEGMENT_TOO_SHORT', { file: extra, offset: 0 });
  });

  it('random bytes under a segment name are BAD_MAGIC (SEGMENT_TOO_SHORT under 64 bytes)', async () => {
    const dir = join(await temp.make('bourse-bad-'), 'archive');
    await mkdir(dir);
    const file = join(dir, segmentFileName(1));
    const garbage = randomBytes(4096);
    garbage[0] = 0; // not "B": cannot start with the magic by chance
    await writeFile(file, garbage);
    await expectRefused(dir, 'BAD_MAGIC', { file, offset: 0 });
    await writeFile(file, garbage.subarray(0, 40));
    await expectRefused(dir, 'SEGMENT_TOO_SHORT', { file, offset: 0 });
  });

  it('a segment whose header disagrees with its file name is BAD_HEADER', async () => {
    const dir = await build(10);
    const [file] = await segmentFiles(dir);
    const renamed = join(dir, segmentFileName(7));
    await rename(file, renamed);
    const e = await expectArchiveError(() => Archive.open({ dir, mode: 'read' }), 'BAD_HEADER', { file: renamed, offset: 0 });
    assert.match(e.message, /first index 1.*7/);
    await expectRefused(dir, 'BAD_HEADER', { file: renamed, offset: 0 });
  });
});

describe('directories that are not an archive', () => {
  it('an unexpected file (or subdirectory) is NOT_AN_ARCHIVE, naming it', async () => {
    const dir = await build(10);
    await writeFile(join(dir, 'notes.txt'), 'hello');
    await expectRefused(dir, 'NOT_AN_ARCHIVE', { file: join(dir, 'notes.txt') });
    await rm(join(dir, 'notes.txt'));
    await mkdir(join(dir, 'sub'));
    await expectRefused(dir, 'NOT_AN_ARCHIVE', { file: join(dir, 'sub') });
    await rm(join(dir, 'sub'), { recursive: true });
    // A segment-like name that is not exactly one is unexpected too.
    await writeFile(join(dir, 'segment-1.log'), '');
    await expectRefused(dir, 'NOT_AN_ARCHIVE', { file: join(dir, 'segment-1.log') });
  });

  it('a missing directory: NOT_AN_ARCHIVE read-only and for verify; a writable open creates it', async () => {
    const parent = await temp.make('bourse-bad-');
    const dir = join(parent, 'not', 'yet');
    await expectArchiveError(() => Archive.open({ dir, mode: 'read' }), 'NOT_AN_ARCHIVE', { file: dir });
    await expectArchiveError(() => Archive.open({ dir, mode: 'report' }), 'NOT_AN_ARCHIVE', { file: dir });
    await expectArchiveError(() => verifyArchive(dir), 'NOT_AN_ARCHIVE', { file: dir });
    await assert.rejects(stat(dir), { code: 'ENOENT' }, 'looking created nothing');

    const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
    try {
      assert.ok((await stat(dir)).isDirectory());
      assert.equal(a.lastIndex, 0);
      assert.equal(a.firstIndex, 1);
      await writeEntries(a, 1, 5, false);
    } finally {
      await a.close();
    }
    const b = await Archive.open({ dir, mode: 'read' });
    try {
      assertDeterministic(await readAll(b), 1, 5);
    } finally {
      await b.close();
    }
  });

  it('an empty directory is an empty archive, and a new archive may start at any index', async () => {
    const dir = join(await temp.make('bourse-bad-'), 'archive');
    await mkdir(dir);
    const report = await verifyArchive(dir);
    assert.equal(report.clean, true);
    assert.equal(report.entries, 0);
    const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
    try {
      await writeEntries(a, 500, 520, false);
    } finally {
      await a.close();
    }
    assert.deepEqual(await segmentFiles(dir), [join(dir, segmentFileName(500))]);
    const b = await Archive.open({ dir, mode: 'read' });
    try {
      assert.equal(b.firstIndex, 500);
      assertDeterministic(await readAll(b), 500, 520);
    } finally {
      await b.close();
    }
  });
});

describe('temporary files', () => {
  it('leftover *.tmp files are kept by read-only opens and removed by a writable open', async () => {
    const dir = await build(70);
    await writeMeta(dir, { currentTerm: 3, votedFor: 2 });
    const leftovers = ['next.tmp', `${segmentFileName(71)}.tmp`, 'meta.tmp'];
    for (const name of leftovers) await writeFile(join(dir, name), randomBytes(100));
    const before = await dirFingerprint(dir);
    const report = await verifyArchive(dir);
    assert.equal(report.clean, true, JSON.stringify(report.problems));
    const r = await Archive.open({ dir, mode: 'read' });
    await r.close();
    assert.equal(await dirFingerprint(dir), before);
    assert.deepEqual(await termAndVote(dir), { currentTerm: 3, votedFor: 2 }, 'meta.tmp does not affect meta');

    const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
    try {
      const names = await readdir(dir);
      for (const name of leftovers.slice(1)) assert.ok(!names.includes(name), `${name} was not removed`);
      // next.tmp is also the name of a segment the archive prepares itself: if there is one, it
      // is not the leftover (100 random bytes) but a zero-filled file being made.
      if (names.includes('next.tmp')) assert.notEqual((await stat(join(dir, 'next.tmp'))).size, 100);
      await writeEntries(a, 71, 80, false);
    } finally {
      await a.close();
    }
    // After close, only segments and meta remain (a segment being prepared is removed too).
    const names = (await readdir(dir)).sort();
    assert.deepEqual(names, [...(await segmentFiles(dir)).map((f) => basename(f)), 'meta'].sort());
    assert.deepEqual(await termAndVote(dir), { currentTerm: 3, votedFor: 2 });
    const b = await Archive.open({ dir, mode: 'read' });
    try {
      assertDeterministic(await readAll(b), 1, 80, (i) => (i <= 70 ? big(i) : payloadFor(i)));
    } finally {
      await b.close();
    }
  });

  it('ArchiveError carries its code, file, offset and index in the message', () => {
    const e = new ArchiveError('GAP', 'an index is missing', '/x/segment', 64, 12);
    assert.equal(e.name, 'ArchiveError');
    assert.equal(e.message, 'GAP: an index is missing (file /x/segment, offset 64, index 12)');
    assert.equal(new ArchiveError('CLOSED', 'closed').message, 'CLOSED: closed');
  });
});
