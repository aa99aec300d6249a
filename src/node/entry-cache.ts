/**
 * The most recent entries in memory (a ring): the leader sends new entries to followers from
 * here and a follower applies committed ones from here, without reading the archive. What has
 * left the ring is read from the archive (a follower catching up from far behind).
 */
export interface CachedEntry {
  term: number;
  timestampUs: number;
  type: number;
  /** The entry's event slots are [from, to) of `slots` (shared by its batch). */
  slots: Float64Array;
  from: number;
  to: number;
  /**
   * The entry as a sealed wire record: bytes [recordAt, recordAt + recordBytes) of `records`
   * (absent on a cluster of one, which sends nothing).
   */
  records: Uint8Array | undefined;
  recordAt: number;
  recordBytes: number;
}

export class EntryCache {
  private readonly entries: (CachedEntry | undefined)[];
  /** Index of the first and the last entry held; last < first when empty. */
  first = 1;
  last = 0;

  constructor(readonly capacity: number) {
    this.entries = new Array<CachedEntry | undefined>(capacity);
  }

  /** Holds the entry at `index`; an index that does not follow `last` restarts the ring there. */
  put(index: number, entry: CachedEntry): void {
    if (index !== this.last + 1) this.first = index;
    this.entries[index % this.capacity] = entry;
    this.last = index;
    if (this.last - this.first + 1 > this.capacity) this.first = this.last - this.capacity + 1;
  }

  get(index: number): CachedEntry | undefined {
    return index >= this.first && index <= this.last ? this.entries[index % this.capacity] : undefined;
  }

  /** True if every entry of [from, to] is held. */
  holds(from: number, to: number): boolean {
    return from >= this.first && to <= this.last;
  }

  truncateAfter(index: number): void {
    if (index < this.last) this.last = Math.max(index, this.first - 1);
  }
}
