/**
 * The most recent entries in memory: the leader sends new entries to followers from here and a
 * follower applies committed ones from here, without reading the archive. What has left the
 * cache is read from the archive (a follower catching up from far behind).
 *
 * Entries are held as runs — a turn's batch on the leader, an Append's entries on a follower —
 * of sealed wire records viewed in place in one buffer: one object per run, none per entry.
 */
import type { EntryBatch } from '../archive/entry-batch.ts';

export class CachedRun {
  constructor(
    /** Index of the run's first entry. */
    readonly first: number,
    /** The records; entry `first + i` is the batch's record `offset + i`. */
    readonly batch: EntryBatch,
    readonly offset: number,
    public count: number,
  ) {}

  get last(): number {
    return this.first + this.count - 1;
  }

  /** The batch's record number of entry `index` (which the run holds). */
  at(index: number): number {
    return this.offset + index - this.first;
  }
}

export class EntryCache {
  /** Runs in index order, from `head`; consecutive runs hold consecutive entries. */
  private runs: CachedRun[] = [];
  private head = 0;
  /** Index of the first and the last entry held; last < first when empty. */
  first = 1;
  last = 0;

  constructor(readonly capacity: number) {}

  /**
   * Holds entries [first, first + count) of `batch`, from its record `offset`. A run that does
   * not follow `last` restarts the cache there. Old runs leave once the cache holds more than
   * `capacity` entries without them.
   */
  put(first: number, batch: EntryBatch, offset: number, count: number): void {
    if (count === 0) return;
    if (first !== this.last + 1) this.clear(first);
    this.runs.push(new CachedRun(first, batch, offset, count));
    this.last = first + count - 1;
    while (this.runs.length - this.head > 1 && this.last - this.runs[this.head + 1].first + 1 >= this.capacity) this.head++;
    this.first = this.runs[this.head].first;
    if (this.head > 1024 && this.head * 2 > this.runs.length) {
      this.runs.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The run holding entry `index`, if held. */
  runAt(index: number): CachedRun | undefined {
    if (index < this.first || index > this.last) return undefined;
    // Binary search: runs are few (one per turn or per Append) and sorted by index.
    let lo = this.head;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.runs[mid].first <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.runs[lo];
  }

  /** True if every entry of [from, to] is held. */
  holds(from: number, to: number): boolean {
    return from >= this.first && to <= this.last;
  }

  truncateAfter(index: number): void {
    if (index >= this.last) return;
    if (index < this.first) {
      this.clear(this.first);
      return;
    }
    const run = this.runAt(index) as CachedRun;
    run.count = index - run.first + 1;
    this.runs.length = this.runs.indexOf(run, this.head) + 1;
    this.last = index;
  }

  private clear(first: number): void {
    this.runs = [];
    this.head = 0;
    this.first = first;
    this.last = first - 1;
  }
}
