/** The binary form of events: the application's own event records, read with validation. */
import { EVENTS, EVENT_BY_CODE, EVENT_VERSION, type Event } from '../application/events.ts';
import { SlotBuffer, writeRecord } from '../application/layout.ts';
import { type Decoded, type RecordTable, decodeRecords } from './records.ts';

export const EVENT_TABLE: RecordTable = { specs: EVENTS, byCode: EVENT_BY_CODE, version: EVENT_VERSION, what: 'event' };

/** Upper bound of events decoded from one input (a command's events, or a batch of them). */
export const MAX_EVENTS_PER_DECODE = 1_000_000;

export function encodeEvents(events: readonly Event[], out = new SlotBuffer()): Uint8Array {
  const start = out.length;
  for (const event of events) writeRecord(out, EVENTS[event.type], EVENT_VERSION, event);
  return out.bytes(start);
}

export function decodeEvents(bytes: Uint8Array): Decoded<Event[]> {
  return decodeRecords(EVENT_TABLE, bytes, MAX_EVENTS_PER_DECODE) as Decoded<Event[]>;
}

/** Events as objects from a run of slots this process wrote (tests, tools, subscribers). */
export function eventsOf(slots: Float64Array, from: number, to: number): Event[] {
  const r = decodeEvents(new Uint8Array(slots.buffer, slots.byteOffset + from * 8, (to - from) * 8));
  if (!r.ok) throw new Error(`corrupt event records: ${r.error.message} at byte ${r.error.offset}`);
  return r.value;
}
