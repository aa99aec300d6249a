/**
 * How fast the next segment is zero-filled: in step with the filling of the current one. Made at
 * once when the current one was half full (1 MB chunks 2 ms apart), the 128 MB of each of three
 * nodes on one machine held the disk for about a second, the logs' fdatasyncs queued behind it,
 * and the commit latency of that second doubled. Chunk k of n is written once the current
 * segment is (k / n) · READY_AT full, so the next is ready with room to spare and the disk
 * takes the zeros at the log's own pace; a roll that needs the segment sooner hurries it, and
 * a close stops it.
 */
import { ArchiveError } from './errors.ts';

/** The share of the current segment filled by the time the next is ready. */
const READY_AT = 0.75;

export class PrefillPace {
  /**
   * The most of the current segment seen filled (1: there is none; Infinity: hurried). Never
   * lowered: a truncated segment leaves written what was allowed.
   */
  private filled: number;
  private stopped = false;
  private waiter: { share: number; resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(filled: number) {
    this.filled = filled;
  }

  /** The current segment is now `share` full. */
  update(share: number): void {
    if (share <= this.filled) return;
    this.filled = share;
    const waiter = this.waiter;
    if (waiter !== undefined && share >= waiter.share) {
      this.waiter = undefined;
      waiter.resolve();
    }
  }

  /** From now on every chunk may be written at once. */
  hurry(): void {
    this.update(Infinity);
  }

  /** No further chunk is written: the one waiting, and any after it, fail with CLOSED. */
  stop(): void {
    this.stopped = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(closed());
  }

  /** Resolves once the chunk at `at` of a file of `bytes` may be written (undefined: now). */
  before(at: number, bytes: number): Promise<void> | undefined {
    if (this.stopped) return Promise.reject(closed());
    const share = (at / bytes) * READY_AT;
    if (this.filled >= share) return undefined;
    return new Promise((resolve, reject) => {
      this.waiter = { share, resolve, reject };
    });
  }
}

function closed(): ArchiveError {
  return new ArchiveError('CLOSED', 'the archive was closed while it made its next segment');
}
