/**
 * Validated reading of slot records (see application/layout.ts) from untrusted bytes. Every
 * failure is a DecodeError with a stable code, a sentence and the byte offset — never an
 * exception from deep inside. The layout is little-endian; Bourse refuses to run elsewhere.
 */
import {
  type RecordSpec,
  headerSlots,
  headerType,
  headerVersion,
  isLittleEndian,
  readFields,
  slotCount,
} from '../application/layout.ts';

if (!isLittleEndian()) throw new Error('Bourse needs a little-endian machine: its binary layouts are little-endian');

export type DecodeErrorCode =
  | 'TRUNCATED'
  | 'BAD_HEADER'
  | 'UNKNOWN_TYPE'
  | 'BAD_VERSION'
  | 'BAD_LENGTH'
  | 'NOT_SAFE_INTEGER'
  | 'BAD_STRING'
  | 'TOO_MANY_RECORDS';

export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
  /** Byte offset of the record where decoding failed. */
  offset: number;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export interface RecordTable {
  readonly specs: Readonly<Record<string, RecordSpec>>;
  readonly byCode: ReadonlyMap<number, string>;
  readonly version: number;
  readonly what: string;
}

function fail(code: DecodeErrorCode, message: string, offset: number): { ok: false; error: DecodeError } {
  return { ok: false, error: { code, message, offset } };
}

/** The bytes as 8-byte slots; copies only when the bytes are not 8-byte aligned. */
export function slotsOf(bytes: Uint8Array): Float64Array | undefined {
  if (bytes.byteLength % 8 !== 0) return undefined;
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const copy = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** Decodes the record at slot `at`; `end` is the first slot past the input. */
export function decodeRecord(
  table: RecordTable,
  slots: Float64Array,
  at: number,
  end: number,
): Decoded<{ type: string } & Record<string, unknown>> {
  const offset = at * 8;
  const header = slots[at];
  if (!Number.isSafeInteger(header) || header < 0 || header >= 2 ** 24) {
    return fail('BAD_HEADER', `${table.what} header is not a valid record header`, offset);
  }
  const name = table.byCode.get(headerType(header));
  if (name === undefined) return fail('UNKNOWN_TYPE', `unknown ${table.what} type ${headerType(header)}`, offset);
  if (headerVersion(header) !== table.version) {
    return fail('BAD_VERSION', `${name} has layout version ${headerVersion(header)}; this build reads version ${table.version}`, offset);
  }
  const spec = table.specs[name];
  const slotsWanted = slotCount(spec);
  if (headerSlots(header) !== slotsWanted) {
    return fail('BAD_LENGTH', `${name} says ${headerSlots(header)} slots; its layout has ${slotsWanted}`, offset);
  }
  if (at + slotsWanted > end) return fail('TRUNCATED', `${name} is cut short`, offset);
  const value: { type: string } & Record<string, unknown> = { type: name };
  const problem = readFields(spec, slots, at, value);
  if (problem !== undefined) {
    const code = problem.kind === 'int' ? 'NOT_SAFE_INTEGER' : 'BAD_STRING';
    return fail(code, `${name}.${problem.field} ${problem.problem}`, offset);
  }
  return { ok: true, value };
}

/** Decodes a run of records, at most `maxRecords` of them. */
export function decodeRecords(
  table: RecordTable,
  bytes: Uint8Array,
  maxRecords: number,
): Decoded<({ type: string } & Record<string, unknown>)[]> {
  const slots = slotsOf(bytes);
  if (slots === undefined) return fail('TRUNCATED', `${table.what} bytes must be a whole number of 8-byte slots`, 0);
  const records: ({ type: string } & Record<string, unknown>)[] = [];
  let at = 0;
  while (at < slots.length) {
    if (records.length === maxRecords) return fail('TOO_MANY_RECORDS', `more than ${maxRecords} ${table.what} records`, at * 8);
    const r = decodeRecord(table, slots, at, slots.length);
    if (!r.ok) return r;
    records.push(r.value);
    at += headerSlots(slots[at]);
  }
  return { ok: true, value: records };
}
