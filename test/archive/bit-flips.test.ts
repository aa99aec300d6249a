/**
 * Bit flips in records that are not the tail: each record was written in its own flush under
 * `always`, so every later record carries a synced watermark covering it. Any flipped bit —
 * in the length, CRC, header fields, payload or padding — must then be reported as corruption
 * (never cut as a torn tail), by verifyArchive and by Archive.open, naming the file, offset and
 * index, and neither may change the directory.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Archive } from '../../src/archive/archive.ts';
import type { ArchiveErrorCode } from '../../src/archive/errors.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import {
  SEGMENT_BYTES, TempDirs, copyDir, expectArchiveError, flipBit, locationOf, payloadFor, readAll, recordLocations, rewriteRecord,
  segmentFiles, termFor, timeFor, type RecordLocation,
} from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERIFY = fileURLToPath(new URL('./fixtures/verify-dir.ts', import.meta.url));

/**
 * Set when a length running past the segment's end made verify hang in a child process: the
 * in-process flips below would then hang the whole run (a loop of resolved promises starves
 * every timer), so they fail at once instead.
 */
let hangs = false;

/** Payload lengths of the victims: 56-, 64- (a power of two) and 64-byte (3 of padding) records. */
const CUSTOM = new Map<number, number>([[1, 8], [4, 16], [7, 13]]);
const N = 12;

function payloadOf(i: number): Uint8Array {
  return payloadFor(i, CUSTOM.get(i));
}

async function buildSmall(dir: string): Promise<void> {
  const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'always' });
  try {
    for (let i = 1; i <= N; i++) {
      a.add(i, termFor(i), 1, timeFor(i), payloadOf(i));
      await a.flush();
    }
  } finally {
    await a.close();
  }
}

async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(join(dir, name)));
  return files;
}

async function assertUnchanged(dir: string, before: Map<string, Buffer>, what: string): Promise<void> {
  const now = await snapshot(dir);
  assert.deepEqual([...now.keys()], [...before.keys()], `files changed (${what})`);
  for (const [name, bytes] of before) assert.ok(bytes.equals(now.get(name) as Buffer), `${name} changed (${what})`);
}

/** Which part of a record a byte offset falls in (for messages). */
function part(r: RecordLocation, byte: number): string {
  if (byte < 4) return 'length';
  if (byte < 8) return 'crc';
  if (byte < 48) return ['index', 'term', 'time', 'watermark', 'type/payload length'][Math.floor((byte - 8) / 8)];
  return byte < 48 + r.payloadBytes ? 'payload' : 'padding';
}

/** Checks that the directory, damaged at record `r`, is reported and refused as corruption of `code`. */
async function expectCorruption(dir: string, r: RecordLocation, code: ArchiveErrorCode, what: string, readOpen = true): Promise<void> {
  const before = await snapshot(dir);
  const report = await verifyArchive(dir);
  assert.equal(report.clean, false, what);
  assert.equal(report.problems.length, 1, `${what}: ${JSON.stringify(report.problems)}`);
  const p = report.problems[0];
  assert.equal(p.kind, 'corruption', `${what}: ${p.message}`);
  assert.equal(p.code, code, `${what}: ${p.message}`);
  assert.equal(p.file, r.file, what);
  assert.equal(p.offset, r.offset, what);
  assert.equal(p.index, r.index, what);
  assert.equal(report.lastIndex, r.index - 1, what);
  assert.equal(report.entries, r.index - 1, what);
  await expectArchiveError(() => Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' }), code,
    { file: r.file, offset: r.offset, index: r.index });
  if (readOpen) await expectArchiveError(() => Archive.open({ dir, mode: 'read' }), code, { file: r.file, offset: r.offset, index: r.index });
  await assertUnchanged(dir, before, what);
}

/** Flips each bit of record `index` in turn (restoring it after), expecting corruption each time. */
async function everyBit(name: string, index: number): Promise<number> {
  assert.equal(hangs, false, 'verify hangs on a record length past the segment end (see the first test)');
  const root = await temp.make(`bourse-flip-${name}-`);
  const base = join(root, 'base');
  await buildSmall(base);
  const work = join(root, 'work');
  await copyDir(base, work);
  const r = locationOf(await recordLocations(work), index);
  assert.equal(r.synced, index - 1, 'each entry was synced before the next was written');
  let flips = 0;
  for (let byte = 0; byte < r.length; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const what = `record ${index}, byte ${byte} (${part(r, byte)}), bit ${bit}`;
      await flipBit(r.file, r.offset + byte, bit);
      // (A read-only open too for some of the header's bits; it runs the same scan.)
      await expectCorruption(work, r, 'BAD_RECORD', what, byte < 48 && bit === byte % 8);
      await flipBit(r.file, r.offset + byte, bit);
      flips++;
    }
  }
  // Restored, the archive is whole again.
  const report = await verifyArchive(work);
  assert.equal(report.clean, true);
  assert.equal(report.lastIndex, N);
  return flips;
}

describe('a record length running past the segment\'s end', () => {
  it('is reported as a bad record, not waited for (checked in a child process first)', async () => {
    const root = await temp.make('bourse-flip-guard-');
    const dir = join(root, 'a');
    await buildSmall(dir);
    const r = locationOf(await recordLocations(dir), 4);
    await flipBit(r.file, r.offset + 3, 7);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', VERIFY, dir], { cwd: ROOT, timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
        if (error !== null) {
          hangs = error.killed === true;
          reject(new Error(hangs ? 'verify did not finish in 30 s' : `verify failed: ${stderr}`));
        } else {
          resolve(stdout);
        }
      });
    });
    const report = JSON.parse(out) as { clean: boolean; problems: { kind: string; code: string; offset: number; index: number }[] };
    assert.equal(report.clean, false);
    assert.deepEqual(report.problems.map((p) => [p.kind, p.code, p.offset, p.index]), [['corruption', 'BAD_RECORD', r.offset, 4]]);
  });
});

describe('every bit flip in a record before the tail is corruption', { concurrency: 2 }, () => {
  it('the first record (56 bytes: 8-byte payload, no padding)', async () => {
    assert.equal(await everyBit('first', 1), 56 * 8);
  });

  it('a 64-byte record (a flip can zero its length word: still corruption, not the end of the log)', async () => {
    assert.equal(await everyBit('pow2', 4), 64 * 8);
  });

  it('a record with 3 bytes of padding (flips in the padding included)', async () => {
    assert.equal(await everyBit('pad', 7), 64 * 8);
  });
});

describe('flips where the evidence is in a later segment', () => {
  it('the last record of a segment is covered by the watermarks of the next one', async () => {
    const root = await temp.make('bourse-flip-seg-');
    const dir = join(root, 'a');
    const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'always' });
    let i = 1;
    while (a.stats().segments < 2) {
      a.add(i, termFor(i), 1, timeFor(i), payloadFor(i));
      await a.flush();
      i++;
    }
    // A few more in the second segment.
    for (let j = 0; j < 5; j++, i++) {
      a.add(i, termFor(i), 1, timeFor(i), payloadFor(i));
      await a.flush();
    }
    await a.close();
    const files = await segmentFiles(dir);
    const locations = await recordLocations(dir);
    const last = locations.filter((l) => l.file === files[0]).at(-1) as RecordLocation;
    // One bit per byte (turning through the 8 bit positions), and the length word's top bit.
    const flips: [number, number][] = [[3, 7]];
    for (let byte = 0; byte < last.length; byte++) flips.push([byte, byte % 8]);
    for (const [byte, bit] of flips) {
      const what = `record ${last.index}, byte ${byte} (${part(last, byte)}), bit ${bit}`;
      await flipBit(last.file, last.offset + byte, bit);
      await expectCorruption(dir, last, 'BAD_RECORD', what, false);
      await flipBit(last.file, last.offset + byte, bit);
    }
    assert.equal((await verifyArchive(dir)).clean, true);
  });
});

describe('records with a valid checksum but out of sequence', () => {
  async function fresh(name: string): Promise<{ dir: string; at: (index: number) => Promise<RecordLocation> }> {
    const root = await temp.make(`bourse-seq-${name}-`);
    const dir = join(root, 'a');
    await buildSmall(dir);
    return { dir, at: async (index) => locationOf(await recordLocations(dir), index) };
  }

  it('a wrong index is a GAP, in the middle and at the tail alike', async () => {
    for (const victim of [5, N]) {
      const { dir, at } = await fresh(`gap-${victim}`);
      const r = await at(victim);
      await rewriteRecord(r.file, r.offset, (d) => d.setFloat64(8, victim + 1, true));
      await expectCorruption(dir, r, 'GAP', `index of ${victim}`);
    }
  });

  it('a term below the one before is a TERM_REGRESSION, in the middle and at the tail alike', async () => {
    for (const victim of [5, N]) {
      const { dir, at } = await fresh(`term-${victim}`);
      const r = await at(victim);
      await rewriteRecord(r.file, r.offset, (d) => d.setFloat64(16, termFor(victim) - 1, true));
      await expectCorruption(dir, r, 'TERM_REGRESSION', `term of ${victim}`);
    }
  });

  it('a watermark at or above the record\'s own index is a bad record (corruption before the tail)', async () => {
    const { dir, at } = await fresh('watermark');
    const r = await at(5);
    await rewriteRecord(r.file, r.offset, (d) => d.setFloat64(32, 5, true));
    await expectCorruption(dir, r, 'BAD_RECORD', 'watermark of 5');
  });

  it('the same checks pass on the untouched archive, and the CRC is zlib\'s CRC-32', async () => {
    const { dir, at } = await fresh('control');
    const r = await at(5);
    // Rewriting a record with its own fields (CRC recomputed by zlib) leaves it valid.
    await rewriteRecord(r.file, r.offset, () => undefined);
    const report = await verifyArchive(dir);
    assert.equal(report.clean, true, JSON.stringify(report.problems));
    const a = await Archive.open({ dir, mode: 'read' });
    try {
      const all = await readAll(a);
      assert.equal(all.length, N);
      for (const e of all) assert.deepEqual(e.payload, payloadOf(e.index));
    } finally {
      await a.close();
    }
  });
});

describe('bit flips in a segment header', () => {
  it('every bit of the magic, version, sizes, first index and CRC gives its error code', async () => {
    const root = await temp.make('bourse-flip-header-');
    const dir = join(root, 'a');
    await buildSmall(dir);
    const [file] = await segmentFiles(dir);
    for (let byte = 0; byte < 36; byte++) {
      const code: ArchiveErrorCode = byte < 8 ? 'BAD_MAGIC' : byte < 12 ? 'BAD_VERSION' : 'BAD_HEADER';
      const offset = byte >= 8 && byte < 12 ? 8 : 0;
      for (let bit = 0; bit < 8; bit++) {
        const what = `header byte ${byte}, bit ${bit}`;
        await flipBit(file, byte, bit);
        const before = await snapshot(dir);
        const report = await verifyArchive(dir);
        assert.equal(report.clean, false, what);
        assert.equal(report.problems[0].kind, 'corruption', what);
        assert.equal(report.problems[0].code, code, what);
        assert.equal(report.problems[0].file, file, what);
        assert.equal(report.problems[0].offset, offset, what);
        await expectArchiveError(() => Archive.open({ dir, segmentBytes: SEGMENT_BYTES }), code, { file, offset });
        await assertUnchanged(dir, before, what);
        await flipBit(file, byte, bit);
      }
    }
    assert.equal((await verifyArchive(dir)).clean, true);
  });
});
