/**
 * Entries added but not yet written: records encoded back to back in one growable, aligned
 * buffer. The archive keeps two and swaps them, so new entries gather while a batch is being
 * written and synced (group commit).
 */
import type { EntryBatch } from './entry-batch.ts';
import { MAX_PAYLOAD_BYTES, RECORD_HEADER_BYTES, recordBytes } from './format.ts';
import { Views, encodeHeader, sealRecord } from './record.ts';

export class Pending {
  v = new Views(new ArrayBuffer(1 << 20));
  bytes = 0;
  count = 0;
  firstIndex = 0;
  lastIndex = 0;
  /** Byte offset of each record in the buffer. */
  offsets = new Int32Array(1024);
  /** 1: the record gets its watermark and CRC at the write (0: it came sealed with this archive's own). */
  unsealed = new Uint8Array(1024);

  add(index: number, term: number, type: number, timestampUs: number, payload: Uint8Array): void {
    const at = this.open(index, term, type, timestampUs, payload.byteLength);
    this.v.bytes.set(payload, at);
    this.unsealed[this.count - 1] = 1;
  }

  /** Like add, for records [first, first + count) of a batch, copied as they are (seal stamps them again unless `stamped`). */
  addRecords(batch: EntryBatch, first: number, count: number, stamped: boolean): void {
    const last = first + count - 1;
    const start = batch.offsets[first];
    const length = batch.offsets[last] + batch.recordBytes(last) - start;
    this.reserve(length);
    this.roomFor(count);
    if (this.count === 0) this.firstIndex = batch.index(first);
    this.v.bytes.set(batch.bytes.subarray(start, start + length), this.bytes);
    this.unsealed.fill(stamped ? 0 : 1, this.count, this.count + count);
    for (let k = first; k <= last; k++) this.offsets[this.count++] = this.bytes + batch.offsets[k] - start;
    this.bytes += length;
    this.lastIndex = batch.index(last);
  }

  /** Reserves and heads a record; returns the byte offset where its payload goes. */
  private open(index: number, term: number, type: number, timestampUs: number, payloadBytes: number): number {
    if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError(`entry payload over ${MAX_PAYLOAD_BYTES} bytes`);
    const length = recordBytes(payloadBytes);
    this.reserve(length);
    this.roomFor(1);
    if (this.count === 0) this.firstIndex = index;
    const at = this.bytes;
    this.offsets[this.count++] = at;
    this.bytes += encodeHeader(this.v, at, index, term, type, timestampUs, payloadBytes);
    this.lastIndex = index;
    return at + RECORD_HEADER_BYTES;
  }

  /** Stamps the watermark and checksum of every record not sealed yet, just before the batch is written. */
  seal(synced: number): void {
    for (let k = 0; k < this.count; k++) if (this.unsealed[k] === 1) sealRecord(this.v, this.offsets[k], synced);
  }

  /** Byte length of records [from, to). */
  span(from: number, to: number): number {
    return (to < this.count ? this.offsets[to] : this.bytes) - this.offsets[from];
  }

  /** Drops the records after `index`. */
  cutAfter(index: number): void {
    if (this.count === 0 || index >= this.lastIndex) return;
    const keep = Math.max(0, index - this.firstIndex + 1);
    this.bytes = keep === 0 ? 0 : this.offsets[keep];
    this.count = keep;
    this.lastIndex = keep === 0 ? 0 : index;
  }

  clear(): void {
    this.bytes = 0;
    this.count = 0;
  }

  /** Room in `offsets` for `more` records. */
  private roomFor(more: number): void {
    if (this.count + more <= this.offsets.length) return;
    let capacity = this.offsets.length * 2;
    while (capacity < this.count + more) capacity *= 2;
    const grown = new Int32Array(capacity);
    grown.set(this.offsets);
    this.offsets = grown;
    const unsealed = new Uint8Array(capacity);
    unsealed.set(this.unsealed);
    this.unsealed = unsealed;
  }

  private reserve(length: number): void {
    if (this.bytes + length <= this.v.bytes.byteLength) return;
    let capacity = this.v.bytes.byteLength * 2;
    while (capacity < this.bytes + length) capacity *= 2;
    const grown = new Views(new ArrayBuffer(capacity));
    grown.bytes.set(this.v.bytes.subarray(0, this.bytes));
    this.v = grown;
  }
}
