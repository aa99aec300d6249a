/**
 * Subscribers to committed entries. A new subscriber first catches up from the archive, then
 * switches to live delivery at the exact index where the catch-up ended — no gap, no repeat.
 * Handlers run on the node's thread: they must be quick (a gateway queues and sends).
 */
import type { Archive } from '../archive/archive.ts';
import { EntryType } from '../archive/format.ts';
import type { Event } from '../application/events.ts';
import { eventsOf } from '../codec/events.ts';

/**
 * A committed entry: its events stay in binary form (slots shared by its batch) and are
 * decoded only when asked for, so the commit path allocates no event objects.
 */
export class CommittedEntry {
  private decoded: Event[] | undefined;

  constructor(
    readonly index: number,
    readonly term: number,
    readonly timestampUs: number,
    /** The event slot records [from, to) of `slots`. */
    public slots: Float64Array,
    public from: number,
    public to: number,
  ) {}

  /**
   * Points the entry at a copy of its events starting at slot `from` of `slots`: the node moves
   * a new entry out of its reused buffer once the batch is complete, before anyone can see it.
   */
  moveTo(slots: Float64Array, from: number): void {
    this.to = from + this.to - this.from;
    this.from = from;
    this.slots = slots;
  }

  get events(): Event[] {
    this.decoded ??= eventsOf(this.slots, this.from, this.to);
    return this.decoded;
  }
}

export interface Subscription {
  close(): void;
  /** Resolves when the catch-up from the archive has finished (or failed). */
  readonly caughtUp: Promise<void>;
}

interface Subscriber {
  next: number;
  closed: boolean;
  handler: (entry: CommittedEntry) => void;
  onLive: ((close: () => void) => void) | undefined;
}

export class Subscribers {
  private readonly live = new Set<Subscriber>();

  constructor(
    private readonly archive: Archive,
    private readonly committed: () => number,
    /** Told when a subscriber fails (its handler throws, or its catch-up cannot read): that subscription ends. */
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * `onLive` is called each time the subscriber has read everything committed and commits start
   * to reach it directly — maybe before `add` returns — with what closes this subscription.
   */
  add(fromIndex: number, handler: (entry: CommittedEntry) => void, onLive?: (close: () => void) => void): Subscription {
    const s: Subscriber = { next: Math.max(1, fromIndex), closed: false, handler, onLive };
    const caughtUp = this.catchUp(s).catch((error: unknown) => this.drop(s, error));
    return { caughtUp, close: () => this.close(s) };
  }

  private close(s: Subscriber): void {
    s.closed = true;
    this.live.delete(s);
  }

  private async catchUp(s: Subscriber): Promise<void> {
    while (!s.closed && s.next <= this.committed()) {
      const before = s.next;
      // Waits for what was added and not yet written: reading only what was written and trying
      // again, the loop spun on promises alone and starved the writes it waited for.
      for await (const batch of this.archive.replayAdded(s.next, this.committed())) {
        for (let k = 0; k < batch.count && !s.closed; k++) {
          s.next = batch.index(k) + 1;
          if (batch.type(k) !== EntryType.Events) continue;
          // The reader's buffer is reused: the entry gets its own copy of its events.
          const from = batch.payloadSlot(k);
          const slots = batch.slots.slice(from, from + batch.payloadBytes(k) / 8);
          s.handler(new CommittedEntry(batch.index(k), batch.term(k), batch.timestampUs(k), slots, 0, slots.length));
        }
        if (s.closed) return;
      }
      // Committed and not yet handed to the archive: let the event loop run before looking again.
      if (s.next === before) await new Promise((resolve) => setImmediate(resolve));
    }
    // Nothing committed is left to read: from here on, commits reach it directly.
    if (!s.closed) {
      this.live.add(s);
      s.onLive?.(() => this.close(s));
    }
  }

  /** True if a live subscriber would receive a published entry. */
  get listening(): boolean {
    return this.live.size > 0;
  }

  /**
   * Entries were committed that cannot be published from memory: live subscribers go back to
   * reading the archive from where they are, then return to live delivery.
   */
  rewind(): void {
    const rewound = [...this.live];
    this.live.clear();
    for (const s of rewound) {
      void this.catchUp(s).catch((error: unknown) => this.drop(s, error));
    }
  }

  /** Entries come in index order; a gap is a no-op entry, which has no events to deliver. */
  publish(entry: CommittedEntry): void {
    for (const s of this.live) {
      if (entry.index < s.next) continue;
      s.next = entry.index + 1;
      // A failing handler ends its own subscription, never the commit path nor the others' delivery.
      try {
        s.handler(entry);
      } catch (error) {
        this.drop(s, error);
      }
    }
  }

  private drop(s: Subscriber, error: unknown): void {
    s.closed = true;
    this.live.delete(s);
    this.onError(error);
  }

  closeAll(): void {
    for (const s of this.live) s.closed = true;
    this.live.clear();
  }
}
