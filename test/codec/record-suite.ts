/**
 * The tests every slot-record codec must pass (events and commands share the layout and the
 * validating reader): round trips of every record type, rejection of every kind of bad input
 * with its stable error code and the offset of the bad record, fuzzing, unaligned input.
 * Not a test file itself: events.test.ts and commands.test.ts run it on their codec.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type RecordSpec, STRING_SLOTS, headerOf, slotCount } from '../../src/application/layout.ts';
import type { DecodeError, DecodeErrorCode, Decoded } from '../../src/codec/records.ts';
import { type AnyRecord, MAX_SAFE, anyRecordArb, recordArb } from '../arbitraries.ts';

export interface CodecUnderTest {
  /** 'event' or 'command'. */
  readonly what: string;
  readonly specs: Readonly<Record<string, RecordSpec>>;
  readonly version: number;
  /** Encodes a batch into fresh bytes of its own (byte offset 0). */
  encode(records: readonly AnyRecord[]): Uint8Array;
  /** Decodes a batch, with no record limit in reach of these tests. */
  decode(bytes: Uint8Array): Decoded<unknown[]>;
}

export const KNOWN_CODES: ReadonlySet<DecodeErrorCode> = new Set<DecodeErrorCode>([
  'TRUNCATED', 'BAD_HEADER', 'UNKNOWN_TYPE', 'BAD_VERSION', 'BAD_LENGTH', 'NOT_SAFE_INTEGER', 'BAD_STRING',
  'TOO_MANY_RECORDS',
]);

/** The bad integers of a slot: none of them is a safe integer. */
export const UNSAFE_VALUES: readonly number[] = [
  2 ** 53, -(2 ** 53), 2 ** 53 + 2, 2 ** 60, -(2 ** 60), 1.5, -1.5, 0.5, -0.5, 5e-324, Number.NaN,
  Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, -Number.MAX_VALUE,
];

export function bytesOf(slots: Float64Array): Uint8Array {
  return new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength);
}

/** An aligned copy of bytes whose length is a multiple of 8, as slots. */
export function slotsCopy(bytes: Uint8Array): Float64Array {
  assert.equal(bytes.length % 8, 0);
  const copy = new Float64Array(bytes.length / 8);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function expectError<T>(r: Decoded<T>, code: DecodeErrorCode, offset: number, context = ''): DecodeError {
  if (r.ok) assert.fail(`${context}: expected ${code} at ${offset}, decoded ${JSON.stringify(r.value)}`);
  assert.equal(r.error.code, code, `${context}: ${r.error.message}`);
  assert.equal(r.error.offset, offset, `${context}: ${code} offset (${r.error.message})`);
  assert.equal(typeof r.error.message, 'string');
  assert.ok(r.error.message.length > 0, `${context}: empty message`);
  return r.error;
}

export function expectOk<T>(r: Decoded<T>, context = ''): T {
  if (!r.ok) assert.fail(`${context}: ${r.error.code} at ${r.error.offset}: ${r.error.message}`);
  return r.value;
}

/** Packs character codes the way layout.ts packs strings, six to a slot, 4 slots. */
export function packCodes(codes: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = 0; k < STRING_SLOTS; k++) {
    let v = 0;
    for (let i = 0; i < 6; i++) v += (codes[k * 6 + i] ?? 0) * 256 ** i;
    out.push(v);
  }
  return out;
}

/** The slot offset of each field (header = 0). */
export function fieldOffsets(spec: RecordSpec): Map<string, number> {
  const offsets = new Map<string, number>();
  let p = 1;
  for (const [name, kind] of spec.fields) {
    offsets.set(name, p);
    p += kind === 'str' ? STRING_SLOTS : 1;
  }
  return offsets;
}

function sample<T>(arb: fc.Arbitrary<T>, seed: number): T {
  return fc.sample(arb, { numRuns: 1, seed })[0];
}

export function recordCodecSuite(codec: CodecUnderTest): void {
  const types = Object.keys(codec.specs);
  const anyRecord = anyRecordArb(codec.specs);
  const batchArb = fc.array(anyRecord, { size: 'max', maxLength: 40 });
  const codes = new Set(types.map((t) => codec.specs[t].code));
  let seed = 1;
  /** A few valid records to put before and after a bad one. */
  const neighbours = (): { prefix: AnyRecord[]; suffix: AnyRecord[] } => ({
    prefix: sample(fc.array(anyRecord, { maxLength: 4 }), seed++),
    suffix: sample(fc.array(anyRecord, { maxLength: 2 }), seed++),
  });
  const oneOf = (type: string): AnyRecord => sample(recordArb(type, codec.specs[type]), seed++);
  const slotsOfRecord = (r: AnyRecord): Float64Array => slotsCopy(codec.encode([r]));
  /** Decodes prefix + bad + suffix; the error must be `code` at the bad record's byte offset. */
  const expectBadRecord = (bad: Float64Array, code: DecodeErrorCode, context: string): DecodeError => {
    const { prefix, suffix } = neighbours();
    const pre = codec.encode(prefix);
    const bytes = concat(pre, bytesOf(bad), codec.encode(suffix));
    return expectError(codec.decode(bytes), code, pre.length, context);
  };

  /** What every decode outcome must satisfy, whatever the input. */
  const checkOutcome = (bytes: Uint8Array, r: Decoded<unknown[]>): void => {
    if (r.ok) {
      // A valid input is exactly the encoding of what it decodes to (up to the sign of zero).
      const again = codec.encode(r.value as AnyRecord[]);
      assert.equal(again.length, bytes.length);
      const a = slotsCopy(again);
      const b = slotsCopy(bytes);
      for (let i = 0; i < a.length; i++) assert.ok(a[i] === b[i], `slot ${i}: ${a[i]} re-encoded, ${b[i]} read`);
      return;
    }
    const { code, offset, message } = r.error;
    assert.ok(KNOWN_CODES.has(code), `unknown code ${code}`);
    assert.equal(typeof message, 'string');
    assert.ok(message.length > 0);
    assert.ok(Number.isInteger(offset) && offset >= 0 && offset % 8 === 0, `offset ${offset}`);
    assert.ok(offset < Math.max(bytes.length, 1), `offset ${offset} past ${bytes.length} bytes`);
    if (bytes.length % 8 !== 0) {
      assert.equal(code, 'TRUNCATED');
      assert.equal(offset, 0);
    }
    // Everything before the bad record is valid.
    expectOk(codec.decode(bytes.subarray(0, offset)), `prefix before ${code}`);
  };

  describe(`${codec.what} round trip`, () => {
    for (const type of types) {
      const spec = codec.specs[type];
      it(`${type}: decode(encode(x)) equals x`, () => {
        const header = headerOf(spec, codec.version);
        fc.assert(
          fc.property(recordArb(type, spec), (record) => {
            const bytes = codec.encode([record]);
            assert.equal(bytes.length, slotCount(spec) * 8);
            assert.equal(slotsCopy(bytes)[0], header);
            assert.deepEqual(expectOk(codec.decode(bytes), type), [record]);
          }),
          { numRuns: 300 },
        );
      });
    }

    it('mixed batches round trip', () => {
      fc.assert(
        fc.property(batchArb, (records) => {
          const bytes = codec.encode(records);
          assert.deepEqual(expectOk(codec.decode(bytes)), records);
        }),
        { numRuns: 500 },
      );
    });

    it('an empty input is an empty batch', () => {
      assert.deepEqual(expectOk(codec.decode(new Uint8Array(0))), []);
    });

    it('ints at the safe edges ±(2^53 − 1) and 0 decode, in every int field', () => {
      for (const type of types) {
        const spec = codec.specs[type];
        for (const edge of [MAX_SAFE, -MAX_SAFE, 0]) {
          const record = oneOf(type);
          for (const [name, kind] of spec.fields) if (kind === 'int') record[name] = edge;
          assert.deepEqual(expectOk(codec.decode(codec.encode([record])), type), [record]);
        }
      }
    });

    it('an int field holding -0 decodes as +0', () => {
      for (const type of types) {
        for (const [name, offset] of fieldOffsets(codec.specs[type])) {
          if (codec.specs[type].fields.find(([n]) => n === name)?.[1] !== 'int') continue;
          const record = oneOf(type);
          const slots = slotsOfRecord(record);
          slots[offset] = -0;
          const [decoded] = expectOk(codec.decode(bytesOf(slots)), `${type}.${name}`) as AnyRecord[];
          assert.ok(Object.is(decoded[name], 0), `${type}.${name} decoded as ${String(decoded[name])}`);
          assert.deepEqual(decoded, { ...record, [name]: 0 });
        }
      }
    });
  });

  describe(`${codec.what} rejection`, () => {
    it('every truncation of each record type is TRUNCATED at offset 0 (empty: an empty batch)', () => {
      for (const type of types) {
        for (let run = 0; run < 3; run++) {
          const bytes = codec.encode([oneOf(type)]);
          assert.deepEqual(expectOk(codec.decode(bytes.subarray(0, 0))), []);
          for (let length = 1; length < bytes.length; length++) {
            expectError(codec.decode(bytes.subarray(0, length)), 'TRUNCATED', 0, `${type} cut to ${length} bytes`);
            // The same cut of a copy that starts aligned in its own buffer.
            expectError(codec.decode(bytes.slice(0, length)), 'TRUNCATED', 0, `${type} copy cut to ${length} bytes`);
          }
        }
      }
    });

    it('every truncation of a mixed batch: a prefix at record ends, else TRUNCATED at the cut record', () => {
      fc.assert(
        fc.property(fc.array(anyRecord, { minLength: 1, maxLength: 8 }), (records) => {
          const bytes = codec.encode(records);
          const starts: number[] = [];
          let at = 0;
          for (const r of records) {
            starts.push(at);
            at += codec.encode([r]).length;
          }
          starts.push(at);
          for (let length = 0; length <= bytes.length; length++) {
            const r = codec.decode(bytes.subarray(0, length));
            const whole = starts.indexOf(length);
            if (whole >= 0) {
              assert.deepEqual(expectOk(r, `cut at ${length}`), records.slice(0, whole));
            } else if (length % 8 !== 0) {
              expectError(r, 'TRUNCATED', 0, `cut at ${length}`);
            } else {
              const cut = starts.filter((s) => s < length).pop() ?? 0;
              expectError(r, 'TRUNCATED', cut, `cut at ${length}`);
            }
          }
        }),
        { numRuns: 40 },
      );
    });

    it('a length that is not a multiple of 8 is TRUNCATED at offset 0', () => {
      fc.assert(
        fc.property(batchArb, fc.uint8Array({ minLength: 1, maxLength: 7 }), (records, extra) => {
          const bytes = concat(codec.encode(records), extra);
          expectError(codec.decode(bytes), 'TRUNCATED', 0, `${bytes.length} bytes`);
        }),
        { numRuns: 300 },
      );
    });

    it('an unknown type code is UNKNOWN_TYPE at the bad record', () => {
      for (let code = 0; code < 256; code++) {
        if (codes.has(code)) continue;
        for (const slots of [1, 2, 5]) {
          const bad = new Float64Array(slots);
          bad[0] = code + 256 * slots + 65536 * codec.version;
          for (let i = 1; i < slots; i++) bad[i] = i;
          expectBadRecord(bad, 'UNKNOWN_TYPE', `type ${code}`);
        }
      }
    });

    it('a wrong layout version is BAD_VERSION at the bad record', () => {
      for (const type of types) {
        const spec = codec.specs[type];
        for (const version of [0, codec.version + 1, 2, 100, 255]) {
          if (version === codec.version) continue;
          const bad = slotsOfRecord(oneOf(type));
          bad[0] = spec.code + 256 * slotCount(spec) + 65536 * version;
          expectBadRecord(bad, 'BAD_VERSION', `${type} version ${version}`);
        }
      }
    });

    it('a header whose slot count disagrees with the layout is BAD_LENGTH at the bad record', () => {
      for (const type of types) {
        const spec = codec.specs[type];
        const n = slotCount(spec);
        for (const claimed of new Set([0, 1, n - 1, n + 1, n + 4, 255])) {
          if (claimed === n || claimed < 0) continue;
          const bad = slotsOfRecord(oneOf(type));
          bad[0] = spec.code + 256 * claimed + 65536 * codec.version;
          expectBadRecord(bad, 'BAD_LENGTH', `${type} claiming ${claimed} slots`);
        }
      }
    });

    it('a header that is NaN, negative, fractional, infinite or >= 2^24 is BAD_HEADER at the bad record', () => {
      for (const type of types) {
        const spec = codec.specs[type];
        const h = headerOf(spec, codec.version);
        const badHeaders = [
          Number.NaN, -1, -h, -(2 ** 24), -MAX_SAFE, 2 ** 24, 2 ** 24 + h, 2 ** 32 + h, 2 ** 53, MAX_SAFE, h + 0.5,
          1.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, 5e-324,
        ];
        for (const header of badHeaders) {
          const bad = slotsOfRecord(oneOf(type));
          bad[0] = header;
          expectBadRecord(bad, 'BAD_HEADER', `${type} header ${header}`);
        }
      }
    });

    it('an int field that is not a safe integer is NOT_SAFE_INTEGER at the bad record, naming the field', () => {
      for (const type of types) {
        const spec = codec.specs[type];
        for (const [name, offset] of fieldOffsets(spec)) {
          if (spec.fields.find(([n]) => n === name)?.[1] !== 'int') continue;
          for (const value of UNSAFE_VALUES) {
            const bad = slotsOfRecord(oneOf(type));
            bad[offset] = value;
            const error = expectBadRecord(bad, 'NOT_SAFE_INTEGER', `${type}.${name} = ${value}`);
            assert.ok(error.message.includes(`${type}.${name}`), error.message);
          }
          for (const value of [MAX_SAFE, -MAX_SAFE]) {
            const record = oneOf(type);
            const slots = slotsOfRecord(record);
            slots[offset] = value;
            assert.deepEqual(expectOk(codec.decode(bytesOf(slots))), [{ ...record, [name]: value }]);
          }
        }
      }
    });

    it('a string field that is not a packed ASCII name is BAD_STRING at the bad record, naming the field', () => {
      const A = 0x41;
      const badStrings: [string, number[]][] = [
        ['empty', packCodes([])],
        ['non-ASCII 0x80 first', packCodes([0x80])],
        ['non-ASCII 0xff inside', packCodes([A, A, 0xff, A])],
        ['0x7f (DEL)', packCodes([A, 0x7f])],
        ['0x20 (space)', packCodes([A, 0x20, A])],
        ['0x01', packCodes([0x01, A])],
        ['non-ASCII as the 24th character', packCodes([...Array<number>(23).fill(A), 0xc3])],
        ['non-ASCII at a slot edge', packCodes([A, A, A, A, A, A, 0x80])],
        ['a gap inside a slot', packCodes([A, 0, A])],
        ['a leading gap', packCodes([0, A])],
        ['a gap across slots', [A, 0x42, 0, 0]],
        ['a gap before the last slot', [A, 0, 0, 0x42]],
        ['a slot >= 2^48', [A + 2 ** 48, 0, 0, 0]],
        ['a later slot of exactly 2^48 (six zero characters and a carry)', [A, 2 ** 48, 0, 0]],
        ['a slot of 2^48 - 1 (six 0xff characters)', [2 ** 48 - 1, 0, 0, 0]],
        ['a negative slot', [-A, 0, 0, 0]],
        ['a fractional slot', [A + 0.5, 0, 0, 0]],
        ['a NaN slot', [A, Number.NaN, 0, 0]],
        ['an infinite slot', [Number.POSITIVE_INFINITY, 0, 0, 0]],
        ['an unsafe slot', [A, 2 ** 53, 0, 0]],
      ];
      let stringFields = 0;
      for (const type of types) {
        const spec = codec.specs[type];
        for (const [name, offset] of fieldOffsets(spec)) {
          if (spec.fields.find(([n]) => n === name)?.[1] !== 'str') continue;
          stringFields++;
          for (const [what, packed] of badStrings) {
            const bad = slotsOfRecord(oneOf(type));
            bad.set(packed, offset);
            const error = expectBadRecord(bad, 'BAD_STRING', `${type}.${name}: ${what}`);
            assert.ok(error.message.includes(`${type}.${name}`), error.message);
          }
          // The widest names still decode: 24 characters, and the extremes of the range.
          for (const valid of ['A'.repeat(24), '!'.repeat(24), '~', '!~'.repeat(12), 'ABCDEF', 'ABCDEFG']) {
            const record = { ...oneOf(type), [name]: valid };
            assert.deepEqual(expectOk(codec.decode(codec.encode([record]))), [record]);
          }
        }
      }
      assert.ok(stringFields > 0, 'no string field was tested');
    });

    it('the first bad record is reported when several are bad', () => {
      fc.assert(
        fc.property(fc.array(anyRecord, { minLength: 2, maxLength: 6 }), fc.nat(), (records, pick) => {
          const parts = records.map((r) => slotsOfRecord(r));
          const first = pick % parts.length;
          for (let i = first; i < parts.length; i++) parts[i][0] = Number.NaN;
          const offset = parts.slice(0, first).reduce((n, p) => n + p.byteLength, 0);
          expectError(codec.decode(concat(...parts.map(bytesOf))), 'BAD_HEADER', offset);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe(`${codec.what} fuzz`, () => {
    const RUNS = 20_000;

    it(`${RUNS} random byte arrays: never a throw, ok or a known DecodeError`, () => {
      const bytesArb = fc.oneof(
        fc.uint8Array({ size: 'max', maxLength: 200 }),
        fc.integer({ min: 0, max: 25 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })),
      );
      fc.assert(
        fc.property(bytesArb, (bytes) => {
          checkOutcome(bytes, codec.decode(bytes));
        }),
        { numRuns: RUNS },
      );
    });

    it(`${RUNS} random slot runs near the layout: never a throw, ok or a known DecodeError`, () => {
      const specs = types.map((t) => codec.specs[t]);
      const slotValue = fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: -5, max: 300 }) },
        { weight: 2, arbitrary: fc.maxSafeInteger() },
        { weight: 1, arbitrary: fc.constantFrom(...UNSAFE_VALUES, -0) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 ** 48 - 1 }) },
        { weight: 2, arbitrary: fc.constantFrom(...packCodes([0x41, 0x42]), ...packCodes('ABCDEFGHIJK'.split('').map((c) => c.charCodeAt(0)))) },
      );
      const header = fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...specs.map((s) => headerOf(s, codec.version))) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 30 }), fc.constantFrom(0, codec.version, codec.version + 1))
            .map(([t, n, v]) => t + 256 * n + 65536 * v),
        },
        { weight: 1, arbitrary: slotValue },
      );
      const record = fc
        .tuple(header, fc.array(slotValue, { size: 'max', maxLength: 30 }), fc.boolean())
        .map(([h, body, fit]) => {
          const n = (h >>> 8) & 255;
          // Most records carry the number of slots their header claims, some do not.
          return [h, ...(fit && Number.isSafeInteger(h) && h >= 0 && n > 0 ? Array.from({ length: n - 1 }, (_, i) => body[i] ?? 1) : body)];
        });
      fc.assert(
        fc.property(fc.array(record, { maxLength: 6 }), (records) => {
          const bytes = bytesOf(Float64Array.from(records.flat()));
          checkOutcome(bytes, codec.decode(bytes));
        }),
        { numRuns: RUNS },
      );
    });

    it(`${RUNS} bit flips and byte mutations of valid encodings: never a throw, ok or a known DecodeError`, () => {
      const mutation = fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      );
      let changed = 0;
      let rejected = 0;
      fc.assert(
        fc.property(
          fc.array(anyRecord, { minLength: 1, maxLength: 6 }),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          (records, mutations) => {
            const bytes = codec.encode(records);
            for (const m of mutations) {
              const at = m.at % bytes.length;
              bytes[at] = m.kind === 'flip' ? bytes[at] ^ (1 << m.value) : m.value;
            }
            const r = codec.decode(bytes);
            checkOutcome(bytes, r);
            changed++;
            if (!r.ok) rejected++;
          },
        ),
        { numRuns: RUNS },
      );
      // Sanity: the mutations do reach the validation (a good share of them are rejected).
      assert.ok(rejected > changed / 10, `only ${rejected} of ${changed} mutated inputs rejected`);
    });
  });

  describe(`${codec.what} unaligned input`, () => {
    it('a view starting at an odd byte offset of a larger buffer decodes to the same records', () => {
      fc.assert(
        fc.property(batchArb, fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 9 }), (records, shift, tail) => {
          const encoded = codec.encode(records);
          const big = new Uint8Array(shift + encoded.length + tail).fill(0xa5);
          big.set(encoded, shift);
          const view = big.subarray(shift, shift + encoded.length);
          assert.equal(view.byteOffset, shift);
          const before = big.slice();
          assert.deepEqual(expectOk(codec.decode(view), `shift ${shift}`), records);
          assert.deepEqual(big, before, 'decoding changed its input');
        }),
        { numRuns: 300 },
      );
    });

    it('errors in an unaligned view report offsets relative to the view', () => {
      fc.assert(
        fc.property(fc.array(anyRecord, { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 1, max: 7 }), (records, pick, shift) => {
          const parts = records.map((r) => slotsOfRecord(r));
          const bad = pick % parts.length;
          parts[bad][0] = Number.NaN;
          const encoded = concat(...parts.map(bytesOf));
          const big = new Uint8Array(shift + encoded.length);
          big.set(encoded, shift);
          const offset = parts.slice(0, bad).reduce((n, p) => n + p.byteLength, 0);
          expectError(codec.decode(big.subarray(shift)), 'BAD_HEADER', offset);
        }),
        { numRuns: 200 },
      );
    });
  });
}
