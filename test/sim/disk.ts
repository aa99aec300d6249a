/**
 * A simulated disk: the hard state and the log as last synced survive a crash; what was
 * written but not synced is lost, except that a random prefix of it may have reached the disk
 * (page write-back order is not ours to choose) — the last write may be torn, which for the
 * archive means it is cut on recovery, so it is lost too.
 */
import type { HardState } from '../../src/replication/raft.ts';
import type { SimRandom } from './random.ts';

export interface SimEntry {
  index: number;
  term: number;
  timestampUs: number;
  /** Event slot records of the command (empty for a no-op). */
  slots: Float64Array;
  noop: boolean;
}

export class SimDisk {
  hard: HardState = { term: 0, votedFor: 0 };
  /** Durable entries: [0] is index 1. */
  durable: SimEntry[] = [];

  /** What survives a crash of a node whose volatile log is `log` (synced up to `synced`). */
  crash(log: SimEntry[], synced: number, rng: SimRandom): void {
    const unsynced = log.length - synced;
    const kept = unsynced > 0 && rng.chance(0.5) ? rng.int(0, unsynced) : 0;
    this.durable = log.slice(0, synced + kept);
  }
}
