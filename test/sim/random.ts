/**
 * The tests' and benchmarks' seeded PRNG (Mulberry32): one seed drives every choice of a
 * simulation run, a randomized test or a benchmark's workload, so a failure or a figure is
 * reproduced from its seed.
 */
export class SimRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** The same generator as a function giving numbers in [0, 1). */
export function prng(seed: number): () => number {
  const random = new SimRandom(seed);
  return () => random.next();
}
