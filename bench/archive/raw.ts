/** The raw limit: a loop of write + fdatasync of `bytes` on a preallocated file. */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { preallocate } from '../../src/archive/segments.ts';

export async function rawWritesPerSec(dir: string, bytes: number, writes: number): Promise<number> {
  const path = join(dir, 'raw.tmp');
  const fileBytes = Math.max(bytes * writes, 1 << 20);
  await preallocate(path, fileBytes + bytes);
  const fh = await open(path, 'r+');
  const data = new Uint8Array(bytes).fill(7);
  try {
    const start = performance.now();
    for (let i = 0; i < writes; i++) {
      await fh.write(data, 0, bytes, (i * bytes) % fileBytes);
      await fh.datasync();
    }
    return writes / ((performance.now() - start) / 1e3);
  } finally {
    await fh.close();
    await rm(path, { force: true });
  }
}
