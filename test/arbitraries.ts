/** fast-check arbitraries shared by the codec and application tests (not a test file itself). */
import fc from 'fast-check';
import type { RecordSpec } from '../src/application/layout.ts';

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Safe integers, biased toward the edges: 0, ±1, ±(2^53 − 1), the 2^31 and 2^32 boundaries. */
export const safeInt: fc.Arbitrary<number> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0, 1, -1, MAX_SAFE, -MAX_SAFE, MAX_SAFE - 1, -MAX_SAFE + 1,
      2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 48, -(2 ** 48),
    ),
  },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
  { weight: 3, arbitrary: fc.maxSafeInteger() },
);

const nameChar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Valid names: 1 to 24 characters of 0x21–0x7e, every length equally likely (slot edges included). */
export const validName: fc.Arbitrary<string> = fc
  .integer({ min: 1, max: 24 })
  .chain((n) => fc.string({ unit: nameChar, minLength: n, maxLength: n }));

export type AnyRecord = { type: string } & Record<string, number | string>;

/** Arbitrary objects of one record type: every int field a safe integer, every string a valid name. */
export function recordArb(type: string, spec: RecordSpec): fc.Arbitrary<AnyRecord> {
  const shape: Record<string, fc.Arbitrary<number | string>> = {};
  for (const [name, kind] of spec.fields) shape[name] = kind === 'str' ? validName : safeInt;
  return fc.record(shape).map((fields): AnyRecord => ({ type, ...fields }));
}

/** Arbitrary objects of any record type of a table. */
export function anyRecordArb(specs: Readonly<Record<string, RecordSpec>>): fc.Arbitrary<AnyRecord> {
  return fc.oneof(...Object.entries(specs).map(([type, spec]) => recordArb(type, spec)));
}

/**
 * fc.assert options: `numRuns`, and a cap on the whole run (shrinking a failure included), so a
 * failure of a heavy model-based property is reported in bounded time. A run interrupted by the
 * cap fails (passing runs take a small fraction of it).
 */
export function runs(numRuns: number, limitMs = 60_000): fc.Parameters<unknown> {
  return { numRuns, plugins: [fc.interruptAfterTimeLimit(limitMs, { failOnInterrupt: true })] };
}
