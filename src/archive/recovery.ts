/**
 * Opening an archive directory: every segment header and record is checked, in index order
 * (a read-only open may start at a later segment: the ones before it are not opened).
 *
 * The first bad record either starts a torn tail — what a crash left of writes that were
 * never acknowledged as synced — which is cut off, or is corruption, which refuses the open.
 * It is corruption if any valid record after it carries a synced watermark that covers it:
 * that record was written after the bad one was known to be on disk. A record that is valid
 * but out of sequence (a gap, a term going back) is always corruption.
 */
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { ArchiveError } from './errors.ts';
import { META_FILE, Record as R, RECORD_HEADER_BYTES, SEGMENT_FILE, SEGMENT_HEADER_BYTES } from './format.ts';
import { SegmentCursor } from './reader.ts';
import { Views, recordProblem } from './record.ts';
import { Segment, decodeSegmentHeader } from './segments.ts';
import { syncDir } from './sync-dir.ts';

export const TEMP_SUFFIX = '.tmp';

export interface TornTail {
  file: string;
  offset: number;
  index: number;
  bytes: number;
  reason: string;
}

/**
 * What opening does with what it finds: `repair` cuts a torn tail (a writable open), `read`
 * stops before it and changes nothing (read-only tools), `report` also returns corruption
 * instead of throwing it (verify).
 */
export type RecoveryMode = 'repair' | 'read' | 'report';

export interface Finding {
  kind: 'torn-tail' | 'corruption';
  error: ArchiveError;
}

export interface Recovered {
  segments: Segment[];
  tornTail?: TornTail;
  finding?: Finding;
}

interface BadRecord {
  offset: number;
  index: number;
  code: 'BAD_RECORD' | 'GAP' | 'TERM_REGRESSION';
  message: string;
}

/**
 * Lists the segments of `dir` (created if missing when writable); refuses a directory of
 * anything else. A writable open removes leftover temporary files.
 */
async function listSegments(dir: string, writable: boolean): Promise<{ path: string; firstIndex: number }[]> {
  if (writable) await mkdir(dir, { recursive: true });
  const found: { path: string; firstIndex: number }[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ArchiveError('NOT_AN_ARCHIVE', 'no such archive directory', dir);
    throw error;
  }
  for (const name of names.sort()) {
    const match = SEGMENT_FILE.exec(name);
    if (match !== null) {
      found.push({ path: join(dir, name), firstIndex: Number(match[1]) });
    } else if (name.endsWith(TEMP_SUFFIX)) {
      // A file being prepared or replaced when a crash came: never part of the archive.
      if (writable) await rm(join(dir, name), { force: true });
    } else if (name !== META_FILE) {
      throw new ArchiveError('NOT_AN_ARCHIVE', `not a Bourse archive directory: unexpected file "${name}"`, join(dir, name));
    }
  }
  return found.sort((a, b) => a.firstIndex - b.firstIndex);
}

/** Opens the archive in `dir`; with `from`, only its segments from the one holding that index on. */
export async function recover(dir: string, logger: Logger, mode: RecoveryMode = 'repair', from = 0): Promise<Recovered> {
  const listed = await listSegments(dir, mode === 'repair');
  const files = listed.slice(Math.max(0, listed.findLastIndex((f) => f.firstIndex <= from)));
  const segments: Segment[] = [];
  let expected = files.length > 0 ? files[0].firstIndex : 1;
  let term = 0;
  for (let i = 0; i < files.length; i++) {
    const { path, firstIndex } = files[i];
    const fh = await open(path, 'r');
    try {
      const bytes = (await fh.stat()).size;
      const header = new Uint8Array(SEGMENT_HEADER_BYTES);
      await fh.read(header, 0, Math.min(bytes, SEGMENT_HEADER_BYTES), 0);
      const h = decodeSegmentHeader(header, path, bytes);
      if (h.firstIndex !== firstIndex) throw new ArchiveError('BAD_HEADER', `header says first index ${h.firstIndex}, the name ${firstIndex}`, path, 0);
      if (firstIndex !== expected) {
        throw new ArchiveError('GAP', `segment starts at index ${firstIndex}; index ${expected} was expected`, path, SEGMENT_HEADER_BYTES, expected);
      }
      const segment = new Segment(path, firstIndex, bytes);
      const bad = await scan(fh, segment, term);
      segments.push(segment);
      expected = segment.lastIndex + 1;
      term = segment.lastTerm || term;
      if (bad !== undefined) return await settle(segment, fh, files.slice(i + 1).map((f) => f.path), bad, mode, logger, segments);
    } catch (error) {
      if (mode === 'report' && error instanceof ArchiveError) return { segments, finding: { kind: 'corruption', error } };
      throw error;
    } finally {
      await fh.close();
    }
  }
  return { segments };
}

/** Reads every record of a segment into its sparse index; returns the first bad record, if any. */
async function scan(fh: FileHandle, segment: Segment, term: number): Promise<BadRecord | undefined> {
  const cursor = new SegmentCursor(fh, segment);
  cursor.term = term;
  for (;;) {
    const result = await cursor.fill(Number.MAX_SAFE_INTEGER);
    const batch = cursor.batch;
    for (let k = 0; k < batch.count; k++) {
      const length = batch.view.getUint32(batch.offsets[k] + R.length, true);
      segment.noteRecord(batch.index(k), batch.term(k), cursor.fileOffset(k), length);
    }
    if (result === 'end') return undefined;
    if (result !== 'more') return { offset: result.offset, index: result.index, ...result.problem };
  }
}

/** Decides what the first bad record is, and acts on it as the mode says. */
async function settle(
  segment: Segment, fh: FileHandle, later: string[], bad: BadRecord, mode: RecoveryMode, logger: Logger, segments: Segment[],
): Promise<Recovered> {
  const whole = new Views(new ArrayBuffer(segment.bytes));
  await fh.read(whole.bytes, 0, segment.bytes, 0);
  const corrupt = bad.code !== 'BAD_RECORD' || coveredLater(whole, bad.offset + 8, bad.index) || (await coveredInFiles(later, bad.index));
  if (corrupt) {
    const message = bad.code === 'BAD_RECORD' ? `${bad.message}, and later records show it was on disk: corruption` : bad.message;
    const error = new ArchiveError(bad.code, message, segment.path, bad.offset, bad.index);
    if (mode === 'report') return { segments, finding: { kind: 'corruption', error } };
    throw error;
  }
  const end = lastNonZero(whole, bad.offset);
  let bytes = end - bad.offset;
  for (const path of later) bytes += (await stat(path)).size - SEGMENT_HEADER_BYTES;
  const tornTail: TornTail = { file: segment.path, offset: bad.offset, index: bad.index, bytes, reason: bad.message };
  if (mode === 'repair') {
    await cut(segment, later, bad.offset, end);
    logger.warn(tornTail, 'archive: cut a torn tail left by a crash');
  }
  const error = new ArchiveError('BAD_RECORD', `torn tail of ${bytes} bytes: ${bad.message}`, segment.path, bad.offset, bad.index);
  return { segments, tornTail, finding: { kind: 'torn-tail', error } };
}

/** Zeroes a torn tail (so no stale record can reappear after new appends) and drops later files. */
async function cut(segment: Segment, later: string[], offset: number, end: number): Promise<void> {
  const writable = await open(segment.path, 'r+');
  try {
    if (end > offset) await writable.write(new Uint8Array(end - offset), 0, end - offset, offset);
    await writable.datasync();
  } finally {
    await writable.close();
  }
  for (const path of later) await rm(path);
  await syncDir(join(segment.path, '..'));
}

/** True if a valid record at or after byte `from` has a synced watermark >= `index`. */
function coveredLater(v: Views, from: number, index: number): boolean {
  const d = v.view;
  const size = v.bytes.byteLength;
  for (let at = from; at + RECORD_HEADER_BYTES <= size; at += 8) {
    const synced = d.getFloat64(at + R.synced, true);
    if (!(synced >= index) || !Number.isSafeInteger(synced)) continue;
    const candidate = d.getFloat64(at + R.index, true);
    if (!Number.isSafeInteger(candidate) || candidate <= synced) continue;
    if (recordProblem(v, at, size - at, candidate, 0) === undefined) return true;
  }
  return false;
}

async function coveredInFiles(paths: string[], index: number): Promise<boolean> {
  for (const path of paths) {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const v = new Views(new ArrayBuffer(size - (size % 8)));
      await fh.read(v.bytes, 0, v.bytes.byteLength, 0);
      if (coveredLater(v, SEGMENT_HEADER_BYTES, index)) return true;
    } finally {
      await fh.close();
    }
  }
  return false;
}

/** The 8-aligned byte offset just past the last non-zero byte at or after `from`. */
function lastNonZero(v: Views, from: number): number {
  const words = v.words;
  for (let w = words.length - 1; w * 4 >= from; w--) {
    if (words[w] !== 0) return Math.ceil(((w + 1) * 4) / 8) * 8;
  }
  return from;
}
