/**
 * CPU time per committed order in a bench phase, per process: each node's own
 * process_cpu_seconds_total (/metrics) and the load generator's process.cpuUsage(), read
 * before and after. All processes share this machine's cores, so throughput is capped near
 * cores ÷ (total CPU per order); unlike orders/s on a noisy machine, CPU per order moves only
 * when the code's cost does, which makes it the figure to compare changes by.
 */
import { availableParallelism } from 'node:os';
import { type Exposition, firstValues } from './scrape.ts';

export interface CpuMark {
  /** CPU seconds of each node. */
  nodes: number[];
  /** This process's CPU µs. */
  clientUs: number;
  atMs: number;
}

/** The nodes' CPU from their expositions, just read, and this process's now. */
export function cpuMark(nodes: readonly Exposition[]): CpuMark {
  const { user, system } = process.cpuUsage();
  return { nodes: firstValues(nodes, 'process_cpu_seconds_total', Number.NaN), clientUs: user + system, atMs: performance.now() };
}

/**
 * µs of CPU per order: the leader's (node `leader`, an index into the nodes), the followers'
 * mean, the load generator's and the sum of all; and how many of the machine's cores the
 * phase kept busy.
 */
export function cpuFigures(before: CpuMark, after: CpuMark, leader: number, orders: number): {
  cpu_us_per_order: number; leader_cpu_us: number; follower_cpu_us: number; client_cpu_us: number; cores_busy: number; cores: number;
} {
  const us = (k: number): number => ((after.nodes[k] - before.nodes[k]) * 1e6) / orders;
  const followers = before.nodes.map((_, k) => k).filter((k) => k !== leader);
  const followerUs = followers.reduce((sum, k) => sum + us(k), 0);
  const clientUs = (after.clientUs - before.clientUs) / orders;
  const totalUs = us(leader) + followerUs + clientUs;
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    cpu_us_per_order: round2(totalUs),
    leader_cpu_us: round2(us(leader)),
    follower_cpu_us: round2(followerUs / Math.max(1, followers.length)),
    client_cpu_us: round2(clientUs),
    cores_busy: round2((totalUs * orders) / 1e3 / (after.atMs - before.atMs)),
    cores: availableParallelism(),
  };
}
