/**
 * A run of entries read from the archive, viewed in place in the reader's buffer: no object
 * per entry. The buffer is reused for the next batch, so a consumer must be done with a
 * batch (or copy what it keeps) before it asks for the next one.
 */
import { Record as R, RECORD_HEADER_BYTES } from './format.ts';

export class EntryBatch {
  /** Byte offsets of the records in `bytes`. */
  offsets: Int32Array;
  count = 0;

  constructor(
    public bytes: Uint8Array,
    public view: DataView,
    /** The same buffer as float64 slots: payloads of event entries are read from it in place. */
    public slots: Float64Array,
    /** Records expected (the offsets grow past it). */
    capacity = 1024,
  ) {
    this.offsets = new Int32Array(Math.max(1, capacity));
  }

  index(i: number): number {
    return this.view.getFloat64(this.offsets[i] + R.index, true);
  }

  term(i: number): number {
    return this.view.getFloat64(this.offsets[i] + R.term, true);
  }

  timestampUs(i: number): number {
    return this.view.getFloat64(this.offsets[i] + R.timestampUs, true);
  }

  type(i: number): number {
    return this.view.getUint32(this.offsets[i] + R.type, true);
  }

  payloadBytes(i: number): number {
    return this.view.getUint32(this.offsets[i] + R.payloadBytes, true);
  }

  /** Slot index of the entry's payload in `slots`. */
  payloadSlot(i: number): number {
    return (this.offsets[i] + RECORD_HEADER_BYTES) / 8;
  }

  /** Byte length of record `i` (header, payload and padding). */
  recordBytes(i: number): number {
    return this.view.getUint32(this.offsets[i] + R.length, true);
  }

  /** The entry's payload (a view, valid until the next batch). */
  payload(i: number): Uint8Array {
    const at = this.offsets[i] + RECORD_HEADER_BYTES;
    return this.bytes.subarray(at, at + this.payloadBytes(i));
  }

  push(offset: number): void {
    if (this.count === this.offsets.length) {
      const grown = new Int32Array(this.count * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count++] = offset;
  }
}
