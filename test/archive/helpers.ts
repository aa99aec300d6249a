/**
 * Shared helpers of the archive tests: temporary directories, deterministic payloads, an
 * independent reader of the on-disk layout (docs/archive-format.md) to find records, and
 * byte-level damage (zeroing, bit flips) in segment files.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Archive } from '../../src/archive/archive.ts';
import { ArchiveError, type ArchiveErrorCode } from '../../src/archive/errors.ts';

export const SEGMENT_BYTES = 64 * 1024;
export const HEADER_BYTES = 64;
export const RECORD_HEADER = 48;

/** A fresh directory under the system's temporary directory; `cleanup` removes all of them. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = 'bourse-archive-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    for (const dir of this.dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/** Length of the payload of entry `index`: varies from 1 to 211 bytes, never a fixed pattern. */
export function payloadLength(index: number): number {
  return 1 + ((index * 37 + (index >>> 3) * 11) % 211);
}

/** The payload of entry `index`: a function of the index only; no byte is zero. */
export function payloadFor(index: number, length = payloadLength(index)): Uint8Array {
  const p = new Uint8Array(length);
  for (let j = 0; j < length; j++) p[j] = 1 + ((index * 131 + j * 29 + (j >>> 2) * index) % 255);
  return p;
}

/** The term of entry `index` in the deterministic logs: non-decreasing. */
export function termFor(index: number): number {
  return 1 + Math.floor(index / 97);
}

export function timeFor(index: number): number {
  return 1_000_000 + index * 10;
}

/** Adds entries from..to (deterministic payloads), each in its own flush when `eachFlushed`. */
export async function writeEntries(archive: Archive, from: number, to: number, eachFlushed = true): Promise<void> {
  for (let i = from; i <= to; i++) {
    archive.add(i, termFor(i), 1, timeFor(i), payloadFor(i));
    if (eachFlushed) await archive.flush();
  }
  await archive.flush();
}

export interface ReadEntry {
  index: number;
  term: number;
  type: number;
  timestampUs: number;
  payload: Uint8Array;
}

/** Every entry of [from, to] read through replay, copied out of the reused batches. */
export async function readAll(archive: Archive, from = archive.firstIndex, to?: number): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  for await (const batch of archive.replay(from, to)) {
    for (let k = 0; k < batch.count; k++) {
      out.push({
        index: batch.index(k), term: batch.term(k), type: batch.type(k), timestampUs: batch.timestampUs(k),
        payload: batch.payload(k).slice(),
      });
    }
  }
  return out;
}

/** Asserts that entries from..to are there, in order, with the deterministic payloads and terms. */
export function assertDeterministic(entries: ReadEntry[], from: number, to: number, payloadOf: (index: number) => Uint8Array = payloadFor): void {
  assert.equal(entries.length, Math.max(0, to - from + 1), `expected entries ${from}..${to}`);
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k];
    const i = from + k;
    assert.equal(e.index, i);
    assert.equal(e.term, termFor(i), `term of ${i}`);
    assert.equal(e.timestampUs, timeFor(i), `time of ${i}`);
    assert.deepEqual(e.payload, payloadOf(i), `payload of ${i}`);
  }
}

export interface RecordLocation {
  file: string;
  offset: number;
  length: number;
  index: number;
  term: number;
  synced: number;
  payloadBytes: number;
}

/** Segment files of `dir` in index order (full paths). */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^segment-\d{20}\.log$/.test(n)).sort().map((n) => join(dir, n));
}

/**
 * Where every record is, read with a plain walk over the length words (no checks): the
 * layout the tests damage, independent of the archive's own reader.
 */
export async function recordLocations(dir: string): Promise<RecordLocation[]> {
  const out: RecordLocation[] = [];
  for (const file of await segmentFiles(dir)) {
    const bytes = await readFile(file);
    const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = HEADER_BYTES; at + RECORD_HEADER <= bytes.byteLength;) {
      const length = d.getUint32(at, true);
      if (length === 0) break;
      out.push({
        file, offset: at, length, index: d.getFloat64(at + 8, true), term: d.getFloat64(at + 16, true),
        synced: d.getFloat64(at + 32, true), payloadBytes: d.getUint32(at + 44, true),
      });
      at += length;
    }
  }
  return out;
}

export function locationOf(locations: RecordLocation[], index: number): RecordLocation {
  const found = locations.find((l) => l.index === index);
  assert.ok(found !== undefined, `record ${index} not found on disk`);
  return found;
}

/** Byte offset just past the last record of a segment file (its data's end). */
export async function dataEnd(file: string): Promise<number> {
  const bytes = await readFile(file);
  const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = HEADER_BYTES;
  while (at + 4 <= bytes.byteLength && d.getUint32(at, true) !== 0) at += d.getUint32(at, true);
  return at;
}

/** True if bytes [from, to) of the file are all zero. */
export async function allZero(file: string, from: number, to?: number): Promise<boolean> {
  const bytes = await readFile(file);
  const end = to ?? bytes.byteLength;
  for (let i = from; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

export async function readBytes(file: string, offset: number, length: number): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const b = new Uint8Array(length);
    await fh.read(b, 0, length, offset);
    return b;
  } finally {
    await fh.close();
  }
}

export async function writeBytes(file: string, offset: number, bytes: Uint8Array): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.write(bytes, 0, bytes.byteLength, offset);
  } finally {
    await fh.close();
  }
}

/** Flips bit `bit` (0 = least significant) of the byte at `offset`. */
export async function flipBit(file: string, offset: number, bit: number): Promise<void> {
  const b = await readBytes(file, offset, 1);
  b[0] ^= 1 << bit;
  await writeBytes(file, offset, b);
}

/** Rewrites fields of the record at `offset` and recomputes its CRC (zlib's CRC-32). */
export async function rewriteRecord(file: string, offset: number, edit: (d: DataView) => void): Promise<void> {
  const head = await readBytes(file, offset, 4);
  const length = new DataView(head.buffer).getUint32(0, true);
  const rec = await readBytes(file, offset, length);
  const d = new DataView(rec.buffer);
  edit(d);
  d.setUint32(4, crc32(rec.subarray(8)), true);
  await writeBytes(file, offset, rec);
}

/** A fingerprint of a directory: every entry's name, and every file's contents. */
export async function dirFingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(entry.name).update('\0');
    if (entry.isFile()) hash.update(await readFile(join(dir, entry.name))).update('\0');
    else hash.update('(not a file)\0');
  }
  return hash.digest('hex');
}

/** Copies a flat directory (an archive's) to `to`, replacing whatever was there. */
export async function copyDir(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await mkdir(to);
  for (const name of await readdir(from)) await copyFile(join(from, name), join(to, name));
}

/** Asserts that `run` rejects with an ArchiveError of `code` (and, when given, file/offset/index). */
export async function expectArchiveError(
  run: () => Promise<unknown>, code: ArchiveErrorCode, where: { file?: string; offset?: number; index?: number } = {},
): Promise<ArchiveError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ArchiveError, `expected an ArchiveError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (where.file !== undefined) {
    assert.equal(caught.file, where.file, caught.message);
    assert.ok(caught.message.includes(`file ${where.file}`), caught.message);
  }
  if (where.offset !== undefined) {
    assert.equal(caught.offset, where.offset, caught.message);
    assert.ok(caught.message.includes(`offset ${where.offset}`), caught.message);
  }
  if (where.index !== undefined) {
    assert.equal(caught.index, where.index, caught.message);
    assert.ok(caught.message.includes(`index ${where.index}`), caught.message);
  }
  return caught;
}

export { prng } from '../sim/random.ts';

export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}
