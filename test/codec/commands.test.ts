/** The binary form of commands: round trips, rejection of bad input, fuzzing (see record-suite.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { COMMANDS, COMMAND_BY_CODE, COMMAND_VERSION, type Command } from '../../src/application/commands.ts';
import { SlotBuffer, headerOf, slotCount } from '../../src/application/layout.ts';
import { decodeCommand, decodeCommands, encodeCommand } from '../../src/codec/commands.ts';
import type { Decoded } from '../../src/codec/records.ts';
import { type AnyRecord, anyRecordArb, recordArb } from '../arbitraries.ts';
import { KNOWN_CODES, bytesOf, concat, expectError, expectOk, recordCodecSuite, slotsCopy } from './record-suite.ts';

const asCommand = (r: AnyRecord): Command => r as unknown as Command;

function encodeBatch(records: readonly AnyRecord[]): Uint8Array {
  const out = new SlotBuffer(1);
  for (const r of records) encodeCommand(asCommand(r), out);
  return out.bytes().slice();
}

recordCodecSuite({
  what: 'command',
  specs: COMMANDS,
  version: COMMAND_VERSION,
  encode: encodeBatch,
  decode: (bytes) => decodeCommands(bytes, 1_000_000),
});

const anyCommand = anyRecordArb(COMMANDS);
const names = Object.keys(COMMANDS) as (keyof typeof COMMANDS)[];

describe('command table', () => {
  it('codes are distinct bytes, known by COMMAND_BY_CODE, and every record fits the header', () => {
    assert.equal(new Set(names.map((n) => COMMANDS[n].code)).size, names.length);
    assert.equal(COMMAND_BY_CODE.size, names.length);
    for (const name of names) {
      const spec = COMMANDS[name];
      assert.ok(Number.isInteger(spec.code) && spec.code > 0 && spec.code < 256, name);
      assert.equal(COMMAND_BY_CODE.get(spec.code), name);
      assert.ok(slotCount(spec) < 256, name);
      assert.ok(headerOf(spec, COMMAND_VERSION) < 2 ** 24, name);
    }
  });
});

describe('encodeCommand and decodeCommand', () => {
  for (const name of names) {
    it(`${name}: decodeCommand(encodeCommand(x)) equals x`, () => {
      fc.assert(
        fc.property(recordArb(name, COMMANDS[name]), (record) => {
          const bytes = encodeCommand(asCommand(record));
          assert.equal(bytes.length, slotCount(COMMANDS[name]) * 8);
          assert.deepEqual(expectOk(decodeCommand(bytes), name), record);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('encodeCommand into a used SlotBuffer appends and returns only the new record', () => {
    fc.assert(
      fc.property(fc.array(anyCommand, { size: 'max', maxLength: 12 }), (records) => {
        const out = new SlotBuffer(1);
        for (const r of records) assert.deepEqual(expectOk(decodeCommand(encodeCommand(asCommand(r), out).slice())), r);
        assert.deepEqual(expectOk(decodeCommands(out.bytes(), records.length)), records);
      }),
      { numRuns: 200 },
    );
  });

  it('an empty input is TRUNCATED for decodeCommand, an empty batch for decodeCommands', () => {
    expectError(decodeCommand(new Uint8Array(0)), 'TRUNCATED', 0);
    assert.deepEqual(expectOk(decodeCommands(new Uint8Array(0), 5)), []);
    assert.deepEqual(expectOk(decodeCommands(new Uint8Array(0), 0)), []);
  });

  it('every truncation of one command is TRUNCATED at offset 0 for decodeCommand', () => {
    fc.assert(
      fc.property(anyCommand, (record) => {
        const bytes = encodeCommand(asCommand(record)).slice();
        for (let length = 0; length < bytes.length; length++) {
          expectError(decodeCommand(bytes.subarray(0, length)), 'TRUNCATED', 0, `${record.type} cut to ${length}`);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('two commands are TOO_MANY_RECORDS for decodeCommand, at the second one', () => {
    fc.assert(
      fc.property(anyCommand, anyCommand, (a, b) => {
        const first = encodeBatch([a]);
        expectError(decodeCommand(concat(first, encodeBatch([b]))), 'TOO_MANY_RECORDS', first.length);
        // Even when what follows is garbage: the count is checked before the record.
        expectError(decodeCommand(concat(first, new Uint8Array(8).fill(0xff))), 'TOO_MANY_RECORDS', first.length);
      }),
      { numRuns: 100 },
    );
  });

  it('decodeCommand reports the same errors as decodeCommands for one bad command', () => {
    fc.assert(
      fc.property(anyCommand, fc.nat(), fc.constantFrom(Number.NaN, 2 ** 53, 1.5, -1), (record, pick, value) => {
        const slots = slotsCopy(encodeBatch([record]));
        slots[pick % slots.length] = value;
        const one = decodeCommand(bytesOf(slots));
        const many = decodeCommands(bytesOf(slots), 1);
        if (one.ok) assert.deepEqual(expectOk(many), [one.value]);
        else assert.deepEqual(one, many);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodeCommands record limit', () => {
  it('a batch of n commands decodes with max >= n; with max < n it is TOO_MANY_RECORDS at command max', () => {
    fc.assert(
      fc.property(fc.array(anyCommand, { size: 'max', maxLength: 12 }), fc.integer({ min: 0, max: 15 }), (records, max) => {
        const bytes = encodeBatch(records);
        const r = decodeCommands(bytes, max);
        if (records.length <= max) {
          assert.deepEqual(expectOk(r), records);
        } else {
          expectError(r, 'TOO_MANY_RECORDS', encodeBatch(records.slice(0, max)).length, `${records.length} > ${max}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a small max is enforced exactly: 3 commands with max 2', () => {
    const batch: AnyRecord[] = [
      { type: 'CreateAccount' },
      { type: 'CancelAll', account: 1, product: 2, request: 7 },
      { type: 'CancelOrder', account: 1, order: 9, clientOrderId: 0, request: 0 },
    ];
    expectError(decodeCommands(encodeBatch(batch), 2), 'TOO_MANY_RECORDS', 8 + 32);
    assert.deepEqual(expectOk(decodeCommands(encodeBatch(batch), 3)), batch);
  });

  it('20000 fuzzed inputs with random limits: never a throw; ok results respect the limit', () => {
    const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(anyCommand, { maxLength: 8 }),
        fc.array(mutation, { maxLength: 3 }),
        fc.integer({ min: 0, max: 10 }),
        (records, mutations, max) => {
          const bytes = encodeBatch(records);
          if (bytes.length > 0) for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          for (const r of [decodeCommands(bytes, max), decodeCommand(bytes)] as Decoded<unknown>[]) {
            if (r.ok) continue;
            assert.ok(KNOWN_CODES.has(r.error.code), r.error.code);
            assert.ok(r.error.offset % 8 === 0 && r.error.offset >= 0 && r.error.offset <= bytes.length);
          }
          const r = decodeCommands(bytes, max);
          if (r.ok) assert.ok(r.value.length <= max);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe('encoding refuses names it cannot carry', () => {
  it('a name that is too long, empty or not printable ASCII throws instead of being cut into another name', () => {
    for (const code of ['A'.repeat(25), '', '\u4141', 'BT C', 'é']) {
      assert.throws(() => encodeCommand({ type: 'CreateAsset', scale: 2, code }), /code must be 1 to 24 printable ASCII/);
    }
    assert.ok(decodeCommand(encodeCommand({ type: 'CreateAsset', scale: 2, code: 'A'.repeat(24) })).ok);
  });
});
