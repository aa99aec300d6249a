/**
 * RingIndex against a JS Map: random inserts, removals and lookups of positions whose keys
 * the test keeps, with hashes drawn from a few values so that probe runs collide, wrap around
 * and are shifted back on removal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RingIndex } from '../../src/application/ring-index.ts';
import { runs } from '../arbitraries.ts';

const POSITIONS = 24;

describe('RingIndex', () => {
  it('finds exactly the positions indexed, through collisions and removals', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.record({ insert: fc.boolean(), key: fc.integer({ min: 1, max: 60 }) }), { maxLength: 300 }),
      (spread, ops) => {
        // Few distinct hashes, some negative (int32 hashes are signed): long runs that wrap.
        const hashOf = (key: number): number => ((key % spread) * 0x9e3779b1) | 0;
        const index = new RingIndex(POSITIONS);
        const keys = new Float64Array(POSITIONS);
        const model = new Map<number, number>();
        for (const { insert, key } of ops) {
          const indexed = model.get(key);
          if (insert && indexed === undefined && model.size < POSITIONS) {
            const at = keys.findIndex((k) => k === 0);
            keys[at] = key;
            index.insert(hashOf(key), at);
            model.set(key, at);
          } else if (!insert && indexed !== undefined) {
            assert.equal(index.remove(hashOf(key), indexed), true);
            assert.equal(index.remove(hashOf(key), indexed), false, 'a position is removed once');
            keys[indexed] = 0;
            model.delete(key);
          }
          for (let k = 1; k <= 60; k++) assert.equal(index.find(hashOf(k), keys, k, undefined, 0), model.get(k) ?? -1, `key ${k}`);
        }
      },
    ), runs(300));
  });

  it('takes 8 bytes an entry, at least two entries a position', () => {
    assert.equal(new RingIndex(262_144).byteSize(), 524_288 * 8);
    assert.equal(new RingIndex(1).byteSize(), 16 * 8);
  });
});
