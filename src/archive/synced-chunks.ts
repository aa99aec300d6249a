/**
 * Writing a large file beside a log on the same disk. Written whole and synced once, the 128 MB
 * of a segment made ahead, on each of three nodes on one machine, held the logs' fdatasyncs for
 * the best part of a second: a sync waits for everything dirty before it. So a large file goes
 * in chunks, each synced before the next is written, and a log's sync waits for one chunk at
 * most; `pace`, given, says when each chunk may go (prefill-pace.ts).
 */
import type { FileHandle } from 'node:fs/promises';

export const SYNCED_CHUNK_BYTES = 1 << 20;

/**
 * Writes `length` bytes at file offset `base` on, the chunk at `at` (from `base`) of `size`
 * bytes from `chunk(at, size)`, each synced before the next.
 */
export async function writeInSyncedChunks(
  fh: FileHandle, length: number, chunk: (at: number, size: number) => Uint8Array,
  pace?: (at: number) => Promise<void> | undefined, base = 0,
): Promise<void> {
  // Bounded by length / SYNCED_CHUNK_BYTES.
  for (let at = 0; at < length; at += SYNCED_CHUNK_BYTES) {
    const size = Math.min(SYNCED_CHUNK_BYTES, length - at);
    const wait = pace?.(at);
    if (wait !== undefined) await wait;
    await fh.write(chunk(at, size), 0, size, base + at);
    await fh.datasync();
  }
}
