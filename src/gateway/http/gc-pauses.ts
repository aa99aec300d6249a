/**
 * bourse_gc_pause_seconds: every garbage collection of this process, of any kind, from the
 * runtime's 'gc' performance entries. prom-client's own nodejs_gc_duration_seconds counts only
 * the first entry of each batch the observer is handed, and entries come in batches exactly when
 * collections follow each other: under load, the pauses that make a latency tail.
 * One observer for the process (tests run several nodes in one), feeding every registry.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.ts';

const histograms = new Set<BucketHistogram>();
let observer: PerformanceObserver | undefined;

/** Registers the histogram in `registry` (seconds, bucket bounds `bounds`); returns its stop. */
export function watchGcPauses(registry: Registry, bounds: readonly number[]): () => void {
  const histogram = new BucketHistogram('bourse_gc_pause_seconds', 'garbage collection pauses of this process, all kinds', bounds, registry);
  histograms.add(histogram);
  if (observer === undefined) {
    observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) for (const h of histograms) h.observe(entry.duration / 1000);
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return () => {
    histograms.delete(histogram);
    if (histograms.size > 0) return;
    observer?.disconnect();
    observer = undefined;
  };
}
