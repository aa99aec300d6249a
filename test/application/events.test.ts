/**
 * The hand-written hot writers of EventBuffer against the EVENTS table: called with a record's
 * field values in table order, each writes exactly the slots the generic writeRecord writes.
 * This guards the writers' argument order (and the F offsets `apply` reads by) against the table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EVENTS, EVENT_VERSION, EventBuffer, F, type EventName } from '../../src/application/events.ts';
import { STRING_SLOTS, SlotBuffer, slotCount, unpackString, writeRecord } from '../../src/application/layout.ts';
import { decodeEvents } from '../../src/codec/events.ts';
import { type AnyRecord, recordArb } from '../arbitraries.ts';

type Writer = (...args: number[]) => void;

/** Hot writer method → the event it writes. */
const HOT_WRITERS = {
  orderAccepted: 'OrderAccepted',
  trade: 'Trade',
  orderRested: 'OrderRested',
  orderCancelled: 'OrderCancelled',
  orderModified: 'OrderModified',
  orderReduced: 'OrderReduced',
  stopTriggered: 'StopTriggered',
  rejected: 'Rejected',
  requestRecorded: 'RequestRecorded',
  requestDuplicate: 'RequestDuplicate',
} as const satisfies Partial<Record<keyof EventBuffer, EventName>>;

type WriterName = keyof typeof HOT_WRITERS;
const writerNames = Object.keys(HOT_WRITERS) as WriterName[];

/** Calls a hot writer with the record's fields in the table's order. */
function hotWrite(buffer: EventBuffer, method: WriterName, record: AnyRecord): void {
  const spec = EVENTS[HOT_WRITERS[method]];
  const args = spec.fields.map(([name]) => record[name] as number);
  const write: Writer = buffer[method].bind(buffer);
  write(...args);
}

function slotsOf(buffer: SlotBuffer): number[] {
  return Array.from(buffer.slots.subarray(0, buffer.length));
}

/** Random values for every field of an event (hot-writer events have int fields only). */
function writerRecord(method: WriterName): fc.Arbitrary<AnyRecord> {
  const type = HOT_WRITERS[method];
  return recordArb(type, EVENTS[type]);
}

describe('EventBuffer hot writers match the EVENTS table', () => {
  it('every hot writer takes one argument per field, and every field is an int', () => {
    for (const method of writerNames) {
      const spec = EVENTS[HOT_WRITERS[method]];
      assert.equal(EventBuffer.prototype[method].length, spec.fields.length, method);
      for (const [name, kind] of spec.fields) assert.equal(kind, 'int', `${method}: ${name}`);
    }
  });

  for (const method of writerNames) {
    const type = HOT_WRITERS[method];
    it(`${method} writes the same slots as writeRecord(EVENTS.${type})`, () => {
      fc.assert(
        fc.property(writerRecord(method), fc.integer({ min: 0, max: 40 }), (record, offset) => {
          const hot = new EventBuffer(1);
          const generic = new SlotBuffer(1);
          // Something already in the buffer: the writer must append after it.
          for (let i = 0; i < offset; i++) {
            hot.reserve(1);
            hot.slots[hot.length - 1] = i + 0.25;
            generic.reserve(1);
            generic.slots[generic.length - 1] = i + 0.25;
          }
          hotWrite(hot, method, record);
          writeRecord(generic, EVENTS[type], EVENT_VERSION, record);
          assert.equal(hot.length, offset + slotCount(EVENTS[type]));
          assert.deepEqual(slotsOf(hot), slotsOf(generic));
          assert.deepEqual(decodeEvents(hot.bytes(offset)), { ok: true, value: [record] });
        }),
        { numRuns: 300 },
      );
    });
  }

  it('each argument lands in its own field (distinct values per position)', () => {
    for (const method of writerNames) {
      const type = HOT_WRITERS[method];
      const fields = EVENTS[type].fields;
      const record: AnyRecord = { type };
      fields.forEach(([name], i) => {
        record[name] = 1000 + i;
      });
      const hot = new EventBuffer();
      hotWrite(hot, method, record);
      for (const [name] of fields) {
        const offset = (F[type] as Record<string, number>)[name];
        assert.equal(hot.slots[offset], record[name], `${method}: ${name}`);
      }
    }
  });

  it('mixed sequences of hot writes equal the same sequence of generic writes', () => {
    const step = fc.oneof(...writerNames.map((m) => writerRecord(m).map((record) => ({ method: m, record }))));
    fc.assert(
      fc.property(fc.array(step, { size: 'max', maxLength: 30 }), (steps) => {
        const hot = new EventBuffer(2);
        const generic = new SlotBuffer(2);
        for (const { method, record } of steps) {
          hotWrite(hot, method, record);
          writeRecord(generic, EVENTS[HOT_WRITERS[method]], EVENT_VERSION, record);
        }
        assert.deepEqual(slotsOf(hot), slotsOf(generic));
        assert.equal(hot.stopsTriggered, steps.filter((s) => s.method === 'stopTriggered').length);
        assert.deepEqual(decodeEvents(hot.bytes()), { ok: true, value: steps.map((s) => s.record) });
      }),
      { numRuns: 300 },
    );
  });

  it('reset and truncate leave the buffer writable from the cut', () => {
    const hot = new EventBuffer(4);
    hot.orderRested(1);
    const mark = hot.length;
    hot.trade(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
    hot.truncate(mark);
    hot.stopTriggered(5, 6);
    assert.deepEqual(decodeEvents(hot.bytes()), {
      ok: true,
      value: [{ type: 'OrderRested', order: 1 }, { type: 'StopTriggered', order: 5, priceTicks: 6 }],
    });
    hot.reset();
    assert.equal(hot.length, 0);
  });
});

describe('F offsets point at the right fields', () => {
  const names = Object.keys(EVENTS) as EventName[];

  it('F covers every event and exactly its fields, in order, packed after the header', () => {
    assert.deepEqual(Object.keys(F).sort(), [...names].sort());
    for (const type of names) {
      const offsets = F[type] as Record<string, number>;
      const fields = EVENTS[type].fields;
      assert.deepEqual(Object.keys(offsets).sort(), fields.map(([n]) => n).sort(), type);
      let p = 1;
      for (const [name, kind] of fields) {
        assert.equal(offsets[name], p, `${type}.${name}`);
        p += kind === 'str' ? STRING_SLOTS : 1;
      }
      assert.equal(p, slotCount(EVENTS[type]), type);
    }
  });

  it('reading a generic record at F[type][field] gives back the field (ints and strings)', () => {
    for (const type of names) {
      const spec = EVENTS[type];
      fc.assert(
        fc.property(recordArb(type, spec), fc.integer({ min: 0, max: 9 }), (record, before) => {
          const out = new SlotBuffer(1);
          out.reserve(before);
          const at = out.length;
          writeRecord(out, spec, EVENT_VERSION, record);
          const offsets = F[type] as Record<string, number>;
          for (const [name, kind] of spec.fields) {
            const got = kind === 'str' ? unpackString(out.slots, at + offsets[name]) : out.slots[at + offsets[name]];
            assert.equal(got, record[name], `${type}.${name}`);
          }
        }),
        { numRuns: 100 },
      );
    }
  });
});
