/**
 * truncateAfter (replication's conflicting tail): the log continues right after the cut with
 * the right indexes and terms, waiters for dropped entries are rejected, later segments go,
 * the edge cases behave, a reopen sees exactly the same, and no dropped record ever comes back.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Archive } from '../../src/archive/archive.ts';
import { ArchiveError } from '../../src/archive/errors.ts';
import { segmentFileName } from '../../src/archive/format.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import {
  SEGMENT_BYTES, TempDirs, allZero, dataEnd, dirFingerprint, expectArchiveError, payloadFor, readAll, recordLocations, segmentFiles,
  timeFor, type ReadEntry,
} from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

interface ModelEntry {
  term: number;
  payload: Uint8Array;
}

/** The archive must hold exactly `model` (entry i at model[i - first]). */
async function assertHolds(a: Archive, first: number, model: ModelEntry[], what = ''): Promise<void> {
  assert.equal(a.firstIndex, first, what);
  assert.equal(a.lastIndex, first + model.length - 1, what);
  const entries: ReadEntry[] = await readAll(a);
  assert.equal(entries.length, model.length, what);
  for (let k = 0; k < model.length; k++) {
    assert.equal(entries[k].index, first + k, what);
    assert.equal(entries[k].term, model[k].term, `term of ${first + k} ${what}`);
    assert.deepEqual(entries[k].payload, model[k].payload, `payload of ${first + k} ${what}`);
  }
  assert.equal(a.lastTerm, model.at(-1)?.term ?? 0, what);
}

function open(dir: string, fsync = 'never'): Promise<Archive> {
  return Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync });
}

function repeat(n: number, term: number): number[] {
  return Array.from({ length: n }, () => term);
}

/** Appends entries with the given terms (payload length from `bytes`), updating the model. */
async function append(a: Archive, model: ModelEntry[], first: number, terms: number[], bytes: (i: number) => number, salt = 0): Promise<void> {
  for (const term of terms) {
    const index = first + model.length;
    const payload = payloadFor(index + salt * 7919, bytes(index));
    a.add(index, term, 1, timeFor(index), payload);
    model.push({ term, payload });
  }
  await a.flush();
}

describe('truncateAfter', () => {
  it('the log continues after the cut: indexes, terms (termAt), lastTerm; reopen sees the same', async () => {
    const dir = join(await temp.make('bourse-trunc-'), 'a');
    const a = await open(dir, 'always');
    const model: ModelEntry[] = [];
    await append(a, model, 1, repeat(10, 1), () => 40);
    await append(a, model, 1, repeat(10, 2), () => 40);
    await a.truncateAfter(13);
    model.length = 13;
    assert.equal(a.lastIndex, 13);
    assert.equal(a.lastTerm, 2);
    await a.truncateAfter(8);
    model.length = 8;
    assert.equal(a.lastTerm, 1);
    assert.equal(await a.termAt(8), 1);
    // A term below the last one kept is refused; the same term, or a higher one, is not.
    assert.throws(() => a.add(9, 0, 1, 0, new Uint8Array(1)), (e: unknown) => e instanceof ArchiveError && e.code === 'TERM_REGRESSION');
    assert.throws(() => a.add(10, 3, 1, 0, new Uint8Array(1)), (e: unknown) => e instanceof ArchiveError && e.code === 'OUT_OF_RANGE');
    await append(a, model, 1, [3, 3, 4], () => 24, 1);
    assert.equal(await a.termAt(9), 3);
    assert.equal(await a.termAt(11), 4);
    assert.equal(await a.termAt(0), 0);
    await assertHolds(a, 1, model);
    await a.close();
    const b = await open(dir);
    try {
      await assertHolds(b, 1, model, 'after reopen');
      assert.equal(await b.termAt(8), 1);
      assert.equal(await b.termAt(10), 3);
    } finally {
      await b.close();
    }
    assert.equal((await verifyArchive(dir)).clean, true);
  });

  it('waiters for dropped entries are rejected with TRUNCATED; those kept resolve', async () => {
    const dir = join(await temp.make('bourse-trunc-'), 'a');
    const a = await open(dir, 'always');
    try {
      const model: ModelEntry[] = [];
      await append(a, model, 1, repeat(10, 1), () => 100);
      // Entry 11 starts a write at once; 12..30 gather behind it, unwritten.
      for (let i = 11; i <= 30; i++) a.add(i, 2, 1, timeFor(i), payloadFor(i, 100));
      const kept = [a.waitFor(11), a.waitFor(12)];
      const dropped = [a.waitFor(13), a.waitFor(20), a.flush()];
      const settled = Promise.allSettled([...kept, ...dropped]);
      await a.truncateAfter(12);
      const results = await settled;
      for (const r of results.slice(0, 2)) assert.equal(r.status, 'fulfilled');
      for (const r of results.slice(2)) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.reason instanceof ArchiveError && r.reason.code === 'TRUNCATED', String(r.reason));
      }
      assert.equal(a.lastIndex, 12);
      assert.equal(a.writtenIndex, 12);
      // Entries 13..30 never reached the disk, and the next 13 is a new one.
      a.add(13, 3, 1, timeFor(13), payloadFor(13, 8));
      assert.equal(await a.flush(), 13);
      const all = await readAll(a);
      assert.deepEqual(all.map((e) => e.index), Array.from({ length: 13 }, (_, k) => k + 1));
      assert.equal(all[12].term, 3);
      assert.deepEqual(all[12].payload, payloadFor(13, 8));

      // A cut below an entry being written: that entry is written first, then cut on disk.
      for (let i = 14; i <= 40; i++) a.add(i, 3, 1, timeFor(i), payloadFor(i, 100));
      const pending = [a.waitFor(20), a.waitFor(40)];
      const settledToo = Promise.allSettled(pending);
      await a.truncateAfter(5);
      for (const r of await settledToo) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.reason instanceof ArchiveError && r.reason.code === 'TRUNCATED', String(r.reason));
      }
      assert.equal(a.lastIndex, 5);
      assert.equal(a.lastTerm, 1);
      assert.deepEqual((await readAll(a)).map((e) => e.index), [1, 2, 3, 4, 5]);
      const [file] = await segmentFiles(dir);
      assert.ok(await allZero(file, (await recordLocations(dir))[4].offset + (await recordLocations(dir))[4].length));
    } finally {
      await a.close();
    }
  });

  it('across segment boundaries: later segments are removed, the cut segment zeroed after the cut', async () => {
    const dir = join(await temp.make('bourse-trunc-'), 'a');
    const a = await open(dir);
    const model: ModelEntry[] = [];
    await append(a, model, 1, repeat(300, 1), () => 900);
    const files = await segmentFiles(dir);
    assert.ok(files.length >= 4, `${files.length} segments`);
    const locations = await recordLocations(dir);
    // Cut in the middle of the second segment.
    const second = locations.filter((l) => l.file === files[1]);
    const cut = second[Math.floor(second.length / 2)];
    await a.truncateAfter(cut.index);
    model.length = cut.index;
    assert.deepEqual(await segmentFiles(dir), files.slice(0, 2));
    assert.equal(await dataEnd(files[1]), cut.offset + cut.length);
    assert.ok(await allZero(files[1], cut.offset + cut.length), 'the dropped records are zeroed');
    await assertHolds(a, 1, model);
    // Append again: it rolls into new segments named after their first index.
    await append(a, model, 1, repeat(150, 2), () => 700, 1);
    await assertHolds(a, 1, model);
    await a.close();
    const after = await segmentFiles(dir);
    assert.ok(after.length >= 3);
    for (const f of after) {
      const first = (await recordLocations(dir)).find((l) => l.file === f)?.index;
      assert.equal(basename(f), segmentFileName(first as number));
    }
    const b = await open(dir);
    try {
      await assertHolds(b, 1, model, 'after reopen');
    } finally {
      await b.close();
    }
    assert.equal((await verifyArchive(dir)).clean, true);
  });

  it('a cut right before a segment\'s first entry keeps that segment, empty', async () => {
    const dir = join(await temp.make('bourse-trunc-'), 'a');
    const a = await open(dir);
    const model: ModelEntry[] = [];
    await append(a, model, 1, repeat(200, 1), () => 1000);
    const files = await segmentFiles(dir);
    const startOf = (f: string): number => Number(/(\d{20})/.exec(basename(f))?.[1]);
    const boundary = startOf(files[2]) - 1;
    await a.truncateAfter(boundary);
    model.length = boundary;
    assert.deepEqual(await segmentFiles(dir), files.slice(0, 3), 'the segment starting after the cut stays (empty)');
    assert.equal(await dataEnd(files[2]), 64);
    assert.ok(await allZero(files[2], 64));
    await a.close();
    const b = await open(dir);
    try {
      await assertHolds(b, 1, model, 'after reopen');
      await append(b, model, 1, [2, 2], () => 10, 1);
      await assertHolds(b, 1, model);
    } finally {
      await b.close();
    }
    assert.equal((await recordLocations(dir)).find((l) => l.index === boundary + 1)?.file, files[2]);
  });

  it('truncateAfter(lastIndex) is a no-op; out-of-range cuts are refused', async () => {
    const dir = join(await temp.make('bourse-trunc-'), 'a');
    const a = await open(dir);
    try {
      const model: ModelEntry[] = [];
      await append(a, model, 1, repeat(100, 1), () => 1000);
      const before = await dirFingerprint(dir);
      await a.truncateAfter(100);
      assert.equal(a.lastIndex, 100);
      assert.equal(await dirFingerprint(dir), before);
      await expectArchiveError(() => a.truncateAfter(101), 'OUT_OF_RANGE');
      await expectArchiveError(() => a.truncateAfter(-1), 'OUT_OF_RANGE');
      await expectArchiveError(() => a.truncateAfter(1.5), 'OUT_OF_RANGE');
      await assertHolds(a, 1, model);
    } finally {
      await a.close();
    }
  });

  it('truncateAfter(firstIndex − 1) empties the archive (also one that starts later than 1)', async () => {
    for (const first of [1, 1000]) {
      const dir = join(await temp.make('bourse-trunc-'), 'a');
      const a = await open(dir);
      const model: ModelEntry[] = [];
      await append(a, model, first, repeat(150, 5), () => 1000);
      assert.ok((await segmentFiles(dir)).length >= 3);
      await expectArchiveError(() => a.truncateAfter(first - 2), 'OUT_OF_RANGE');
      await a.truncateAfter(first - 1);
      model.length = 0;
      assert.equal(a.lastIndex, first - 1);
      assert.equal(a.lastTerm, 0);
      assert.deepEqual(await readAll(a), []);
      assert.deepEqual(await segmentFiles(dir), [join(dir, segmentFileName(first))]);
      assert.ok(await allZero(join(dir, segmentFileName(first)), 64));
      await a.close();
      const report = await verifyArchive(dir);
      assert.equal(report.clean, true);
      assert.equal(report.entries, 0);
      const b = await open(dir);
      try {
        assert.equal(b.firstIndex, first);
        assert.equal(b.lastIndex, first - 1);
        assert.deepEqual(await readAll(b), []);
        assert.throws(() => b.add(first + 1, 1, 1, 0, new Uint8Array(1)), (e: unknown) => e instanceof ArchiveError && e.code === 'OUT_OF_RANGE');
        // A lower term than before the cut is fine now: nothing is left.
        await append(b, model, first, [1, 1, 2], () => 50, 1);
        await assertHolds(b, first, model);
      } finally {
        await b.close();
      }
    }
  });

  it('no stale record reappears: cut, append shorter entries, reopen', async () => {
    const dir = join(await temp.make('bourse-trunc-'), 'a');
    const a = await open(dir);
    const model: ModelEntry[] = [];
    await append(a, model, 1, repeat(60, 1), () => 600);
    await a.truncateAfter(20);
    model.length = 20;
    // Shorter entries of a higher term land where the old longer ones were.
    await append(a, model, 1, repeat(10, 2), () => 16, 1);
    await a.close();
    const [file] = await segmentFiles(dir);
    const end = await dataEnd(file);
    assert.ok(await allZero(file, end), 'nothing after the new last record');
    const b = await open(dir);
    try {
      await assertHolds(b, 1, model, 'after reopen');
      assert.equal(b.lastIndex, 30);
    } finally {
      await b.close();
    }
    // Nor does a byte of the old records survive behind the new ones.
    const bytes = await readFile(file);
    const old = payloadFor(40, 600);
    assert.equal(Buffer.from(bytes).indexOf(Buffer.from(old.subarray(0, 32))), -1);
    assert.equal((await verifyArchive(dir)).clean, true);
  });
});

describe('truncateAfter against a model (random appends, cuts and reopens)', () => {
  it('the archive always holds exactly the model', async () => {
    const root = await temp.make('bourse-trunc-model-');
    let run = 0;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 60 }), bytes: fc.integer({ min: 0, max: 3000 }), termStep: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 150 }) }),
      fc.record({ kind: fc.constant('reopen' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.array(op, { minLength: 1, maxLength: 12 }), async (first, ops) => {
        const dir = join(root, `run-${run++}`);
        const model: ModelEntry[] = [];
        let a = await open(dir);
        try {
          let term = 1;
          for (const o of ops) {
            if (o.kind === 'append') {
              term += o.termStep;
              const bytes = o.bytes;
              await append(a, model, first, repeat(o.count, term), (i) => (bytes + i * 13) % 3001, run);
            } else if (o.kind === 'truncate') {
              // (A new archive holds 1..0 until its first entry says where it starts; the archive's
              // range itself was checked against the model after the previous step.)
              const to = Math.max(a.firstIndex - 1, a.lastIndex - o.back);
              await a.truncateAfter(to);
              model.length = Math.max(0, to - first + 1);
              term = Math.max(term, a.lastTerm);
            } else {
              await a.close();
              a = await open(dir);
            }
            await assertHolds(a, model.length === 0 && a.firstIndex !== first ? a.firstIndex : first, model, JSON.stringify(o));
          }
        } finally {
          await a.close();
        }
        const b = await Archive.open({ dir, mode: 'read' });
        try {
          await assertHolds(b, model.length === 0 && b.firstIndex !== first ? b.firstIndex : first, model, 'final reopen');
        } finally {
          await b.close();
        }
        const report = await verifyArchive(dir);
        assert.equal(report.clean, true, JSON.stringify(report.problems));
        await rm(dir, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
  });
});
