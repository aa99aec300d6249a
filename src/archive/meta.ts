/**
 * The replication's durable state (currentTerm, votedFor) in a small file, replaced
 * atomically: write a temporary file, fsync it, rename it over the old one, fsync the
 * directory. A reader sees the old state or the new one, never a mix.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32Words } from './crc32.ts';
import { ArchiveError } from './errors.ts';
import { META_FILE } from './format.ts';
import { TEMP_SUFFIX } from './recovery.ts';
import { Views } from './record.ts';
import { syncDir } from './sync-dir.ts';

export interface DurableState {
  currentTerm: number;
  /** The node voted for in currentTerm; 0 for none. */
  votedFor: number;
  /** An index known committed when this was written (a lower bound; 0 when unknown). */
  commitIndex: number;
}

const MAGIC = 0x4154454d53525342n; // "BSRSMETA" little-endian
const META_BYTES = 40;
const VERSION = 1;

function encode(state: WritableState): Uint8Array {
  const v = new Views(new ArrayBuffer(META_BYTES));
  v.view.setBigUint64(0, MAGIC, true);
  v.view.setUint32(8, VERSION, true);
  v.view.setFloat64(16, state.currentTerm, true);
  v.view.setFloat64(24, state.votedFor, true);
  v.view.setFloat64(32, state.commitIndex ?? 0, true);
  v.view.setUint32(12, crc32Words(v.words, 4, META_BYTES / 4), true);
  return v.bytes;
}

export async function readMeta(dir: string): Promise<DurableState> {
  const path = join(dir, META_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { currentTerm: 0, votedFor: 0, commitIndex: 0 };
    throw error;
  }
  const v = new Views(new ArrayBuffer(META_BYTES));
  v.bytes.set(bytes.subarray(0, META_BYTES));
  if (bytes.byteLength !== META_BYTES || v.view.getBigUint64(0, true) !== MAGIC) {
    throw new ArchiveError('BAD_MAGIC', 'not a Bourse metadata file', path, 0);
  }
  if (v.view.getUint32(8, true) !== VERSION) throw new ArchiveError('BAD_VERSION', 'unknown metadata version', path, 8);
  if (v.view.getUint32(12, true) !== crc32Words(v.words, 4, META_BYTES / 4)) throw new ArchiveError('BAD_HEADER', 'metadata checksum mismatch', path, 0);
  const currentTerm = v.view.getFloat64(16, true);
  const votedFor = v.view.getFloat64(24, true);
  const commitIndex = v.view.getFloat64(32, true);
  for (const x of [currentTerm, votedFor, commitIndex]) {
    if (!Number.isSafeInteger(x) || x < 0) throw new ArchiveError('BAD_HEADER', 'metadata fields are invalid', path, 16);
  }
  return { currentTerm, votedFor, commitIndex };
}

/** What a write gives: the commit index may be left out (written as unknown, 0). */
export type WritableState = Omit<DurableState, 'commitIndex'> & { commitIndex?: number };

/** Replaces the durable state; it is on disk when the promise resolves. */
export async function writeMeta(dir: string, state: WritableState): Promise<void> {
  const temp = join(dir, META_FILE + TEMP_SUFFIX);
  const fh = await open(temp, 'w');
  try {
    await fh.write(encode(state), 0, META_BYTES, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(temp, join(dir, META_FILE));
  await syncDir(dir);
}
