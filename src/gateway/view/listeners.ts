/**
 * Listeners by key (a product or an account), at most `limit` of them over all keys. They run
 * on the node's thread, at the end of each entry: a listener that throws is removed and its
 * error logged, so that one bad listener stops neither the others nor the view.
 */
import type { Logger } from '../../log.ts';

interface Registration<T> {
  key: number;
  fn: (update: T) => void;
  /** The first entry it hears of: one added while an entry is being delivered hears none of it. */
  fromIndex: number;
  removed: boolean;
}

export class Listeners<T> {
  /**
   * Per key, its registrations in an array that a delivery walks by index: a Set's iterator
   * was an object per update delivered. A registration removed during a delivery is flagged
   * (it is called no more) and leaves the array once the delivery ends.
   */
  private readonly byKey = new Map<number, Registration<T>[]>();
  private delivering = 0;
  private readonly removedMeanwhile: Registration<T>[] = [];
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
    const r: Registration<T> = { key, fn, fromIndex, removed: false };
    const list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, [r]);
    else list.push(r);
    this.count++;
    return () => this.remove(r);
  }

  has(key: number): boolean {
    return this.byKey.has(key);
  }

  deliver(key: number, update: T, entryIndex: number): void {
    const list = this.byKey.get(key);
    if (list === undefined) return;
    this.delivering++;
    // Bounded by the key's listeners (one added now is past the length or not yet due: fromIndex).
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      if (r.removed || entryIndex < r.fromIndex) continue;
      try {
        r.fn(update);
      } catch (error) {
        this.remove(r);
        this.logger.error({ key, error: String(error) }, `${this.what}: a listener failed; it is removed`);
      }
    }
    if (--this.delivering === 0 && this.removedMeanwhile.length > 0) {
      for (const r of this.removedMeanwhile) this.drop(r);
      this.removedMeanwhile.length = 0;
    }
  }

  private remove(r: Registration<T>): void {
    if (r.removed) return;
    r.removed = true;
    this.count--;
    if (this.delivering > 0) this.removedMeanwhile.push(r);
    else this.drop(r);
  }

  private drop(r: Registration<T>): void {
    const list = this.byKey.get(r.key);
    if (list === undefined) return;
    const at = list.indexOf(r);
    if (at !== -1) list.splice(at, 1);
    if (list.length === 0) this.byKey.delete(r.key);
  }
}
