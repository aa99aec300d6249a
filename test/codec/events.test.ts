/** The binary form of events: round trips, rejection of bad input, fuzzing (see record-suite.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EVENTS, EVENT_BY_CODE, EVENT_VERSION, type Event } from '../../src/application/events.ts';
import { SlotBuffer, headerOf, slotCount } from '../../src/application/layout.ts';
import { MAX_EVENTS_PER_DECODE, decodeEvents, encodeEvents, eventsOf } from '../../src/codec/events.ts';
import { anyRecordArb } from '../arbitraries.ts';
import { bytesOf, expectError, expectOk, recordCodecSuite, slotsCopy } from './record-suite.ts';

recordCodecSuite({
  what: 'event',
  specs: EVENTS,
  version: EVENT_VERSION,
  encode: (records) => encodeEvents(records as unknown as Event[]).slice(),
  decode: (bytes) => decodeEvents(bytes),
});

const anyEvent = anyRecordArb(EVENTS) as unknown as fc.Arbitrary<Event>;

describe('event table', () => {
  it('codes are distinct bytes, known by EVENT_BY_CODE, and every record fits the header', () => {
    const names = Object.keys(EVENTS) as (keyof typeof EVENTS)[];
    assert.equal(new Set(names.map((n) => EVENTS[n].code)).size, names.length);
    assert.equal(EVENT_BY_CODE.size, names.length);
    for (const name of names) {
      const spec = EVENTS[name];
      assert.ok(Number.isInteger(spec.code) && spec.code > 0 && spec.code < 256, name);
      assert.equal(EVENT_BY_CODE.get(spec.code), name);
      assert.ok(slotCount(spec) < 256, name);
      assert.ok(headerOf(spec, EVENT_VERSION) < 2 ** 24, name);
      assert.equal(new Set(spec.fields.map(([f]) => f)).size, spec.fields.length, `${name} repeats a field`);
    }
  });
});

describe('encodeEvents and eventsOf', () => {
  it('encoding into a used SlotBuffer appends and returns only the new records', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 10 }), fc.array(anyEvent, { maxLength: 10 }), (first, second) => {
        const out = new SlotBuffer(1);
        const a = encodeEvents(first, out).slice();
        const b = encodeEvents(second, out);
        assert.deepEqual(expectOk(decodeEvents(a)), first);
        assert.deepEqual(expectOk(decodeEvents(b)), second);
        assert.deepEqual(expectOk(decodeEvents(out.bytes())), [...first, ...second]);
      }),
      { numRuns: 200 },
    );
  });

  it('eventsOf reads a slot range, and throws on corrupt records', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 6 }), fc.array(anyEvent, { maxLength: 6 }), (before, events) => {
        const out = new SlotBuffer(1);
        encodeEvents(before, out);
        const from = out.length;
        encodeEvents(events, out);
        assert.deepEqual(eventsOf(out.slots, from, out.length), events);
      }),
      { numRuns: 200 },
    );
    const slots = slotsCopy(encodeEvents([{ type: 'OrderRested', order: 7 }]));
    slots[1] = 0.5;
    assert.throws(() => eventsOf(slots, 0, 2), /corrupt event records/);
  });
});

describe('event record limit', () => {
  it(`exactly MAX_EVENTS_PER_DECODE (${MAX_EVENTS_PER_DECODE}) records decode; one more is TOO_MANY_RECORDS at the extra record`, () => {
    const header = headerOf(EVENTS.OrderRested, EVENT_VERSION);
    const slots = new Float64Array(2 * (MAX_EVENTS_PER_DECODE + 1));
    for (let i = 0; i < slots.length; i += 2) {
      slots[i] = header;
      slots[i + 1] = i / 2;
    }
    const all = bytesOf(slots);
    const ok = expectOk(decodeEvents(all.subarray(0, all.length - 16)));
    assert.equal(ok.length, MAX_EVENTS_PER_DECODE);
    assert.deepEqual(ok[ok.length - 1], { type: 'OrderRested', order: MAX_EVENTS_PER_DECODE - 1 });
    expectError(decodeEvents(all), 'TOO_MANY_RECORDS', MAX_EVENTS_PER_DECODE * 16);
  });
});
