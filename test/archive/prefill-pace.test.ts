/**
 * The next segment is zero-filled in step with the current one (prefill-pace.ts): a chunk goes
 * only once the current segment is far enough along, all of it by the time that one is three
 * quarters full; a roll that needs it sooner gets it, and a close stops it and removes it.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archive } from '../../src/archive/archive.ts';
import { recordBytes } from '../../src/archive/format.ts';
import { PrefillPace } from '../../src/archive/prefill-pace.ts';
import { SYNCED_CHUNK_BYTES } from '../../src/archive/synced-chunks.ts';
import { until } from '../support/until.ts';
import { HEADER_BYTES, TempDirs, assertDeterministic, payloadLength, readAll, segmentFiles, writeEntries } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const CHUNK = SYNCED_CHUNK_BYTES;
const SEGMENT = 8 * CHUNK;

describe('PrefillPace', () => {
  it('lets chunk k of n go once the current segment is (k / n) · 3/4 full', async () => {
    const pace = new PrefillPace(0);
    assert.equal(pace.before(0, SEGMENT), undefined);
    let went = false;
    const third = pace.before(3 * CHUNK, SEGMENT)?.then(() => (went = true));
    assert.ok(third !== undefined);
    pace.update(0.28);
    await Promise.resolve();
    assert.equal(went, false);
    pace.update(3 / 8 * 0.75);
    await third;
    assert.equal(went, true);
    assert.equal(pace.before(2 * CHUNK, SEGMENT), undefined);
  });

  it('once hurried lets every chunk go, whatever the fill says later', async () => {
    const pace = new PrefillPace(0);
    const last = pace.before(7 * CHUNK, SEGMENT);
    pace.hurry();
    await last;
    pace.update(0);
    assert.equal(pace.before(7 * CHUNK, SEGMENT), undefined);
  });

  it('once stopped fails the chunk waiting and every later one with CLOSED', async () => {
    const pace = new PrefillPace(0);
    const waiting = pace.before(5 * CHUNK, SEGMENT);
    pace.stop();
    await assert.rejects(waiting as Promise<void>, { code: 'CLOSED' });
    await assert.rejects(pace.before(0, SEGMENT) as Promise<void>, { code: 'CLOSED' });
  });
});

describe('the next segment of an archive', () => {
  /** Bytes of the next segment written so far (0 before it exists). */
  const nextBytes = async (dir: string): Promise<number> => (await stat(join(dir, 'next.tmp')).catch(() => undefined))?.size ?? 0;
  /** The last entry of the first run of entries that fills `share` of a segment. */
  const entriesFor = (share: number): number => {
    let bytes = HEADER_BYTES;
    let index = 0;
    while (bytes < share * SEGMENT) bytes += recordBytes(payloadLength(++index));
    return index;
  };

  it('is made as the current one fills, is whole by three quarters, and a roll past it reads back', async () => {
    const dir = await temp.make();
    const archive = await Archive.open({ dir, segmentBytes: SEGMENT, fsync: 'never' });
    try {
      // A new archive makes its first segment at once, and starts the next with it.
      await writeEntries(archive, 1, 1);
      const quarter = entriesFor(0.25);
      await writeEntries(archive, 2, quarter, false);
      // A quarter full: chunks 0, 1 and 2 may go (chunk k once k · 3/32 of it is filled), and the
      // fourth only after a third is.
      await until(async () => (await nextBytes(dir)) >= 2 * CHUNK, 'the next segment begins');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const early = await nextBytes(dir);
      assert.ok(early <= 3 * CHUNK, `${early} bytes of the next segment with a quarter of the current one filled`);
      const threeQuarters = entriesFor(0.78);
      await writeEntries(archive, quarter + 1, threeQuarters, false);
      await until(async () => (await nextBytes(dir)) === SEGMENT, 'the next segment is whole');
      const past = entriesFor(1.3);
      await writeEntries(archive, threeQuarters + 1, past, false);
      assert.equal((await segmentFiles(dir)).length, 2);
      assertDeterministic(await readAll(archive), 1, past);
    } finally {
      await archive.close();
    }
  });

  it('is stopped and removed by a close while it waits for the current one to fill', async () => {
    const dir = await temp.make();
    const archive = await Archive.open({ dir, segmentBytes: SEGMENT, fsync: 'never' });
    await writeEntries(archive, 1, entriesFor(0.1), false);
    await until(async () => (await nextBytes(dir)) >= CHUNK, 'the next segment begins');
    await archive.close();
    assert.equal(await nextBytes(dir), 0);
    assert.equal((await segmentFiles(dir)).length, 1);
  });
});
