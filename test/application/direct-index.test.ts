/**
 * DirectIndex against a JS Map: random inserts, removals and lookups of positions whose keys
 * (pairs) the test keeps, placed by a number drawn from a few values so that keys share table
 * slots and spill — and removed in any order, so that a spilled key outlives the one that took
 * its slot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DirectIndex } from '../../src/application/direct-index.ts';
import { runs } from '../arbitraries.ts';

const POSITIONS = 24;
const KEYS = 60;

describe('DirectIndex', () => {
  it('finds exactly the positions indexed, through shared slots, spills and removals', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.array(fc.record({ insert: fc.boolean(), key: fc.integer({ min: 1, max: KEYS }) }), { maxLength: 300 }),
      (spread, ops) => {
        // Key k is the pair (k % 3, k), placed in one of `spread` slots (by numbers negative or past 32 bits).
        const placed = (key: number): number => (key % spread) + (key % 2) * 2 ** 32 - 3;
        const index = new DirectIndex(POSITIONS);
        const first = new Float64Array(POSITIONS);
        const second = new Float64Array(POSITIONS);
        const model = new Map<number, number>();
        for (const { insert, key } of ops) {
          const indexed = model.get(key);
          if (insert && indexed === undefined && model.size < POSITIONS) {
            const at = second.findIndex((k) => k === 0);
            first[at] = key % 3;
            second[at] = key;
            index.insert(placed(key), key % 3, key, at);
            model.set(key, at);
          } else if (!insert && indexed !== undefined) {
            assert.equal(index.remove(placed(key), key % 3, key, indexed), true);
            assert.equal(index.remove(placed(key), key % 3, key, indexed), false, 'a position is removed once');
            first[indexed] = 0;
            second[indexed] = 0;
            model.delete(key);
          }
          for (let k = 1; k <= KEYS; k++) assert.equal(index.find(placed(k), first, k % 3, second, k), model.get(k) ?? -1, `key ${k}`);
        }
      },
    ), runs(300));
  });
});
