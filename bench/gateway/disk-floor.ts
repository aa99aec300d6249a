/**
 * The gateway bench's peer for latency: what the disk alone gives. As many processes as the
 * cluster has nodes each append to a preallocated file at a given byte rate, with group commit
 * (all that is due in one durable write — O_DSYNC, as the archive writes under `always` — again
 * once it returns) and no other work; an entry's latency is from when it was due to the end of
 * the write that covers it. An order commits only after such writes on a quorum, so no engine
 * on this disk does better than this figure at that rate; the bench prints its own p99 beside it.
 */
import { fork } from 'node:child_process';
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { preallocate } from '../../src/archive/segments.ts';
import { latencyFigures } from '../stats.ts';

/** The file each appender cycles through: written over and over, so that no sync extends it. */
const FILE_BYTES = 64 * 1024 * 1024;
/** A latency sample every this many entries. */
const SAMPLE_EVERY = 10;
/** How often an appender looks for entries that have come due. */
const TICK_MS = 0.25;
/** Entries due in the first second are not measured, as a bench phase's first second is not. */
const SETTLE_MS = 1_000;

interface Job { path: string; bytesPerSec: number; entryBytes: number; seconds: number }

/** `processes` appenders at `bytesPerSec` each, entries of `entryBytes`, for `seconds`: their latencies together. */
export async function diskFloor(dir: string, processes: number, bytesPerSec: number, entryBytes: number, seconds: number): Promise<{ p50_us: number; p99_us: number; p999_us: number }> {
  const samples = await Promise.all(Array.from({ length: processes }, (_, i) => new Promise<number[]>((resolve, reject) => {
    const child = fork(new URL(import.meta.url).pathname, ['appender'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as number[]));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`a disk-floor appender exited with ${code}`))));
    child.send({ path: join(dir, `floor-${i}`), bytesPerSec, entryBytes, seconds } satisfies Job);
  })));
  return latencyFigures(Float64Array.from(samples.flat(), (ms) => ms * 1000));
}

async function append(job: Job): Promise<number[]> {
  await preallocate(job.path, FILE_BYTES);
  const fh = await open(job.path, constants.O_RDWR | constants.O_DSYNC);
  const data = new Uint8Array(4 * 1024 * 1024).fill(7);
  const perMs = job.bytesPerSec / job.entryBytes / 1000;
  const samples: number[] = [];
  const start = performance.now();
  let synced = 0;
  let at = 0;
  try {
    // Bounded by the run's length: each pass syncs what came due, or waits a tick.
    while (performance.now() - start < job.seconds * 1000) {
      const due = Math.floor((performance.now() - start) * perMs);
      if (due === synced) {
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
        continue;
      }
      const bytes = Math.min((due - synced) * job.entryBytes, data.byteLength);
      if (at + bytes > FILE_BYTES) at = 0;
      await fh.write(data, 0, bytes, at);
      at += bytes;
      const end = performance.now();
      for (let k = synced + 1; k <= due; k += SAMPLE_EVERY) {
        const dueMs = k / perMs;
        if (dueMs >= SETTLE_MS) samples.push(end - start - dueMs);
      }
      synced = due;
    }
  } finally {
    await fh.close();
    await rm(job.path, { force: true });
  }
  return samples;
}

if (process.argv[2] === 'appender') {
  process.once('message', (job: Job) => {
    append(job).then((samples) => process.send?.(samples, () => process.exit(0)), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}
