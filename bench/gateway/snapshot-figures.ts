/**
 * Whether nodes built snapshots during a bench phase: each node's bourse_snapshot_index read
 * before and after it. A build replays the log since the last snapshot in a worker thread, at
 * the lowest CPU priority, but on this machine's cores and disk: a phase with one is not like
 * a phase without.
 */
import { samples } from './scrape.ts';

/** The index of each node's newest snapshot (0: none), in the order of the urls. */
export async function snapshotIndexes(urls: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const url of urls) out.push((await samples(url, 'bourse_snapshot_index'))[0]?.value ?? 0);
  return out;
}

/** How many nodes finished a snapshot between the two readings. */
export function snapshotsTaken(before: readonly number[], after: readonly number[]): number {
  return after.filter((index, k) => index !== before[k]).length;
}
