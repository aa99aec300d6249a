/**
 * Token buckets per key (a connection, an API key, an address): `ratePerSec` sustained,
 * `burst` at once. The number of keys tracked is bounded: when full, buckets that are full
 * again (idle long enough) are dropped first; if none is, the key is refused.
 */
interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string | number, Bucket>();

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; false: over the limit. */
  take(key: string | number, nowMs: number): boolean {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys && !this.sweep(nowMs)) return false;
      b = { tokens: this.burst, atMs: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.atMs) * this.ratePerSec) / 1000);
    b.atMs = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drops the buckets that have refilled completely; true if any was dropped. */
  private sweep(nowMs: number): boolean {
    const before = this.buckets.size;
    const fullAfterMs = (this.burst * 1000) / this.ratePerSec;
    for (const [key, b] of this.buckets) if (nowMs - b.atMs >= fullAfterMs) this.buckets.delete(key);
    return this.buckets.size < before;
  }
}

/** Requests in flight per key, each key capped at `limit`; keys at zero are not kept. */
export class InFlight {
  private readonly counts = new Map<string | number, number>();

  constructor(readonly limit: number) {}

  tryEnter(key: string | number): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  leave(key: string | number): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}
