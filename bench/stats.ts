/** Percentiles and formatting shared by the benchmarks. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatRate(perSec: number): string {
  return perSec >= 1e6 ? `${round(perSec / 1e6, 2)} M/s` : `${round(perSec / 1e3, 1)} k/s`;
}

export interface BenchOptions {
  json: boolean;
  quick: boolean;
}

/** p50 / p99 / p99.9 of latency samples in µs, rounded to the µs (sorts the samples in place). */
export function latencyFigures(samplesUs: Float64Array): { p50_us: number; p99_us: number; p999_us: number } {
  samplesUs.sort();
  return { p50_us: round(percentile(samplesUs, 50), 0), p99_us: round(percentile(samplesUs, 99), 0), p999_us: round(percentile(samplesUs, 99.9), 0) };
}
