/**
 * Torn writes: a crash in the middle of writing the last record leaves a prefix of it on disk
 * (the segment file keeps its preallocated size, the rest stays zero). For every byte offset k
 * inside the last record, the bytes from k on are zeroed in a copy of the archive; opening must
 * drop exactly that record, say so in `tornTail`, zero what was left, and let the log go on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basename, join } from 'node:path';
import { stat } from 'node:fs/promises';
import { Archive } from '../../src/archive/archive.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import {
  SEGMENT_BYTES, TempDirs, allZero, assertDeterministic, copyDir, dirFingerprint, locationOf, payloadFor, readAll, readBytes,
  recordLocations, segmentFiles, termFor, timeFor, writeBytes, writeEntries, type ReadEntry, type RecordLocation,
} from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

/** The 8-aligned end of the last non-zero 32-bit word at or after `from` (what a cut zeroes up to). */
function nonZeroEnd(bytes: Uint8Array, from: number): number {
  for (let w = Math.floor(bytes.byteLength / 4) - 1; w * 4 >= from; w--) {
    if (bytes[w * 4] !== 0 || bytes[w * 4 + 1] !== 0 || bytes[w * 4 + 2] !== 0 || bytes[w * 4 + 3] !== 0) {
      return Math.ceil(((w + 1) * 4) / 8) * 8;
    }
  }
  return from;
}

/** Entries 1..n with deterministic payloads, except those given in `custom`. */
interface Scenario {
  n: number;
  custom: Map<number, Uint8Array>;
}

function payloadOf(s: Scenario, i: number): Uint8Array {
  return s.custom.get(i) ?? payloadFor(i);
}

/** Asserts entries are 1..upTo with the scenario's payloads (and deterministic terms and times). */
function assertScenario(s: Scenario, entries: ReadEntry[], from: number, upTo: number, what: string): void {
  assert.equal(entries.length, upTo - from + 1, what);
  for (let k = 0; k < entries.length; k++) {
    const i = from + k;
    assert.equal(entries[k].index, i, what);
    assert.equal(entries[k].term, termFor(i), what);
    assert.equal(entries[k].timestampUs, timeFor(i), what);
    assert.deepEqual(entries[k].payload, payloadOf(s, i), `payload of ${i} (${what})`);
  }
}

/** Builds the scenario's archive, each entry in its own flush; returns where the last record is. */
async function build(dir: string, s: Scenario): Promise<RecordLocation> {
  const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'always' });
  for (let i = 1; i <= s.n; i++) {
    a.add(i, termFor(i), 1, timeFor(i), payloadOf(s, i));
    await a.flush();
  }
  await a.close();
  const locations = await recordLocations(dir);
  assert.equal(locations.length, s.n);
  return locationOf(locations, s.n);
}

type Outcome = 'torn' | 'gone' | 'intact';

/**
 * Zeroes bytes [k, length) of the tail record in a copy of `base`, and checks recovery. The
 * outcome: `torn` (a prefix is left: cut and reported), `gone` (nothing non-zero is left: the
 * data simply ends before it) or `intact` (only zero bytes were zeroed: the record is whole).
 */
async function tearAndRecover(base: string, work: string, s: Scenario, tail: RecordLocation, k: number): Promise<Outcome> {
  const n = s.n;
  await copyDir(base, work);
  const file = join(work, basename(tail.file));
  const original = await readBytes(file, tail.offset, tail.length);
  await writeBytes(file, tail.offset + k, new Uint8Array(tail.length - k));
  const kept = original.subarray(0, k);
  const changed = original.subarray(k).some((b) => b !== 0);
  const nothingLeft = !kept.some((b) => b !== 0);
  const torn = changed && !nothingLeft;
  const what = `k = ${k} of ${tail.length}`;

  // verify (a read-only open) sees the same and changes nothing; it is checked for the first
  // cuts and every fourth one after (each open costs a few milliseconds).
  if (k < 12 || k % 4 === 0) {
    const before = await dirFingerprint(work);
    const report = await verifyArchive(work);
    assert.equal(await dirFingerprint(work), before, `verify changed the directory (${what})`);
    if (torn) {
      assert.equal(report.clean, false, what);
      assert.equal(report.problems.length, 1, what);
      const p = report.problems[0];
      assert.equal(p.kind, 'torn-tail', what);
      assert.equal(p.code, 'BAD_RECORD', what);
      assert.equal(p.file, file, what);
      assert.equal(p.offset, tail.offset, what);
      assert.equal(p.index, n, what);
      assert.equal(report.lastIndex, n - 1, what);
    } else {
      assert.equal(report.clean, true, `${what}: ${JSON.stringify(report.problems)}`);
      assert.equal(report.lastIndex, changed ? n - 1 : n, what);
    }
  }

  // Expected size of the cut: from the record to the end of its last non-zero word.
  const cutEnd = nonZeroEnd(await readBytes(file, 0, SEGMENT_BYTES), tail.offset);

  const a = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
  try {
    assert.equal(a.lastIndex, changed ? n - 1 : n, what);
    assert.equal(a.firstIndex, 1);
    if (torn) {
      assert.ok(a.tornTail !== undefined, `no tornTail (${what})`);
      assert.equal(a.tornTail.file, file, what);
      assert.equal(a.tornTail.offset, tail.offset, what);
      assert.equal(a.tornTail.index, n, what);
      assert.equal(a.tornTail.bytes, cutEnd - tail.offset, what);
      assert.ok(a.tornTail.bytes > 0 && a.tornTail.bytes <= tail.length, what);
      assert.equal(typeof a.tornTail.reason, 'string');
      assert.equal(a.finding?.kind, 'torn-tail');
    } else {
      assert.equal(a.tornTail, undefined, what);
      assert.equal(a.finding, undefined, what);
    }
    if (changed) {
      // What was left of the record is zeroed on disk: nothing of it can come back.
      assert.ok(await allZero(file, tail.offset), `the torn bytes were not zeroed (${what})`);
      assertScenario(s, await readAll(a), 1, n - 1, what);
      assert.equal(a.lastTerm, termFor(n - 1));
      // The log goes on at n.
      a.add(n, termFor(n), 1, timeFor(n), payloadFor(n));
      await a.flush();
      assert.equal(a.lastIndex, n);
    } else {
      assertScenario(s, await readAll(a), 1, n, what);
    }
  } finally {
    await a.close();
  }

  // Reopened, the log ends with n (the new entry if the old one was dropped); every few cuts,
  // it also goes on after that reopen.
  const again = k % 8 === 0;
  const b = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, fsync: 'never', mode: again ? 'repair' : 'read' });
  try {
    assert.equal(b.tornTail, undefined, what);
    assert.equal(b.lastIndex, n, what);
    const last = await readAll(b, n - 1);
    assertScenario(s, last.slice(0, 1), n - 1, n - 1, what);
    assert.deepEqual(last[1].payload, changed ? payloadFor(n) : payloadOf(s, n), what);
    if (again) {
      b.add(n + 1, termFor(n + 1), 1, timeFor(n + 1), payloadFor(n + 1));
      await b.flush();
    }
  } finally {
    await b.close();
  }
  if (again) {
    const c = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, mode: 'read' });
    try {
      assert.equal(c.lastIndex, n + 1, what);
      assert.equal(c.tornTail, undefined, what);
      assert.deepEqual((await readAll(c, n + 1))[0].payload, payloadFor(n + 1));
    } finally {
      await c.close();
    }
  }
  return torn ? 'torn' : changed ? 'gone' : 'intact';
}

async function everyOffset(name: string, s: Scenario, expected: Record<Outcome, number>, expectFirstOfSegment = false): Promise<void> {
  const root = await temp.make(`bourse-torn-${name}-`);
  const base = join(root, 'base');
  const tail = await build(base, s);
  const files = await segmentFiles(base);
  assert.equal(tail.file, files.at(-1));
  if (expectFirstOfSegment) {
    assert.equal(files.length, 2);
    assert.equal(tail.offset, 64, 'the tail is the first record of its segment');
  }
  const outcomes: Record<Outcome, number> = { torn: 0, gone: 0, intact: 0 };
  for (let k = 0; k < tail.length; k++) outcomes[await tearAndRecover(base, join(root, 'work'), s, tail, k)]++;
  assert.deepEqual(outcomes, expected);
}

/**
 * Entries that fill the first segment to 8 bytes short of its end (the last of them with a
 * payload sized for it), then a tail of `tailBytes`: it no longer fits and starts segment 2.
 */
function firstOfNextSegment(tailBytes: number): Scenario {
  let bytes = 64;
  let i = 1;
  while (bytes + 48 + ((payloadFor(i).byteLength + 7) & ~7) + 256 <= SEGMENT_BYTES) {
    bytes += 48 + ((payloadFor(i).byteLength + 7) & ~7);
    i++;
  }
  const fill = SEGMENT_BYTES - bytes - 8 - 48;
  return { n: i + 1, custom: new Map([[i, payloadFor(i, fill)], [i + 1, payloadFor(i + 1, tailBytes)]]) };
}

describe('torn writes of the last record', { concurrency: 2 }, () => {
  it('every cut inside a 256-byte record in the middle of a segment (at k = 1 nothing non-zero is left of it: no torn tail)', async () => {
    // Length 256 is bytes 00 01 00 00: at k = 0 and k = 1 nothing non-zero is left.
    await everyOffset('mid', { n: 150, custom: new Map([[150, payloadFor(150, 256 - 48)]]) }, { torn: 254, gone: 2, intact: 0 });
  });

  it('every cut inside a record with 3 bytes of padding, the first of a new segment', async () => {
    // Zeroing only the 3 bytes of padding changes nothing: the record stays.
    await everyOffset('first', firstOfNextSegment(13), { torn: 60, gone: 1, intact: 3 }, true);
  });
});

describe('a torn batch spanning two segments', () => {
  let root: string;
  let base: string;
  let batchFrom: number;
  let batchTo: number;
  let inA: RecordLocation[];
  let inB: RecordLocation[];
  let fileA: string;
  let fileB: string;

  before(async () => {
    root = await temp.make('bourse-torn-batch-');
    base = join(root, 'base');
    const a = await Archive.open({ dir: base, segmentBytes: SEGMENT_BYTES, fsync: 'always' });
    // Fill the first segment to within ~2 KiB of its end, each entry flushed (watermarks advance).
    let i = 1;
    let used = 64;
    while (used + 2048 < SEGMENT_BYTES) {
      used += 48 + ((payloadFor(i).byteLength + 7) & ~7);
      a.add(i, termFor(i), 1, timeFor(i), payloadFor(i));
      await a.flush();
      i++;
    }
    // Then one batch of 40 entries (~6 KiB) that must roll into a second segment. The first
    // add starts a write at once (alone); the 40 added meanwhile gather into one batch behind it.
    a.add(i, termFor(i), 1, timeFor(i), payloadFor(i));
    batchFrom = i + 1;
    batchTo = i + 40;
    for (let j = batchFrom; j <= batchTo; j++) a.add(j, termFor(j), 1, timeFor(j), payloadFor(j));
    await a.flush();
    await a.close();
    const files = await segmentFiles(base);
    assert.equal(files.length, 2);
    [fileA, fileB] = files;
    const locations = await recordLocations(base);
    inA = locations.filter((l) => l.file === fileA && l.index >= batchFrom);
    inB = locations.filter((l) => l.file === fileB);
    assert.ok(inA.length >= 3 && inB.length >= 3, `batch split ${inA.length}/${inB.length}`);
    assert.equal(inB[0].index, inA.at(-1)!.index + 1);
    // The whole batch carries the watermark of before it: nothing of it was known synced.
    for (const l of [...inA, ...inB]) assert.equal(l.synced, batchFrom - 1, `watermark of ${l.index}`);
  });

  it('a cut inside a record of the first segment drops it, what follows, and the later segment', async () => {
    for (const victim of [inA[0], inA[1], inA.at(-1)!]) {
      for (const k of [1, 8, 47, 48, 48 + victim.payloadBytes - 1]) {
        const work = join(root, 'work');
        await copyDir(base, work);
        const a0 = join(work, basename(fileA));
        const b0 = join(work, basename(fileB));
        // The crash: record `victim` cut at k, the rest of the first segment never written;
        // the second segment's records did land (a power loss can reorder page writes).
        await writeBytes(a0, victim.offset + k, new Uint8Array(SEGMENT_BYTES - victim.offset - k));
        const cutEnd = nonZeroEnd(await readBytes(a0, 0, SEGMENT_BYTES), victim.offset);
        const what = `record ${victim.index}, k = ${k}`;

        const report = await verifyArchive(work);
        assert.equal(report.clean, false, what);
        assert.equal(report.problems[0].kind, 'torn-tail', what);
        assert.equal(report.problems[0].index, victim.index, what);
        assert.ok((await stat(b0)).isFile(), 'verify removed nothing');

        const a = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
        try {
          assert.equal(a.lastIndex, victim.index - 1, what);
          assert.ok(a.tornTail !== undefined, what);
          assert.equal(a.tornTail.file, a0, what);
          assert.equal(a.tornTail.offset, victim.offset, what);
          assert.equal(a.tornTail.index, victim.index, what);
          assert.equal(a.tornTail.bytes, cutEnd - victim.offset + SEGMENT_BYTES - 64, what);
          assert.deepEqual(await segmentFiles(work), [a0], `the later segment is removed (${what})`);
          assert.ok(await allZero(a0, victim.offset), what);
          assertDeterministic(await readAll(a), 1, victim.index - 1);
          // Appending goes on, rolling into a new second segment.
          await writeEntries(a, victim.index, batchTo + 5, false);
        } finally {
          await a.close();
        }
        const b = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, mode: 'read' });
        try {
          assert.equal(b.tornTail, undefined);
          assertDeterministic(await readAll(b), 1, batchTo + 5);
          assert.equal((await segmentFiles(work)).length, 2);
        } finally {
          await b.close();
        }
        assert.equal((await verifyArchive(work)).clean, true, what);
      }
    }
  });

  it('a cut inside the first record of the second segment keeps the first segment whole', async () => {
    const victim = inB[0];
    for (const k of [1, 4, 9, 40, 48, 48 + victim.payloadBytes - 1]) {
      const work = join(root, 'work');
      await copyDir(base, work);
      const b0 = join(work, basename(fileB));
      await writeBytes(b0, victim.offset + k, new Uint8Array(SEGMENT_BYTES - victim.offset - k));
      const a = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
      try {
        assert.equal(a.lastIndex, victim.index - 1);
        assert.equal(a.tornTail?.file, b0);
        assert.equal(a.tornTail?.offset, 64);
        assert.equal(a.tornTail?.index, victim.index);
        assert.equal((await segmentFiles(work)).length, 2, 'the (now empty) second segment stays');
        await writeEntries(a, victim.index, batchTo, false);
      } finally {
        await a.close();
      }
      const b = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, mode: 'read' });
      try {
        assertDeterministic(await readAll(b), 1, batchTo);
      } finally {
        await b.close();
      }
    }
  });

  it('a second segment with its header but none of its records: no torn tail, the log goes on in it', async () => {
    const work = join(root, 'work');
    await copyDir(base, work);
    const b0 = join(work, basename(fileB));
    await writeBytes(b0, 64, new Uint8Array(SEGMENT_BYTES - 64));
    const lastInA = inA.at(-1)!.index;
    assert.equal((await verifyArchive(work)).clean, true);
    const a = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
    try {
      assert.equal(a.tornTail, undefined);
      assert.equal(a.lastIndex, lastInA);
      assert.equal(a.stats().segments, 2);
      await writeEntries(a, lastInA + 1, batchTo + 3, false);
    } finally {
      await a.close();
    }
    assert.deepEqual(await segmentFiles(work), [join(work, basename(fileA)), b0]);
    const b = await Archive.open({ dir: work, segmentBytes: SEGMENT_BYTES, mode: 'read' });
    try {
      assertDeterministic(await readAll(b), 1, batchTo + 3);
      assert.equal((await recordLocations(work)).find((l) => l.index === lastInA + 1)?.file, b0);
    } finally {
      await b.close();
    }
  });
});
