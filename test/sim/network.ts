/**
 * The simulated network: every message is delivered after a random delay (so messages are
 * reordered), may be lost or duplicated, and is dropped by partitions — symmetric or one-way.
 */
import type { Message } from '../../src/replication/messages.ts';
import type { SimRandom } from './random.ts';
import type { SimEntry } from './disk.ts';

export interface Envelope {
  message: Message;
  /** For an Append: the entries it carries. */
  entries: SimEntry[];
  deliverAt: number;
}

export interface NetworkFaults {
  lossRate: number;
  duplicateRate: number;
  maxDelayMs: number;
}

export class SimNetwork {
  private queue: Envelope[] = [];
  /** Blocked directions: "from>to". */
  private readonly blocked = new Set<string>();
  faults: NetworkFaults = { lossRate: 0, duplicateRate: 0, maxDelayMs: 3 };

  constructor(private readonly rng: SimRandom) {}

  send(now: number, message: Message, entries: SimEntry[]): void {
    if (this.blocked.has(`${message.from}>${message.to}`)) return;
    if (this.rng.chance(this.faults.lossRate)) return;
    const copies = this.rng.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      this.queue.push({ message, entries, deliverAt: now + this.rng.int(1, this.faults.maxDelayMs) });
    }
  }

  /** Messages due by `now`, in delivery order (ties in send order). */
  due(now: number): Envelope[] {
    const ready = this.queue.filter((e) => e.deliverAt <= now).sort((a, b) => a.deliverAt - b.deliverAt);
    if (ready.length > 0) this.queue = this.queue.filter((e) => e.deliverAt > now);
    return ready;
  }

  block(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Drops messages already in flight on blocked links (a cut cable, not a slow one). */
  dropBlocked(): void {
    this.queue = this.queue.filter((e) => !this.blocked.has(`${e.message.from}>${e.message.to}`));
  }

  isolate(node: number, members: readonly number[]): void {
    for (const m of members) {
      if (m === node) continue;
      this.block(node, m);
      this.block(m, node);
    }
  }

  heal(): void {
    this.blocked.clear();
    this.faults = { lossRate: 0, duplicateRate: 0, maxDelayMs: 3 };
  }

  get inFlight(): number {
    return this.queue.length;
  }
}
