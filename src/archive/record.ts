/** Encoding and checking one record in a buffer (see format.ts). */
import { crc32Words } from './crc32.ts';
import { MAX_PAYLOAD_BYTES, Record as R, RECORD_HEADER_BYTES, recordBytes } from './format.ts';

/** Typed views of one aligned buffer. */
export class Views {
  bytes: Uint8Array;
  view: DataView;
  words: Uint32Array;
  slots: Float64Array;

  constructor(readonly buffer: ArrayBuffer) {
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.words = new Uint32Array(buffer);
    this.slots = new Float64Array(buffer);
  }
}

/**
 * Writes a record's header fields at `at` (8-aligned) for a payload of `payloadBytes`, and
 * zeroes its padding; the caller copies the payload in. The CRC and watermark come later.
 * Returns the record's length.
 */
export function encodeHeader(
  v: Views, at: number, index: number, term: number, type: number, timestampUs: number, payloadBytes: number,
): number {
  const length = recordBytes(payloadBytes);
  const d = v.view;
  d.setUint32(at + R.length, length, true);
  d.setFloat64(at + R.index, index, true);
  d.setFloat64(at + R.term, term, true);
  d.setFloat64(at + R.timestampUs, timestampUs, true);
  d.setUint32(at + R.type, type, true);
  d.setUint32(at + R.payloadBytes, payloadBytes, true);
  if (length > RECORD_HEADER_BYTES + payloadBytes) v.bytes.fill(0, at + RECORD_HEADER_BYTES + payloadBytes, at + length);
  return length;
}

/** Stamps the synced watermark and the CRC: the last step before the record is written. */
export function sealRecord(v: Views, at: number, synced: number): void {
  const length = v.view.getUint32(at + R.length, true);
  v.view.setFloat64(at + R.synced, synced, true);
  v.view.setUint32(at + R.crc, crc32Words(v.words, (at + 8) / 4, (at + length) / 4), true);
}

export interface RecordProblem {
  code: 'BAD_RECORD' | 'GAP' | 'TERM_REGRESSION';
  message: string;
}

/**
 * What is wrong with the record at `at` as the record of index `expected` (with a term not
 * below `minTerm`), or undefined. `available` bytes from `at` are in the buffer; a record that
 * claims more than that is reported as cut short.
 */
// A module-level function: a closure per call would cost an allocation (and, under the
// TypeScript loader, a defineProperty for its name) on the hottest read path.
function bad(message: string): RecordProblem {
  return { code: 'BAD_RECORD', message };
}

export function recordProblem(v: Views, at: number, available: number, expected: number, minTerm: number): RecordProblem | undefined {
  const d = v.view;
  if (available < RECORD_HEADER_BYTES) return bad('record header cut short');
  const length = d.getUint32(at + R.length, true);
  const payloadBytes = d.getUint32(at + R.payloadBytes, true);
  if (length < RECORD_HEADER_BYTES || length % 8 !== 0) return bad(`bad record length ${length}`);
  if (length > available) return bad('record cut short');
  if (payloadBytes > MAX_PAYLOAD_BYTES || recordBytes(payloadBytes) !== length) return bad('record length and payload length disagree');
  if (d.getUint32(at + R.crc, true) !== crc32Words(v.words, (at + 8) / 4, (at + length) / 4)) return bad('checksum mismatch');
  const index = d.getFloat64(at + R.index, true);
  if (index !== expected) return { code: 'GAP', message: `index ${index} where ${expected} was expected` };
  const term = d.getFloat64(at + R.term, true);
  if (!Number.isSafeInteger(term) || term < minTerm) {
    return { code: 'TERM_REGRESSION', message: `term ${term} below the previous term ${minTerm}` };
  }
  const synced = d.getFloat64(at + R.synced, true);
  if (!Number.isSafeInteger(synced) || synced < 0 || synced >= index) return bad('bad synced watermark');
  if (!Number.isSafeInteger(d.getFloat64(at + R.timestampUs, true))) return bad('bad timestamp');
  return undefined;
}
