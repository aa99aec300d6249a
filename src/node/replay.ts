/**
 * A state rebuilt from disk, as a node starts (or leaves a lead whose state ran ahead): the
 * newest readable snapshot, then the archive's entries after it.
 */
import { Archive } from '../archive/archive.ts';
import { ArchiveError } from '../archive/errors.ts';
import { EntryType } from '../archive/format.ts';
import { Engine } from '../application/engine.ts';
import { listSnapshots, readSnapshot } from './snapshot-store.ts';

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
