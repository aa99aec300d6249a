/**
 * bourse_gc_pause_seconds counts every collection of the process, those that come in one batch
 * too (several in one turn of the event loop), in every registry that watches; a stopped watch
 * counts no more.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { watchGcPauses } from '../../src/gateway/http/gc-pauses.ts';
import { LATENCY_BUCKETS } from '../../src/gateway/http/metrics.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function pauses(registry: Registry): Promise<number> {
  return Number(/^bourse_gc_pause_seconds_count (\d+)$/m.exec(await registry.metrics())?.[1]);
}

/** Lets the performance entries of the collections so far reach their observers. */
async function delivered(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

it('counts every collection, several in one turn included, in each registry watching, until stopped', async () => {
  const a = new Registry();
  const b = new Registry();
  const stopA = watchGcPauses(a, LATENCY_BUCKETS);
  const stopB = watchGcPauses(b, LATENCY_BUCKETS);
  try {
    await delivered();
    const [a0, b0] = [await pauses(a), await pauses(b)];
    for (let i = 0; i < 4; i++) gc();
    await delivered();
    assert.ok(await pauses(a) - a0 >= 4, `${await pauses(a) - a0} of 4 collections in one turn counted`);
    assert.ok(await pauses(b) - b0 >= 4);
    stopA();
    const [a1, b1] = [await pauses(a), await pauses(b)];
    gc();
    await delivered();
    assert.equal(await pauses(a), a1, 'a stopped watch counts no more');
    assert.ok(await pauses(b) > b1);
  } finally {
    stopA();
    stopB();
  }
});
