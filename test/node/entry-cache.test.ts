/**
 * The entry cache against a model: after any sequence of runs put (following on, or restarting
 * elsewhere) and truncations, it holds a suffix of what was put, at least `capacity` entries of
 * it when it has them (whole runs), and finds each held entry's record.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { EntryBatch } from '../../src/archive/entry-batch.ts';
import { Views } from '../../src/archive/record.ts';
import { EntryCache } from '../../src/node/entry-cache.ts';

type Op = { kind: 'put'; count: number; offset: number; restart: number } | { kind: 'truncate'; back: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), count: fc.integer({ min: 0, max: 9 }), offset: fc.integer({ min: 0, max: 3 }), restart: fc.integer({ min: -1, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 12 }) }) },
);

/** A batch of `size` records whose record k is tagged with `tag + k` (in its first slot). */
function batchOf(size: number, tag: number): EntryBatch {
  const v = new Views(new ArrayBuffer(Math.max(8, size * 8)));
  const batch = new EntryBatch(v.bytes, v.view, v.slots, size);
  for (let k = 0; k < size; k++) {
    v.slots[k] = tag + k;
    batch.push(k * 8);
  }
  return batch;
}

it('the entry cache holds a suffix of what was put, finds each entry, and bounds itself', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
    const cache = new EntryCache(capacity);
    // The model: runs held as [first, last], and each entry's record tag.
    let runs: [number, number][] = [];
    const tags = new Map<number, number>();
    let last = 0;
    let tag = 1_000;
    for (const o of ops) {
      if (o.kind === 'put') {
        const first = o.restart < 0 ? last + 1 : 1 + o.restart;
        cache.put(first, batchOf(o.offset + o.count, tag), o.offset, o.count);
        if (o.count > 0) {
          if (first !== last + 1) runs = [];
          for (let i = 0; i < o.count; i++) tags.set(first + i, tag + o.offset + i);
          last = first + o.count - 1;
          runs.push([first, last]);
          // A run leaves once the runs after it hold `capacity` entries.
          while (runs.length > 1 && last - runs[1][0] + 1 >= capacity) runs.shift();
        }
        tag += 1_000;
      } else {
        const to = last - o.back;
        cache.truncateAfter(to);
        runs = runs.filter(([first]) => first <= to).map(([first, end]) => [first, Math.min(end, to)]);
        last = runs.length > 0 ? Math.min(last, to) : last;
      }
      if (runs.length === 0) {
        assert.ok(cache.last < cache.first, 'empty');
      } else {
        assert.equal(cache.first, runs[0][0]);
        assert.equal(cache.last, runs[runs.length - 1][1]);
        for (let i = cache.first; i <= cache.last; i++) {
          const run = cache.runAt(i);
          assert.ok(run !== undefined, `entry ${i} is held`);
          assert.equal(run.batch.slots[run.batch.offsets[run.at(i)] / 8], tags.get(i), `entry ${i}'s record`);
        }
        assert.equal(cache.holds(cache.first, cache.last), true);
      }
      assert.equal(cache.runAt(cache.first - 1), undefined);
      assert.equal(cache.runAt(cache.last + 1), undefined);
    }
  }), { numRuns: 2_000 });
});
