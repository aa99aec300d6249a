/**
 * Whether nodes took snapshots during a bench phase: each node's bourse_snapshot_index read
 * before and after it. A node copies its state, then encodes and writes the copy in paced steps
 * on its own thread, on this machine's cores and disk: a phase with one is not like a phase
 * without.
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
