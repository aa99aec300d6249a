/**
 * Sequential reading of one segment through a reused, 8-byte aligned buffer, parsed into
 * EntryBatch views. Used by the recovery scan (which keeps every record's place) and by replay.
 */
import type { FileHandle } from 'node:fs/promises';
import { EntryBatch } from './entry-batch.ts';
import { Record as R, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './format.ts';
import { type RecordProblem, Views, recordProblem } from './record.ts';
import type { Segment } from './segments.ts';

const CHUNK_BYTES = 4 * 1024 * 1024;

export type FillResult = 'more' | 'end' | { problem: RecordProblem; offset: number; index: number };

export class SegmentCursor {
  private v: Views;
  private fileStart = 0;
  private filled = 0;
  readonly batch: EntryBatch;
  /** File offset and index of the next record to read, and the term it must not go below. */
  offset: number;
  index: number;
  term = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly segment: Segment,
    start: { index: number; offset: number } = { index: segment.firstIndex, offset: SEGMENT_HEADER_BYTES },
    private readonly verify = true,
  ) {
    this.v = new Views(new ArrayBuffer(CHUNK_BYTES));
    this.batch = new EntryBatch(this.v.bytes, this.v.view, this.v.slots);
    this.offset = start.offset;
    this.index = start.index;
  }

  /**
   * Reads records into `batch` (emptied first), those with index <= `toIndex`, as many as the
   * buffer holds. 'end': no record follows (a zero length, the segment's end, or `toIndex`).
   */
  async fill(toIndex: number): Promise<FillResult> {
    const batch = this.batch;
    batch.count = 0;
    if (!(await this.load(8))) return 'end';
    for (;;) {
      if (this.index > toIndex) return 'end';
      let at = this.offset - this.fileStart;
      let available = this.filled - at;
      if (available < 8) {
        if (batch.count > 0) return 'more';
        if (!(await this.load(8))) return 'end';
        continue;
      }
      const length = this.v.view.getUint32(at + R.length, true);
      if (length === 0) {
        // The end of the data, unless the rest of a record header follows: then the length
        // word itself is damaged (a flipped bit), and what follows must be judged, not ignored.
        const header = Math.min(RECORD_HEADER_BYTES, this.segment.bytes - this.offset);
        if (available < header) {
          if (batch.count > 0) return 'more';
          if (!(await this.load(header))) return 'end';
          continue;
        }
        for (let i = at + 4; i < at + header; i++) {
          if (this.v.bytes[i] !== 0) return this.fail({ code: 'BAD_RECORD', message: 'zero record length before a non-zero record header' });
        }
        return 'end';
      }
      if (length > available) {
        if (batch.count > 0) return 'more';
        if (!(await this.load(length))) {
          at = this.offset - this.fileStart;
          available = this.filled - at;
          return this.fail(recordProblem(this.v, at, available, this.index, this.term) ?? { code: 'BAD_RECORD', message: 'record cut short' });
        }
        continue;
      }
      if (this.verify) {
        const problem = recordProblem(this.v, at, available, this.index, this.term);
        if (problem !== undefined) return this.fail(problem);
      }
      this.term = this.v.view.getFloat64(at + R.term, true);
      batch.push(at);
      this.offset += length;
      this.index++;
    }
  }

  /** File offset of the k-th record of the current batch. */
  fileOffset(k: number): number {
    return this.fileStart + this.batch.offsets[k];
  }

  private fail(problem: RecordProblem): FillResult {
    return { problem, offset: this.offset, index: this.index };
  }

  /** Buffers at least `need` bytes from the cursor's offset; false if the segment has fewer. */
  private async load(need: number): Promise<boolean> {
    const fileBytes = this.segment.bytes;
    // A length running past the segment's end is a bad record: loading what there is and
    // answering true would have fill() ask for the same bytes again, forever.
    if (this.offset + need > fileBytes) return false;
    const at = this.offset - this.fileStart;
    if (at >= 0 && at + need <= this.filled) return true;
    const keep = at >= 0 && at < this.filled ? this.filled - at : 0;
    if (need > this.v.bytes.byteLength) {
      const grown = new Views(new ArrayBuffer(need + CHUNK_BYTES));
      grown.bytes.set(this.v.bytes.subarray(at, at + keep));
      this.v = grown;
      this.batch.bytes = grown.bytes;
      this.batch.view = grown.view;
      this.batch.slots = grown.slots;
    } else if (keep > 0) {
      this.v.bytes.copyWithin(0, at, at + keep);
    }
    this.fileStart = this.offset;
    this.filled = keep;
    while (this.filled < need) {
      const want = Math.min(this.v.bytes.byteLength - this.filled, fileBytes - (this.fileStart + this.filled));
      const { bytesRead } = await this.fh.read(this.v.bytes, this.filled, want, this.fileStart + this.filled);
      if (bytesRead === 0) break;
      this.filled += bytesRead;
    }
    return this.filled >= need;
  }
}
