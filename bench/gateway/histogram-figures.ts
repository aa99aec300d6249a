/**
 * What a bench phase's latency tail is made of, from the nodes' own histograms on /metrics read
 * before and after it (bucket bounds, not exact values), summed over the nodes:
 * - bourse_commit_seconds (the leader's alone): from an order's arrival to its commit. The
 *   phase's latency less the client's part — the wait for its send, the answer's way back, its
 *   own collection pauses.
 * - bourse_fsync_seconds: with fsync `always` an order commits only once a quorum's syncs (the
 *   durable writes) return, so the phase's tail cannot be shorter than theirs. A node times a
 *   sync from the call to its completion callback, so a busy event loop adds to it: under light
 *   load the figures are the disk's, under heavy load an upper bound.
 * - bourse_gc_pause_seconds: a node's event loop stands still for each collection; an order
 *   waits out the pauses of its leader and of the faster of its followers.
 */

import type { Exposition } from './scrape.ts';

/** Cumulative counts by bucket bound (seconds; +Inf last) of the histogram `name`, summed over the nodes. */
export function bucketsOf(nodes: readonly Exposition[], name: string): Map<number, number> {
  const sums = new Map<number, number>();
  for (const node of nodes) {
    for (const { labels, value } of node.get(`${name}_bucket`) ?? []) {
      const match = /le="([^"]+)"/.exec(labels);
      if (match === null) continue;
      const bound = match[1] === '+Inf' ? Infinity : Number(match[1]);
      sums.set(bound, (sums.get(bound) ?? 0) + value);
    }
  }
  return sums;
}

/** The bucket bound (µs) at or under which a share `p` of the phase's observations fell. */
function boundAt(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= p * total) return bound === Infinity ? -1 : Math.round(bound * 1e6);
  }
  return -1;
}

/**
 * The phase's observations of a histogram over all nodes, as `<what>s` (how many) and
 * `<what>_p50_le_us`, `_p99_le_us`, `_max_le_us` (bucket bounds; -1: past the last bound).
 */
export function histogramFigures(what: string, before: Map<number, number>, after: Map<number, number>): Record<string, number> {
  return {
    [`${what}s`]: (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0),
    [`${what}_p50_le_us`]: boundAt(before, after, 0.5),
    [`${what}_p99_le_us`]: boundAt(before, after, 0.99),
    [`${what}_max_le_us`]: boundAt(before, after, 1),
  };
}
