/**
 * BucketHistogram against prom-client's own Histogram: the same observations give the same
 * exposition text, bucket for bucket; a reset returns it to zeros.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { BucketHistogram } from '../../src/gateway/http/bucket-histogram.ts';

const BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function pair(): { ours: BucketHistogram; theirs: Histogram; text: () => Promise<[string, string]>; registries: Registry[] } {
  const a = new Registry();
  const b = new Registry();
  const ours = new BucketHistogram('x_seconds', 'a latency', BOUNDS, a);
  const theirs = new Histogram({ name: 'x_seconds', help: 'a latency', buckets: BOUNDS, registers: [b] });
  return { ours, theirs, registries: [a, b], text: async () => [await a.metrics(), await b.metrics()] };
}

describe('BucketHistogram', () => {
  it('exposes what prom-client\'s Histogram exposes for the same observations, bounds included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.double({ min: 0, max: 5, noNaN: true }), fc.constantFrom(...BOUNDS)), { maxLength: 200 }), async (values) => {
        const { ours, theirs, text } = pair();
        for (const v of values) {
          ours.observe(v);
          theirs.observe(v);
        }
        const [mine, reference] = await text();
        assert.equal(mine, reference);
      }),
      { numRuns: 100 },
    );
  });

  it('a reset returns it to what it exposed when made (zeros, as prom-client\'s before any observation)', async () => {
    const { ours, text, registries } = pair();
    for (const v of [0.003, 7, 0.0001]) ours.observe(v);
    registries[0].resetMetrics();
    const [mine, fresh] = await text();
    assert.equal(mine, fresh);
    assert.match(mine, /^x_seconds_count 0$/m);
  });
});
