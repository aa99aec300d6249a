/**
 * Listeners by key (a product or an account), at most `limit` of them over all keys. They run
 * on the node's thread, at the end of each entry: a listener that throws is removed and its
 * error logged, so that one bad listener stops neither the others nor the view.
 */
import type { Logger } from '../../log.ts';

interface Registration<T> {
  fn: (update: T) => void;
  /** The first entry it hears of: one added while an entry is being delivered hears none of it. */
  fromIndex: number;
}

export class Listeners<T> {
  private readonly byKey = new Map<number, Set<Registration<T>>>();
  count = 0;

  constructor(
    private readonly what: string,
    private readonly limit: number,
    private readonly logger: Logger,
  ) {}

  /** Adds a listener of `key` for entries from `fromIndex` on; returns its removal (idempotent). */
  add(key: number, fn: (update: T) => void, fromIndex: number): () => void {
    if (!Number.isSafeInteger(key) || key < 0) throw new RangeError(`${this.what}: ${key} is no product or account id`);
    if (this.count >= this.limit) throw new RangeError(`${this.what}: at most ${this.limit} listeners`);
    const r: Registration<T> = { fn, fromIndex };
    let set = this.byKey.get(key);
    if (set === undefined) this.byKey.set(key, (set = new Set()));
    set.add(r);
    this.count++;
    return () => this.remove(key, r);
  }

  has(key: number): boolean {
    return this.byKey.has(key);
  }

  deliver(key: number, update: T, entryIndex: number): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const r of set) {
      if (entryIndex < r.fromIndex) continue;
      try {
        r.fn(update);
      } catch (error) {
        this.remove(key, r);
        this.logger.error({ key, error: String(error) }, `${this.what}: a listener failed; it is removed`);
      }
    }
  }

  private remove(key: number, r: Registration<T>): void {
    const set = this.byKey.get(key);
    if (set === undefined || !set.delete(r)) return;
    this.count--;
    if (set.size === 0) this.byKey.delete(key);
  }
}
