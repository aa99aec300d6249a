/** Segment files: header, creation (preallocated with zeros, then renamed), and their index. */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32Words } from './crc32.ts';
import { ArchiveError } from './errors.ts';
import { FORMAT_VERSION, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, SegmentHeader as H, segmentFileName } from './format.ts';
import { Views } from './record.ts';
import { syncDir } from './sync-dir.ts';
import { SYNCED_CHUNK_BYTES, writeInSyncedChunks } from './synced-chunks.ts';

/** What the archive knows of one segment file. */
export class Segment {
  /** Byte offset after the last valid record. */
  end = SEGMENT_HEADER_BYTES;
  /** Index of the last record, firstIndex - 1 when empty. */
  lastIndex: number;
  lastTerm = 0;
  /** Sparse index: every few records, (index, offset), to start reads in the middle. */
  sparseIndexes: number[] = [];
  sparseOffsets: number[] = [];
  /** Where the term changes: [term, first index] runs of this segment's records. */
  termRuns: { term: number; firstIndex: number }[] = [];
  private sinceSparse = Number.POSITIVE_INFINITY;

  constructor(
    readonly path: string,
    readonly firstIndex: number,
    readonly bytes: number,
  ) {
    this.lastIndex = firstIndex - 1;
  }

  get name(): string {
    return segmentFileName(this.firstIndex);
  }

  /** Notes a record (called in order): keeps a sparse entry every 64 KiB. */
  noteRecord(index: number, term: number, offset: number, length: number): void {
    if (this.sinceSparse >= 64 * 1024) {
      this.sparseIndexes.push(index);
      this.sparseOffsets.push(offset);
      this.sinceSparse = 0;
    }
    this.sinceSparse += length;
    if (this.termRuns.length === 0 || this.termRuns[this.termRuns.length - 1].term !== term) this.termRuns.push({ term, firstIndex: index });
    this.lastIndex = index;
    this.lastTerm = term;
    this.end = offset + length;
  }

  /** The sparse entry at or before `index`: where a scan for it starts. */
  seek(index: number): { index: number; offset: number } {
    const xs = this.sparseIndexes;
    let lo = 0;
    let hi = xs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (xs[mid] <= index) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { index: this.firstIndex, offset: SEGMENT_HEADER_BYTES } : { index: xs[found], offset: this.sparseOffsets[found] };
  }

  /** Forgets records after `index` (truncation). */
  cutAfter(index: number, offset: number): void {
    while (this.sparseIndexes.length > 0 && this.sparseIndexes[this.sparseIndexes.length - 1] > index) {
      this.sparseIndexes.pop();
      this.sparseOffsets.pop();
    }
    while (this.termRuns.length > 0 && this.termRuns[this.termRuns.length - 1].firstIndex > index) this.termRuns.pop();
    this.lastTerm = this.termRuns.length > 0 ? this.termRuns[this.termRuns.length - 1].term : 0;
    this.lastIndex = index;
    this.end = offset;
    this.sinceSparse = Number.POSITIVE_INFINITY;
  }
}

export function encodeSegmentHeader(firstIndex: number, segmentBytes: number): Uint8Array {
  const v = new Views(new ArrayBuffer(SEGMENT_HEADER_BYTES));
  v.bytes.set(SEGMENT_MAGIC, H.magic);
  v.view.setUint32(H.version, FORMAT_VERSION, true);
  v.view.setUint32(H.headerBytes, SEGMENT_HEADER_BYTES, true);
  v.view.setFloat64(H.firstIndex, firstIndex, true);
  v.view.setFloat64(H.segmentBytes, segmentBytes, true);
  v.view.setUint32(H.crc, crc32Words(v.words, 0, H.crc / 4), true);
  return v.bytes;
}

/** Reads and checks a segment header; throws an ArchiveError naming the file. */
export function decodeSegmentHeader(bytes: Uint8Array, file: string, fileBytes: number): { firstIndex: number; segmentBytes: number } {
  if (fileBytes < SEGMENT_HEADER_BYTES) {
    throw new ArchiveError('SEGMENT_TOO_SHORT', `segment is ${fileBytes} bytes, shorter than its header`, file, 0);
  }
  const v = new Views(bytes.slice(0, SEGMENT_HEADER_BYTES).buffer);
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
    if (v.bytes[i] !== SEGMENT_MAGIC[i]) throw new ArchiveError('BAD_MAGIC', 'not a Bourse archive segment (bad magic)', file, 0);
  }
  const version = v.view.getUint32(H.version, true);
  if (version !== FORMAT_VERSION) {
    throw new ArchiveError('BAD_VERSION', `segment format version ${version}; this build reads version ${FORMAT_VERSION}`, file, H.version);
  }
  if (v.view.getUint32(H.crc, true) !== crc32Words(v.words, 0, H.crc / 4)) {
    throw new ArchiveError('BAD_HEADER', 'segment header checksum mismatch', file, 0);
  }
  for (let i = H.crc + 4; i < SEGMENT_HEADER_BYTES; i++) {
    if (v.bytes[i] !== 0) throw new ArchiveError('BAD_HEADER', 'segment header reserved bytes are not zero', file, i);
  }
  const firstIndex = v.view.getFloat64(H.firstIndex, true);
  const segmentBytes = v.view.getFloat64(H.segmentBytes, true);
  if (v.view.getUint32(H.headerBytes, true) !== SEGMENT_HEADER_BYTES || !Number.isSafeInteger(firstIndex) || firstIndex < 1 ||
      segmentBytes !== fileBytes || segmentBytes % 8 !== 0) {
    throw new ArchiveError('BAD_HEADER', `segment header fields are invalid (size ${segmentBytes}, file ${fileBytes})`, file, 0);
  }
  return { firstIndex, segmentBytes };
}

/**
 * A zero-filled file of the segment size, written and synced before use, so that later
 * writes allocate nothing and fdatasync has no file-size metadata to flush. Made ahead, while
 * the node commits: in synced chunks (synced-chunks.ts), each when `pace` lets it go.
 */
export async function preallocate(path: string, bytes: number, pace?: (at: number) => Promise<void> | undefined): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const zeros = new Uint8Array(Math.min(bytes, SYNCED_CHUNK_BYTES));
    await writeInSyncedChunks(fh, bytes, (_at, size) => zeros.subarray(0, size), pace);
  } finally {
    await fh.close();
  }
}

/**
 * Turns a preallocated file into the segment starting at `firstIndex`; durable when it returns.
 * The segment stays open for writing, with `flags`.
 */
export async function installSegment(dir: string, prepared: string, firstIndex: number, bytes: number, flags: string | number): Promise<{ segment: Segment; fh: FileHandle }> {
  const fh = await open(prepared, flags);
  try {
    await fh.write(encodeSegmentHeader(firstIndex, bytes), 0, SEGMENT_HEADER_BYTES, 0);
    await fh.datasync();
    const path = join(dir, segmentFileName(firstIndex));
    await rename(prepared, path);
    await syncDir(dir);
    return { segment: new Segment(path, firstIndex, bytes), fh };
  } catch (error) {
    await fh.close();
    await rm(prepared, { force: true });
    throw error;
  }
}
