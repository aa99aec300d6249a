/**
 * The replication's durable state (currentTerm, votedFor, a known commit index) in a file of
 * two 512-byte slots, written in place by turns, each with a sequence number and a CRC. A write
 * cut short by a crash spoils only its own slot, and a reader takes the valid slot with the
 * higher sequence: the old state or the new one, never a mix. Rewriting a block of a file whose
 * size never changes needs no journal commit, so a write is one fdatasync; the node writes its
 * commit index every second and elections write terms, and neither may hold up the log's syncs
 * behind a create, a rename and a directory sync.
 *
 * Version 1 (one 40-byte record, replaced by rename) is still read; opening for writing turns
 * it into version 2.
 */
import { type FileHandle, open, readFile, rename } from 'node:fs/promises';
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

/** What a write gives: the commit index may be left out (written as unknown, 0). */
export type WritableState = Omit<DurableState, 'commitIndex'> & { commitIndex?: number };

const MAGIC = 0x4154454d53525342n; // "BSRSMETA" little-endian
const V1_BYTES = 40;
/** A sector: a device writes it whole or not at all, and a torn one fails its CRC anyway. */
export const META_SLOT_BYTES = 512;
export const META_FILE_BYTES = 2 * META_SLOT_BYTES;
const NONE: DurableState = { currentTerm: 0, votedFor: 0, commitIndex: 0 };

interface Slot {
  sequence: number;
  state: DurableState;
}

type SlotProblem = 'BAD_MAGIC' | 'BAD_VERSION' | 'BAD_HEADER' | 'INVALID_FIELDS';

/** One slot (or a version-1 file) decoded, or the code of what is wrong with it. */
function decodeSlot(bytes: Uint8Array, version: 1 | 2): Slot | SlotProblem {
  const used = version === 1 ? V1_BYTES : META_SLOT_BYTES;
  const v = new Views(new ArrayBuffer(used));
  v.bytes.set(bytes.subarray(0, used));
  if (v.view.getBigUint64(0, true) !== MAGIC) return 'BAD_MAGIC';
  if (v.view.getUint32(8, true) !== version) return 'BAD_VERSION';
  if (v.view.getUint32(12, true) !== crc32Words(v.words, 4, used / 4)) return 'BAD_HEADER';
  const at = version === 1 ? 16 : 24;
  const sequence = version === 1 ? 0 : v.view.getFloat64(16, true);
  const state = { currentTerm: v.view.getFloat64(at, true), votedFor: v.view.getFloat64(at + 8, true), commitIndex: v.view.getFloat64(at + 16, true) };
  for (const x of [sequence, state.currentTerm, state.votedFor, state.commitIndex]) {
    if (!Number.isSafeInteger(x) || x < 0) return 'INVALID_FIELDS';
  }
  return { sequence, state };
}

/** Magic (8), version 2 (4), CRC-32 of bytes 16..511 (4), sequence, term, vote, commit index (f64 each), zeros. */
function encodeSlot(sequence: number, state: WritableState): Uint8Array {
  const v = new Views(new ArrayBuffer(META_SLOT_BYTES));
  v.view.setBigUint64(0, MAGIC, true);
  v.view.setUint32(8, 2, true);
  v.view.setFloat64(16, sequence, true);
  v.view.setFloat64(24, state.currentTerm, true);
  v.view.setFloat64(32, state.votedFor, true);
  v.view.setFloat64(40, state.commitIndex ?? 0, true);
  v.view.setUint32(12, crc32Words(v.words, 4, META_SLOT_BYTES / 4), true);
  return v.bytes;
}

/** The newest valid slot of a file's bytes; throws with what is wrong when there is none. */
function newest(bytes: Buffer, path: string): Slot & { version: 1 | 2 } {
  if (bytes.byteLength === V1_BYTES) {
    const slot = decodeSlot(bytes, 1);
    if (typeof slot === 'string') throw slotError(slot, path, 0);
    return { ...slot, version: 1 };
  }
  if (bytes.byteLength !== META_FILE_BYTES) throw slotError('BAD_MAGIC', path, 0);
  const a = decodeSlot(bytes, 2);
  const b = decodeSlot(bytes.subarray(META_SLOT_BYTES), 2);
  // Fields that are wrong under a valid CRC were written wrong: no slot is trusted then.
  if (a === 'INVALID_FIELDS' || b === 'INVALID_FIELDS') throw slotError('INVALID_FIELDS', path, 16);
  if (typeof a === 'string' && typeof b === 'string') throw slotError(a, path, 0);
  if (typeof a === 'string') return { ...(b as Slot), version: 2 };
  if (typeof b === 'string') return { ...a, version: 2 };
  return { ...(a.sequence > b.sequence ? a : b), version: 2 };
}

function slotError(code: SlotProblem, path: string, offset: number): ArchiveError {
  switch (code) {
    case 'BAD_MAGIC': return new ArchiveError('BAD_MAGIC', 'not a Bourse metadata file', path, offset);
    case 'BAD_VERSION': return new ArchiveError('BAD_VERSION', 'unknown metadata version', path, offset + 8);
    case 'INVALID_FIELDS': return new ArchiveError('BAD_HEADER', 'metadata fields are invalid', path, offset);
    case 'BAD_HEADER': return new ArchiveError('BAD_HEADER', 'metadata checksum mismatch', path, offset);
  }
}

/** Sequences alternate between the slots, so a write never touches the newest one. */
function slotOffset(sequence: number): number {
  return (sequence % 2) * META_SLOT_BYTES;
}

async function readNewest(dir: string): Promise<(Slot & { version: 1 | 2 }) | undefined> {
  const path = join(dir, META_FILE);
  try {
    return newest(await readFile(path), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function readMeta(dir: string): Promise<DurableState> {
  return (await readNewest(dir))?.state ?? NONE;
}

/** The metadata file held open for writing; writes run one after another, in call order. */
export class MetaFile {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly fh: FileHandle,
    private sequence: number,
    /** The state read when the file was opened. */
    readonly state: DurableState,
  ) {}

  /** Reads the state and opens the file; a missing or version-1 file is first replaced by a version-2 one. */
  static async open(dir: string): Promise<MetaFile> {
    const found = await readNewest(dir);
    const state = found?.state ?? NONE;
    let sequence = found?.sequence ?? 0;
    if (found?.version !== 2) {
      // Both slots hold the state, so that damage to either still leaves it.
      const temp = join(dir, META_FILE + TEMP_SUFFIX);
      const fresh = await open(temp, 'w');
      try {
        for (const s of [sequence + 1, sequence + 2]) await fresh.write(encodeSlot(s, state), 0, META_SLOT_BYTES, slotOffset(s));
        await fresh.datasync();
      } finally {
        await fresh.close();
      }
      await rename(temp, join(dir, META_FILE));
      await syncDir(dir);
      sequence += 2;
    }
    return new MetaFile(await open(join(dir, META_FILE), 'r+'), sequence, state);
  }

  /** Writes `state` over the older slot; it is on disk when the promise resolves. */
  write(state: WritableState): Promise<void> {
    const next = this.chain.then(async () => {
      const sequence = this.sequence + 1;
      await this.fh.write(encodeSlot(sequence, state), 0, META_SLOT_BYTES, slotOffset(sequence));
      await this.fh.datasync();
      this.sequence = sequence;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Closes the file once the writes under way are done. */
  async close(): Promise<void> {
    await this.chain;
    await this.fh.close();
  }
}

/** Writes `state` as the directory's metadata (opening, writing and closing the file). */
export async function writeMeta(dir: string, state: WritableState): Promise<void> {
  const file = await MetaFile.open(dir);
  try {
    await file.write(state);
  } finally {
    await file.close();
  }
}
