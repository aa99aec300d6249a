/**
 * Snapshot files: `snapshot-<index, 20 digits>.snap` in the node's snapshot directory, each
 * written atomically (temporary file, fdatasync, rename, directory fsync) and checksummed.
 *
 * Layout (little-endian): magic "BOURSESN" (8), version u32, CRC-32 of bytes 16..end u32,
 * index f64, term f64, timestamp µs f64, state hash (32 bytes, SHA-256), payload length f64,
 * then the payload: the canonical state encoding (src/application/snapshot.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { crc32Words } from '../archive/crc32.ts';
import { Views } from '../archive/record.ts';
import { syncDir } from '../archive/sync-dir.ts';
import { writeInSyncedChunks } from '../archive/synced-chunks.ts';

const MAGIC = [0x42, 0x4f, 0x55, 0x52, 0x53, 0x45, 0x53, 0x4e]; // "BOURSESN"
const VERSION = 1;
const HEADER_BYTES = 80;
const FILE = /^snapshot-(\d{20})\.snap$/;

export interface SnapshotInfo {
  index: number;
  term: number;
  timestampUs: number;
  /** SHA-256 (hex) of the payload: the state hash at `index`. */
  stateHash: string;
}

export interface LoadedSnapshot extends SnapshotInfo {
  /** The canonical state encoding as slots. */
  slots: Float64Array;
  path: string;
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

export function snapshotName(index: number): string {
  return `snapshot-${String(index).padStart(20, '0')}.snap`;
}

/** Writes a snapshot atomically; returns its path once it is durable. */
export async function writeSnapshot(dir: string, info: Omit<SnapshotInfo, 'stateHash'>, payload: Uint8Array): Promise<SnapshotInfo & { path: string }> {
  return writeSnapshotFile(dir, { ...info, stateHash: createHash('sha256').update(payload).digest('hex') }, payload);
}

/**
 * Writes a snapshot whose state hash is known (SHA-256 of `payload`) atomically; returns its
 * path once it is durable. The payload goes in synced chunks — beside the log on the same disk,
 * whose syncs must never wait behind the whole file — each when `pace` says, checksummed as it
 * goes; the header, which holds the checksum, goes last.
 */
export async function writeSnapshotFile(dir: string, info: SnapshotInfo, payload: Uint8Array, pace?: () => Promise<void>): Promise<SnapshotInfo & { path: string }> {
  if (payload.byteLength % 8 !== 0) throw new SnapshotError('a snapshot payload is whole slots');
  await mkdir(dir, { recursive: true });
  const header = new Views(new ArrayBuffer(HEADER_BYTES));
  header.bytes.set(MAGIC, 0);
  header.view.setUint32(8, VERSION, true);
  header.view.setFloat64(16, info.index, true);
  header.view.setFloat64(24, info.term, true);
  header.view.setFloat64(32, info.timestampUs, true);
  header.bytes.set(Buffer.from(info.stateHash, 'hex'), 40);
  header.view.setFloat64(72, payload.byteLength, true);
  // The checksum covers bytes 16 to the end: the header's from 16 on, then the payload.
  let crc = crc32(header.bytes.subarray(16));
  const path = join(dir, snapshotName(info.index));
  const temp = `${path}.tmp`;
  const fh = await open(temp, 'w');
  try {
    await writeInSyncedChunks(fh, payload.byteLength, (at, size) => {
      const chunk = payload.subarray(at, at + size);
      crc = crc32(chunk, crc);
      return chunk;
    }, pace, HEADER_BYTES);
    header.view.setUint32(12, crc, true);
    await fh.write(header.bytes, 0, HEADER_BYTES, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(temp, path);
  await syncDir(dir);
  return { ...info, path };
}

/** Reads and checks one snapshot file; throws SnapshotError saying what is wrong. */
export async function readSnapshot(path: string): Promise<LoadedSnapshot> {
  const bytes = await readFile(path);
  if (bytes.byteLength < HEADER_BYTES || bytes.byteLength % 8 !== 0) throw new SnapshotError(`${path}: too short or misaligned`);
  const v = new Views(new ArrayBuffer(bytes.byteLength));
  v.bytes.set(bytes);
  for (let i = 0; i < MAGIC.length; i++) if (v.bytes[i] !== MAGIC[i]) throw new SnapshotError(`${path}: not a Bourse snapshot`);
  if (v.view.getUint32(8, true) !== VERSION) throw new SnapshotError(`${path}: unknown snapshot version`);
  if (v.view.getUint32(12, true) !== crc32Words(v.words, 4, v.words.length)) throw new SnapshotError(`${path}: checksum mismatch`);
  const payloadBytes = v.view.getFloat64(72, true);
  if (!Number.isSafeInteger(payloadBytes) || HEADER_BYTES + payloadBytes > bytes.byteLength || payloadBytes % 8 !== 0) {
    throw new SnapshotError(`${path}: bad payload length`);
  }
  const payload = v.bytes.subarray(HEADER_BYTES, HEADER_BYTES + payloadBytes);
  const stateHash = Buffer.from(v.bytes.subarray(40, 72)).toString('hex');
  if (createHash('sha256').update(payload).digest('hex') !== stateHash) throw new SnapshotError(`${path}: state hash mismatch`);
  return {
    index: v.view.getFloat64(16, true), term: v.view.getFloat64(24, true), timestampUs: v.view.getFloat64(32, true),
    stateHash, path, slots: new Float64Array(v.buffer, HEADER_BYTES, payloadBytes / 8),
  };
}

/** Snapshot files of `dir`, newest first. */
export async function listSnapshots(dir: string): Promise<{ index: number; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: { index: number; path: string }[] = [];
  for (const name of names) {
    const m = FILE.exec(name);
    if (m !== null) found.push({ index: Number(m[1]), path: join(dir, name) });
    else if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  }
  return found.sort((a, b) => b.index - a.index);
}

/** Keeps the newest `keep` snapshots and removes the others. */
export async function pruneSnapshots(dir: string, keep: number): Promise<void> {
  const all = await listSnapshots(dir);
  for (const s of all.slice(keep)) await rm(s.path, { force: true });
  if (all.length > keep) await syncDir(dir);
}
