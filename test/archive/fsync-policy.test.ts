/**
 * The fsync policies: which texts parse, and when an entry is acknowledged — `always` only
 * once durable (written through O_DSYNC), `interval:<ms>` and `never` once written (synced
 * later, or at close).
 */
import assert from 'node:assert/strict';
import { constants, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { open as openFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Archive } from '../../src/archive/archive.ts';
import { parseFsyncPolicy } from '../../src/archive/fsync-policy.ts';
import { SEGMENT_BYTES, TempDirs, assertDeterministic, payloadFor, prng, randomInt, readAll, termFor, timeFor } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

/**
 * Counts FileHandle datasync calls made while `run` runs (by anyone in this process), but for
 * those of the next segment, which the archive makes ahead in the background (where the
 * system names a descriptor's file: Linux's /proc/self/fd).
 */
async function countingDatasyncs<T>(dir: string, run: (count: () => number) => Promise<T>): Promise<T> {
  const probe = await openFile(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  await rm(join(dir, 'probe'));
  const datasync = proto.datasync;
  let calls = 0;
  proto.datasync = function (this: { fd: number }) {
    if (!fileOf(this.fd).endsWith('next.tmp')) calls++;
    return datasync.call(this);
  };
  try {
    return await run(() => calls);
  } finally {
    proto.datasync = datasync;
  }
}

function fileOf(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
}

/**
 * How this process has the segments of `dir` open for writing: 'durable' (O_DSYNC: each write
 * returns once durable) or 'plain' (where the system shows a descriptor's flags: /proc/self/fdinfo).
 */
function segmentWriteModes(dir: string): string[] {
  const modes: string[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    const file = fileOf(fd);
    if (!/\/segment-\d+\.log$/.test(file) || !file.startsWith(dir)) continue;
    const flags = Number.parseInt(/^flags:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '', 8);
    if ((flags & (constants.O_WRONLY | constants.O_RDWR)) === 0) continue;
    modes.push((flags & constants.O_DSYNC) !== 0 ? 'durable' : 'plain');
  }
  return modes;
}

describe('parseFsyncPolicy', () => {
  it('accepts always, never and interval:<1..60000>', () => {
    assert.deepEqual(parseFsyncPolicy('always'), { kind: 'always' });
    assert.deepEqual(parseFsyncPolicy('never'), { kind: 'never' });
    assert.deepEqual(parseFsyncPolicy('interval:1'), { kind: 'interval', ms: 1 });
    assert.deepEqual(parseFsyncPolicy('interval:250'), { kind: 'interval', ms: 250 });
    assert.deepEqual(parseFsyncPolicy('interval:60000'), { kind: 'interval', ms: 60000 });
  });

  it('rejects anything else with a RangeError', () => {
    for (const text of ['', 'Always', 'ALWAYS', ' always', 'always ', 'sometimes', 'interval', 'interval:', 'interval:0',
      'interval:60001', 'interval:-5', 'interval:1.5', 'interval:10ms', 'interval: 10', 'interval:1e3', 'never:1']) {
      assert.throws(() => parseFsyncPolicy(text), RangeError, JSON.stringify(text));
    }
  });

  it('Archive.open takes a policy as text or object, and refuses a bad one', async () => {
    const root = await temp.make('bourse-fsync-');
    await assert.rejects(Archive.open({ dir: join(root, 'x'), fsync: 'interval:0' }), RangeError);
    const a = await Archive.open({ dir: join(root, 'a'), segmentBytes: SEGMENT_BYTES, fsync: 'interval:40' });
    assert.deepEqual(a.policy, { kind: 'interval', ms: 40 });
    await a.close();
    const b = await Archive.open({ dir: join(root, 'b'), segmentBytes: SEGMENT_BYTES, fsync: { kind: 'never' } });
    assert.deepEqual(b.policy, { kind: 'never' });
    await b.close();
    const c = await Archive.open({ dir: join(root, 'c'), segmentBytes: SEGMENT_BYTES });
    assert.deepEqual(c.policy, { kind: 'always' }, 'always by default');
    await c.close();
    for (const segmentBytes of [32 * 1024, 64 * 1024 + 4, 2 * 1024 * 1024 * 1024]) {
      await assert.rejects(Archive.open({ dir: join(root, 'd'), segmentBytes }), RangeError, String(segmentBytes));
    }
  });
});

describe('acknowledgement', () => {
  it('always: flush, append and waitFor resolve only once the entries are written through O_DSYNC', async () => {
    const dir = join(await temp.make('bourse-fsync-'), 'a');
    {
      const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'always' });
      try {
        const rand = prng(5);
        let next = 1;
        // Segments of SEGMENT_BYTES: the rounds fill several, each made and opened by a roll.
        for (let round = 0; round < 60; round++) {
          const count = randomInt(rand, 1, 30);
          const syncsBefore = a.stats().syncs;
          const from = next;
          for (let k = 0; k < count; k++, next++) a.add(next, termFor(next), 1, timeFor(next), payloadFor(next));
          const mid = randomInt(rand, from, next - 1);
          const [midAck, ack] = await Promise.all([a.waitFor(mid), a.flush()]);
          assert.ok(midAck >= mid && a.syncedIndex >= mid);
          assert.equal(ack, next - 1);
          assert.equal(a.syncedIndex, next - 1, 'acknowledged before it was synced');
          assert.equal(a.ackIndex, a.syncedIndex);
          assert.ok(a.stats().syncs > syncsBefore, 'no sync for an acknowledged batch');
          assert.deepEqual(segmentWriteModes(dir), ['durable'], 'the segment written to is open for durable writes');
        }
        assert.ok(a.stats().segments > 1, 'the rounds roll to new segments');
        const entries = [next, next + 1].map((index) => ({ index, term: termFor(index), type: 1, timestampUs: timeFor(index), payload: payloadFor(index) }));
        assert.equal(await a.append(entries), next + 1);
        assert.equal(a.syncedIndex, next + 1);
        assert.ok(a.stats().syncs >= 61);
        // Waiting for an entry already acknowledged resolves at once; one never added is refused.
        assert.equal(await a.waitFor(3), next + 1);
        await assert.rejects(a.waitFor(next + 5), (e: Error) => e.message.includes('OUT_OF_RANGE'));
      } finally {
        await a.close();
      }
    }
    // Reopened, the last segment is again open for durable writes.
    const b = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'always' });
    try {
      assert.deepEqual(segmentWriteModes(dir), ['durable']);
    } finally {
      await b.close();
    }
  });

  it('never: acknowledged once written, not synced; close syncs everything', async () => {
    const dir = join(await temp.make('bourse-fsync-'), 'a');
    const small = (i: number): Uint8Array => payloadFor(i, 40);
    await countingDatasyncs(join(dir, '..'), async (calls) => {
      const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
      // The first entry makes the first segment (synced as it is made).
      a.add(1, termFor(1), 1, timeFor(1), small(1));
      await a.flush();
      const before = calls();
      for (let i = 2; i <= 200; i++) {
        a.add(i, termFor(i), 1, timeFor(i), small(i));
        if (i % 10 === 0) {
          assert.equal(await a.flush(), i);
          assert.equal(a.writtenIndex, i);
          assert.equal(a.ackIndex, i);
        }
      }
      assert.equal(await a.flush(), 200);
      assert.equal(a.syncedIndex, 0, 'never syncs before close');
      assert.equal(a.stats().syncs, 0);
      assert.equal(calls(), before, 'no fdatasync of entries under never');
      assert.deepEqual(segmentWriteModes(dir), ['plain'], 'writes under never return once in the page cache');
      // Unflushed entries are written and everything is synced by close.
      for (let i = 201; i <= 230; i++) a.add(i, termFor(i), 1, timeFor(i), small(i));
      await a.close();
      assert.ok(calls() > before, 'close did not fdatasync');
      assert.equal(a.writtenIndex, 230);
      assert.equal(a.syncedIndex, 230);
      const b = await Archive.open({ dir, mode: 'read' });
      try {
        assertDeterministic(await readAll(b), 1, 230, small);
      } finally {
        await b.close();
      }
    });
  });

  it('interval: acknowledged once written, synced within the interval without close', async () => {
    const dir = join(await temp.make('bourse-fsync-'), 'a');
    const ms = 150;
    const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: `interval:${ms}` });
    try {
      a.add(1, 1, 1, timeFor(1), payloadFor(1));
      await a.flush();
      // A first sync comes at once (none was made yet); wait for it.
      const deadline0 = Date.now() + 5000;
      while (a.syncedIndex < 1 && Date.now() < deadline0) await sleep(2);
      assert.equal(a.syncedIndex, 1);
      // Within the interval after a sync, writes are acknowledged unsynced.
      for (let i = 2; i <= 50; i++) a.add(i, termFor(i), 1, timeFor(i), payloadFor(i));
      const written = Date.now();
      assert.equal(await a.flush(), 50);
      assert.equal(a.writtenIndex, 50);
      assert.ok(a.syncedIndex < 50, `synced ${a.syncedIndex} already`);
      assert.equal(a.ackIndex, 50);
      // ... and synced within about the interval, with nothing else happening.
      const deadline = Date.now() + ms + 5000;
      while (a.syncedIndex < 50 && Date.now() < deadline) await sleep(2);
      assert.equal(a.syncedIndex, 50);
      assert.ok(Date.now() - written >= ms / 2, `synced after ${Date.now() - written} ms, well before the interval`);
      assert.ok(a.stats().syncs >= 2);
      // close syncs what is left.
      for (let i = 51; i <= 60; i++) a.add(i, termFor(i), 1, timeFor(i), payloadFor(i));
      await a.flush();
    } finally {
      await a.close();
    }
    assert.equal(a.syncedIndex, 60);
    const b = await Archive.open({ dir, mode: 'read' });
    try {
      assertDeterministic(await readAll(b), 1, 60);
    } finally {
      await b.close();
    }
  });

  it('a closed archive refuses new entries and waits; a read-only one refuses writes', async () => {
    const dir = join(await temp.make('bourse-fsync-'), 'a');
    const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
    a.add(1, 1, 1, 0, payloadFor(1));
    await a.close();
    await a.close();
    assert.throws(() => a.add(2, 1, 1, 0, payloadFor(2)), /CLOSED/);
    await assert.rejects(a.truncateAfter(0), /CLOSED/);
    const r = await Archive.open({ dir, mode: 'read' });
    try {
      assert.equal(r.readOnly, true);
      assert.throws(() => r.add(2, 1, 1, 0, payloadFor(2)), /CLOSED/);
    } finally {
      await r.close();
    }
  });
});
