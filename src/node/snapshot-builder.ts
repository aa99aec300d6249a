/**
 * Builds a snapshot without touching the live state: from the newest snapshot at or below the
 * target (or from nothing), replay the archive's durable entries up to the target index, then
 * encode and write. Runs in a worker thread, so command processing never waits for it. It opens
 * the archive from the segment holding the first entry it replays: the archive keeps all
 * history, and checking all of it again for each snapshot made every build slower than the last.
 */
import { Archive } from '../archive/archive.ts';
import { ArchiveError } from '../archive/errors.ts';
import { EntryType } from '../archive/format.ts';
import { Engine } from '../application/engine.ts';
import { decodeSnapshot, encodeSnapshot } from '../application/snapshot.ts';
import { State } from '../application/state.ts';
import { type SnapshotInfo, listSnapshots, pruneSnapshots, readSnapshot, writeSnapshot } from './snapshot-store.ts';

export interface BuildJob {
  archiveDir: string;
  snapshotDir: string;
  targetIndex: number;
  keep: number;
}

export interface BuildResult extends SnapshotInfo {
  path: string;
  replayed: number;
  ms: number;
}

/** The newest readable snapshot with an index of at most `max`, if any. */
export async function newestUsable(dir: string, max: number, warn: (message: string) => void) {
  for (const candidate of await listSnapshots(dir)) {
    if (candidate.index > max) continue;
    try {
      return await readSnapshot(candidate.path);
    } catch (error) {
      warn(`snapshot ${candidate.path} is unusable (${(error as Error).message}); falling back to an older one`);
    }
  }
  return undefined;
}

/**
 * Applies the archive's entries [from, to] onto the engine; returns the term of the last one.
 * Throws if the archive does not hold them all: a state short of `to` would be taken for it.
 */
export async function replayInto(engine: Engine, archive: Archive, from: number, to: number, onProgress?: (done: number) => void): Promise<number> {
  let term = 0;
  let done = 0;
  for await (const batch of archive.replay(from, to)) {
    for (let k = 0; k < batch.count; k++) {
      if (batch.type(k) === EntryType.Events) {
        const slot = batch.payloadSlot(k);
        engine.apply(batch.slots, slot, slot + batch.payloadBytes(k) / 8, batch.timestampUs(k));
      }
      term = batch.term(k);
    }
    done += batch.count;
    onProgress?.(done);
  }
  if (done !== Math.max(0, to - from + 1)) {
    throw new ArchiveError('OUT_OF_RANGE', `replay of entries ${from}..${to} found ${done}: the archive holds ${archive.firstIndex}..${archive.lastIndex}`);
  }
  return term;
}

export async function buildSnapshot(job: BuildJob): Promise<BuildResult> {
  const started = performance.now();
  const base = await newestUsable(job.snapshotDir, job.targetIndex, () => undefined);
  const state = base === undefined ? new State() : decodeSnapshot(base.slots);
  const engine = new Engine(state);
  const from = (base?.index ?? 0) + 1;
  const archive = await Archive.open({ dir: job.archiveDir, mode: 'read', from });
  try {
    const term = await replayInto(engine, archive, from, job.targetIndex);
    const info = await writeSnapshot(job.snapshotDir,
      { index: job.targetIndex, term: term || base?.term || 0, timestampUs: state.timestampUs }, encodeSnapshot(state));
    await pruneSnapshots(job.snapshotDir, job.keep);
    return { ...info, replayed: job.targetIndex - from + 1, ms: performance.now() - started };
  } finally {
    await archive.close();
  }
}
