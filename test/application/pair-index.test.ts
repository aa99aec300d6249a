/** PairIndex against a JS Map: random set/get/delete sequences, collisions, deletions, growth. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../src/application/assert.ts';
import { PairIndex } from '../../src/application/pair-index.ts';
import { runs } from '../arbitraries.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO_32 = 2 ** 32;

type Op =
  | { op: 'set'; a: number; b: number; value: number }
  | { op: 'get'; a: number; b: number }
  | { op: 'delete'; a: number; b: number };

const keyOf = (a: number, b: number): string => `${a}:${b}`;

/** Checks every operation against the model, and after every change, every key of the model. */
function runAgainstModel(index: PairIndex, ops: readonly Op[], universe: readonly (readonly [number, number])[]): void {
  const model = new Map<string, number>();
  const checkAll = (): void => {
    assert.equal(index.size, model.size, 'size');
    for (const [a, b] of universe) {
      assert.equal(index.get(a, b), model.get(keyOf(a, b)) ?? -1, `get(${a}, ${b})`);
    }
  };
  for (const o of ops) {
    const k = keyOf(o.a, o.b);
    if (o.op === 'set') {
      index.set(o.a, o.b, o.value);
      model.set(k, o.value);
      checkAll();
    } else if (o.op === 'get') {
      assert.equal(index.get(o.a, o.b), model.get(k) ?? -1, `get(${o.a}, ${o.b})`);
    } else {
      assert.equal(index.delete(o.a, o.b), model.delete(k), `delete(${o.a}, ${o.b})`);
      checkAll();
    }
  }
  checkAll();
}

function opsOver(keys: fc.Arbitrary<readonly [number, number]>, maxLength: number): fc.Arbitrary<Op[]> {
  const value = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
  const op = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(keys, value).map(([[a, b], v]): Op => ({ op: 'set', a, b, value: v })) },
    { weight: 2, arbitrary: keys.map(([a, b]): Op => ({ op: 'get', a, b })) },
    { weight: 4, arbitrary: keys.map(([a, b]): Op => ({ op: 'delete', a, b })) },
  );
  return fc.array(op, { size: 'max', maxLength });
}

describe('PairIndex against a Map', () => {
  it('small key range (collisions, long probe runs, backward-shift deletions)', () => {
    const A = [1, 2, 3, 4, 5, 6, 7, 8];
    const B = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const universe = A.flatMap((a) => B.map((b) => [a, b] as const));
    const keys = fc.tuple(fc.constantFrom(...A), fc.constantFrom(...B));
    fc.assert(
      fc.property(opsOver(keys, 200), fc.constantFrom(1, 4, 16, 64), (ops, capacity) => {
        runAgainstModel(new PairIndex(capacity), ops, universe);
      }),
      runs(500),
    );
  });

  it('large keys near 2^53 and around 2^32 (the hash splits keys at 2^32)', () => {
    const near = (base: number): number[] => [base - 2, base - 1, base, base + 1].filter((x) => x > 0 && x <= MAX_SAFE);
    const A = [...near(MAX_SAFE), ...near(MAX_SAFE - TWO_32), ...near(TWO_32), ...near(2 ** 52), 1, 2 ** 31];
    const B = [0, 1, ...near(MAX_SAFE), ...near(TWO_32), 2 ** 31 - 1, 2 ** 31];
    const universe = A.flatMap((a) => B.map((b) => [a, b] as const));
    const keys = fc.tuple(fc.constantFrom(...A), fc.constantFrom(...B));
    fc.assert(
      fc.property(opsOver(keys, 200), fc.constantFrom(1, 8, 256), (ops, capacity) => {
        runAgainstModel(new PairIndex(capacity), ops, universe);
      }),
      runs(300),
    );
  });

  it('arbitrary safe keys (random, with reused keys)', () => {
    const keys = fc.tuple(fc.integer({ min: 1, max: MAX_SAFE }), fc.integer({ min: 0, max: MAX_SAFE }));
    fc.assert(
      fc.property(fc.uniqueArray(keys, { minLength: 1, size: 'max', maxLength: 40, selector: ([a, b]) => keyOf(a, b) }), fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.nat()), { size: 'max', maxLength: 300 }), (pool, picks) => {
        const ops = picks.map(([i, kind, v]): Op => {
          const [a, b] = pool[i % pool.length];
          return kind === 0 ? { op: 'set', a, b, value: v % 2 ** 31 } : kind === 1 ? { op: 'get', a, b } : { op: 'delete', a, b };
        });
        runAgainstModel(new PairIndex(1), ops, pool);
      }),
      runs(300),
    );
  });
});

describe('PairIndex growth', () => {
  it('grows past many resizes and keeps every entry; deletions and reinsertions after growth', () => {
    const index = new PairIndex(1);
    const n = 100_000;
    const a = (i: number): number => (i % 3 === 0 ? MAX_SAFE - i : i % 3 === 1 ? TWO_32 + i : i + 1);
    const b = (i: number): number => (i % 2 === 0 ? 0 : Math.floor(MAX_SAFE / (i + 1)));
    const bytes0 = index.byteSize();
    for (let i = 0; i < n; i++) {
      index.set(a(i), b(i), i);
      if ((i & (i + 1)) === 0) {
        // At each power of two: everything inserted so far is there.
        for (let j = 0; j <= i; j++) assert.equal(index.get(a(j), b(j)), j);
      }
    }
    assert.equal(index.size, n);
    assert.ok(index.byteSize() >= bytes0 * 2 ** 12, `${index.byteSize()} bytes after ${n} entries`);
    for (let i = 0; i < n; i++) assert.equal(index.get(a(i), b(i)), i);
    assert.equal(index.get(a(n), b(n)), -1);
    for (let i = 0; i < n; i += 2) assert.equal(index.delete(a(i), b(i)), true);
    assert.equal(index.size, n / 2);
    for (let i = 0; i < n; i++) assert.equal(index.get(a(i), b(i)), i % 2 === 0 ? -1 : i);
    for (let i = 0; i < n; i += 2) index.set(a(i), b(i), n + i);
    for (let i = 0; i < n; i++) assert.equal(index.get(a(i), b(i)), i % 2 === 0 ? n + i : i);
    assert.equal(index.size, n);
    for (let i = 0; i < n; i++) assert.equal(index.delete(a(i), b(i)), true);
    assert.equal(index.size, 0);
    for (let i = 0; i < n; i += 997) assert.equal(index.get(a(i), b(i)), -1);
  });

  it('overwriting keeps the size; clear empties the index and it stays usable', () => {
    const index = new PairIndex(4);
    for (let i = 1; i <= 100; i++) index.set(i, i * 7, i);
    for (let i = 1; i <= 100; i++) index.set(i, i * 7, -i + 1000);
    assert.equal(index.size, 100);
    for (let i = 1; i <= 100; i++) assert.equal(index.get(i, i * 7), 1000 - i);
    index.clear();
    assert.equal(index.size, 0);
    for (let i = 1; i <= 100; i++) assert.equal(index.get(i, i * 7), -1);
    assert.equal(index.delete(5, 35), false);
    index.set(5, 35, 9);
    assert.equal(index.get(5, 35), 9);
    assert.equal(index.size, 1);
  });

  it('a first key that is not positive is refused', () => {
    const index = new PairIndex();
    assert.throws(() => index.set(0, 1, 1), InvariantError);
    assert.throws(() => index.set(-1, 1, 1), InvariantError);
    assert.equal(index.size, 0);
    assert.equal(index.get(0, 1), -1);
  });
});
