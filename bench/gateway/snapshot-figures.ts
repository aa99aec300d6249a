/**
 * Whether nodes built snapshots during a bench phase: each node's bourse_snapshot_index read
 * before and after it. A build replays the log since the last snapshot in a worker thread, at
 * the lowest CPU priority, but on this machine's cores and disk: a phase with one is not like
 * a phase without.
 */
import { type Exposition, firstValues } from './scrape.ts';

/** The index of each node's newest snapshot (0: none). */
export function snapshotIndexes(nodes: readonly Exposition[]): number[] {
  return firstValues(nodes, 'bourse_snapshot_index', 0);
}

/** How many nodes finished a snapshot between the two readings. */
export function snapshotsTaken(before: readonly number[], after: readonly number[]): number {
  return after.filter((index, k) => index !== before[k]).length;
}
