/**
 * What the nodes' fdatasyncs took during a bench phase, from their own histogram
 * (bourse_fsync_seconds on /metrics) read before and after it. With fsync `always` an order
 * commits only once a quorum's fdatasyncs return, so a phase's latency tail cannot be shorter
 * than theirs. A node times a sync from the call to its completion callback, so a busy event
 * loop adds to it: under light load the figures are the disk's, under heavy load they are an
 * upper bound. Bucket bounds, not exact values.
 */

import type { Exposition } from './scrape.ts';

/** Cumulative counts by bucket bound (seconds; +Inf last), summed over the nodes. */
export function fsyncBuckets(nodes: readonly Exposition[]): Map<number, number> {
  const sums = new Map<number, number>();
  for (const node of nodes) {
    for (const { labels, value } of node.get('bourse_fsync_seconds_bucket') ?? []) {
      const match = /le="([^"]+)"/.exec(labels);
      if (match === null) continue;
      const bound = match[1] === '+Inf' ? Infinity : Number(match[1]);
      sums.set(bound, (sums.get(bound) ?? 0) + value);
    }
  }
  return sums;
}

/** The bucket bound (µs) at or under which a share `p` of the phase's fdatasyncs fell. */
function boundAt(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= p * total) return bound === Infinity ? -1 : Math.round(bound * 1e6);
  }
  return -1;
}

/** The phase's fdatasyncs over all nodes: how many, and the bucket bounds of p50, p99 and the slowest (-1: past the last bound). */
export function fsyncFigures(before: Map<number, number>, after: Map<number, number>): { fsyncs: number; fsync_p50_le_us: number; fsync_p99_le_us: number; fsync_max_le_us: number } {
  return {
    fsyncs: (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0),
    fsync_p50_le_us: boundAt(before, after, 0.5),
    fsync_p99_le_us: boundAt(before, after, 0.99),
    fsync_max_le_us: boundAt(before, after, 1),
  };
}
