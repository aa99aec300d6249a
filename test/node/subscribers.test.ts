/**
 * Subscribers: subscribe(from) catches up from the archive, then goes live with no gap and no
 * repeat, also while commands keep arriving during the catch-up; several subscribers at once;
 * entries come in index order with the same index, time and events the submits got; close()
 * of a subscription stops its delivery (also in the middle of the catch-up); a handler that
 * throws ends its own subscription only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from '../../src/application/commands.ts';
import { Node, type CommandResult } from '../../src/node/node.ts';
import type { CommittedEntry } from '../../src/node/subscribers.ts';
import { commandStream } from '../support/command-stream.ts';
import { RecordingLogger, SMALL_SEGMENT, eventually, prng, withTempDir } from './harness.ts';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

interface Received {
  from: number;
  entries: CommittedEntry[];
  /** Commit index when subscribed, and when the catch-up ended. */
  subscribedAt: number;
  caughtUpAt: number;
}

/** Every index from `from` to `last` once, in order, each as the submit answered it. */
function checkDelivery(r: Received, last: number, results: Map<number, CommandResult>, name: string): void {
  const indexes = r.entries.map((e) => e.index);
  const expected = Array.from({ length: last - r.from + 1 }, (_, k) => r.from + k);
  assert.deepEqual(indexes, expected, `${name}: no gap, no repeat, in order`);
  for (const e of r.entries) {
    const answer = results.get(e.index);
    assert.ok(answer !== undefined, `${name}: entry ${e.index} was answered`);
    assert.equal(e.timestampUs, answer.timestampUs, `${name}: time of ${e.index}`);
    assert.equal(e.term, 1);
    assert.deepEqual(e.events, answer.events, `${name}: events of ${e.index}`);
  }
}

describe('subscribers', () => {
  it('catch up from the archive, then live, with commands arriving all along; several at once', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'always', segmentBytes: SMALL_SEGMENT, batchLimit: 64 });
      const results = new Map<number, CommandResult>();
      const commands = commandStream(11, 9_000);
      let next = 0;
      const submitWindow = async (size: number): Promise<void> => {
        const window = commands.slice(next, next + size);
        next += window.length;
        for (const r of await Promise.all(window.map((c: Command) => node.submit(c)))) results.set(r.index, r);
      };
      // An archive over several segments before anyone subscribes.
      while (next < 5_000) await submitWindow(500);

      const subscribers = new Map<string, Received>();
      const subscribe = (name: string, from: number): Promise<void> => {
        const r: Received = { from: Math.max(1, from), entries: [], subscribedAt: node.status().commitIndex, caughtUpAt: -1 };
        subscribers.set(name, r);
        const sub = node.subscribe(from, (entry) => r.entries.push(entry));
        return sub.caughtUp.then(() => void (r.caughtUpAt = node.status().commitIndex));
      };
      // Commands keep coming (windows of random size) while subscribers join at various points.
      const random = prng(11);
      let producing = true;
      const producer = (async () => {
        while (next < commands.length) await submitWindow(1 + Math.floor(random() * 80));
        producing = false;
      })();
      const caughtUp = [subscribe('from 0', 0), subscribe('from 1', 1)];
      await eventually(() => next >= 5_600, 'more commands');
      caughtUp.push(subscribe('from the middle', 2_500));
      const live = node.status().commitIndex + 1;
      caughtUp.push(subscribe('from the next index', live), subscribe('from a future index', live + 1_000));
      await Promise.all(caughtUp);
      assert.ok(producing, 'the catch-ups ended before the producer did');
      await producer;
      const last = node.status().commitIndex;
      assert.equal(last, commands.length);
      await eventually(() => [...subscribers.values()].every((r) => r.entries.at(-1)?.index === last), 'every subscriber at the end');

      for (const [name, r] of subscribers) checkDelivery(r, last, results, name);
      const full = subscribers.get('from 1') as Received;
      assert.ok(full.caughtUpAt > full.subscribedAt, 'entries were committed during the catch-up from 1');
      await node.close();
    });
  });

  it('close() of a subscription stops its delivery, during the catch-up or live', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT });
      try {
        const commands = commandStream(12, 2_000);
        await Promise.all(commands.slice(0, 1_500).map((c) => node.submit(c)));

        // Closed by its own handler in the middle of the catch-up.
        const early: number[] = [];
        const earlySub = node.subscribe(1, (entry) => {
          early.push(entry.index);
          if (early.length === 10) earlySub.close();
        });
        // Closed while live.
        const late: number[] = [];
        const lateSub = node.subscribe(1_400, (entry) => late.push(entry.index));
        // Never closed: the reference.
        const all: number[] = [];
        node.subscribe(1_490, (entry) => all.push(entry.index));
        await earlySub.caughtUp;
        await lateSub.caughtUp;
        assert.deepEqual(early, Array.from({ length: 10 }, (_, k) => 1 + k));
        await Promise.all(commands.slice(1_500, 1_700).map((c) => node.submit(c)));
        assert.equal(late.at(-1), 1_700);
        lateSub.close();
        lateSub.close();
        await Promise.all(commands.slice(1_700).map((c) => node.submit(c)));
        const last = commands.length;
        await eventually(() => all.at(-1) === last, 'the open subscriber at the end');
        assert.equal(early.length, 10, 'nothing after close() during the catch-up');
        assert.deepEqual(late, Array.from({ length: 301 }, (_, k) => 1_400 + k), 'nothing after close() while live');
        assert.deepEqual(all, Array.from({ length: last - 1_489 }, (_, k) => 1_490 + k));
      } finally {
        await node.close();
      }
    });
  });

  it('node.close() ends every subscription; the catch-up promise resolves', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT });
      const commands = commandStream(13, 300);
      await Promise.all(commands.map((c) => node.submit(c)));
      const got: number[] = [];
      const sub = node.subscribe(1, (entry) => got.push(entry.index));
      await sub.caughtUp;
      await node.close();
      assert.deepEqual(got, commands.map((_, k) => k + 1));
    });
  });

  // Regression: a live handler that threw escaped the commit loop — the rest of the batch, durable,
  // was never answered nor published, and the rejection was unhandled (a crash under Node 20).
  it('a handler that throws ends its own subscription only: every command is answered, the others get everything', { timeout: 30_000 }, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown): void => void unhandled.push(error);
    process.on('unhandledRejection', onUnhandled);
    try {
      await withTempDir(async (dir) => {
        const logger = new RecordingLogger();
        const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT, logger });
        try {
          const commands = commandStream(14, 400);
          const last = commands.length;
          await Promise.all(commands.slice(0, 100).map((c) => node.submit(c)));
          // One throws during its catch-up, one once live (it is live at once: first in the delivery order).
          const failsInCatchUp: number[] = [];
          const a = node.subscribe(1, (entry) => {
            failsInCatchUp.push(entry.index);
            if (entry.index === 50) throw new Error('handler bug in the catch-up');
          });
          const failsLive: number[] = [];
          const b = node.subscribe(101, (entry) => {
            failsLive.push(entry.index);
            if (entry.index === 150) throw new Error('handler bug when live');
          });
          const good: number[] = [];
          const c = node.subscribe(1, (entry) => good.push(entry.index));
          await Promise.all([a.caughtUp, b.caughtUp, c.caughtUp]);
          // All in one batch: the failure at 150 is in the middle of a commit.
          const results = await Promise.all(commands.slice(100).map((command) => node.submit(command)));
          assert.deepEqual(results.map((r) => r.index), range(101, last));
          await eventually(() => good.at(-1) === last, 'the good subscriber at the end');
          assert.deepEqual(good, range(1, last));
          assert.deepEqual(failsInCatchUp, range(1, 50));
          assert.deepEqual(failsLive, range(101, 150));
          const errors = logger.of('error').map((l) => String(l.fields.error));
          assert.equal(errors.length, 2, JSON.stringify(errors));
          assert.ok(errors.some((e) => e.includes('in the catch-up')) && errors.some((e) => e.includes('when live')));
        } finally {
          await node.close();
        }
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
