/**
 * Subscribers: subscribe(from) catches up from the archive, then goes live with no gap and no
 * repeat, also while commands keep arriving during the catch-up; several subscribers at once;
 * entries come in index order with the same index, time and events the submits got; close()
 * of a subscription stops its delivery (also in the middle of the catch-up); a handler that
 * throws ends its own subscription only.
 *
 * Subscribers get the committed entries that carry events: every command's, and no no-op (a
 * node alone opens its term with one, index 1 of a fresh node). Expected deliveries are the
 * indexes the submits were answered with, checked against the archive's command entries.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import type { Command } from '../../src/application/commands.ts';
import { Node, type CommandResult } from '../../src/node/node.ts';
import type { CommittedEntry } from '../../src/node/subscribers.ts';
import { commandStream } from '../support/command-stream.ts';
import { RecordingLogger, SMALL_SEGMENT, checkArchiveHolds, eventually, prng, withTempDir } from './harness.ts';

const run = promisify(execFile);

/** The indexes of `results` from `from` to `to`, in order. */
const between = (results: readonly CommandResult[], from: number, to = Number.MAX_SAFE_INTEGER): number[] =>
  results.map((r) => r.index).filter((i) => i >= from && i <= to);

interface Received {
  from: number;
  entries: CommittedEntry[];
  /** Commit index when subscribed, and when the catch-up ended. */
  subscribedAt: number;
  caughtUpAt: number;
}

/**
 * Every command's index from `from` to `last` once, in order (the no-ops between have nothing
 * to deliver), each as the submit answered it.
 */
function checkDelivery(r: Received, last: number, results: Map<number, CommandResult>, name: string): void {
  const indexes = r.entries.map((e) => e.index);
  const expected = [...results.keys()].sort((a, b) => a - b).filter((i) => i >= r.from && i <= last);
  assert.deepEqual(indexes, expected, `${name}: no gap, no repeat, in order`);
  for (const e of r.entries) {
    const answer = results.get(e.index);
    assert.ok(answer !== undefined, `${name}: entry ${e.index} was answered`);
    assert.equal(e.timestampUs, answer.timestampUs, `${name}: time of ${e.index}`);
    assert.equal(e.term, answer.term, `${name}: term of ${e.index}`);
    assert.equal(e.term, 1);
    assert.deepEqual(e.events, answer.events, `${name}: events of ${e.index}`);
  }
}

describe('subscribers', () => {
  it('catch up from the archive, then live, with commands arriving all along; several at once', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'always', segmentBytes: SMALL_SEGMENT, batchLimit: 64 });
      try {
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
        assert.equal(results.size, commands.length, 'every command answered, each with its own index');
        assert.equal(last, Math.max(...results.keys()), 'the last command is the last committed entry');
        assert.equal(node.status().lastIndex, last);
        await eventually(() => [...subscribers.values()].every((r) => r.entries.at(-1)?.index === last), 'every subscriber at the end');

        for (const [name, r] of subscribers) checkDelivery(r, last, results, name);
        const full = subscribers.get('from 1') as Received;
        assert.ok(full.caughtUpAt > full.subscribedAt, 'entries were committed during the catch-up from 1');
        await node.close();
        // What was delivered from 1 is exactly the archive's command entries: the submitted commands, each once.
        await checkArchiveHolds(join(dir, 'archive'), full.entries.map((e) => results.get(e.index) as CommandResult));
      } finally {
        // Also when a check failed: an open node keeps the process alive.
        await node.close();
      }
    });
  });

  it('close() of a subscription stops its delivery, during the catch-up or live', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT });
      try {
        const commands = commandStream(12, 2_000);
        const results = await Promise.all(commands.slice(0, 1_500).map((c) => node.submit(c)));

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
        assert.deepEqual(early, results.slice(0, 10).map((r) => r.index));
        results.push(...await Promise.all(commands.slice(1_500, 1_700).map((c) => node.submit(c))));
        const closedAt = (results.at(-1) as CommandResult).index;
        assert.equal(late.at(-1), closedAt);
        lateSub.close();
        lateSub.close();
        results.push(...await Promise.all(commands.slice(1_700).map((c) => node.submit(c))));
        const last = (results.at(-1) as CommandResult).index;
        await eventually(() => all.at(-1) === last, 'the open subscriber at the end');
        assert.equal(early.length, 10, 'nothing after close() during the catch-up');
        assert.deepEqual(late, between(results, 1_400, closedAt), 'nothing after close() while live');
        assert.ok(late.length > 200, 'delivered from the catch-up on, and live');
        assert.deepEqual(all, between(results, 1_490));
      } finally {
        await node.close();
      }
    });
  });

  it('a catch-up that starts ahead of what the archive has written waits for the writes (it spun, starving the event loop)', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/catch-up-ahead-of-disk.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { timeout: 30_000 });
    assert.deepEqual(JSON.parse(stdout), Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('node.close() ends every subscription; the catch-up promise resolves', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, fsync: 'never', segmentBytes: SMALL_SEGMENT });
      try {
        const commands = commandStream(13, 300);
        const results = await Promise.all(commands.map((c) => node.submit(c)));
        const got: number[] = [];
        const sub = node.subscribe(1, (entry) => got.push(entry.index));
        await sub.caughtUp;
        await node.close();
        assert.deepEqual(got, results.map((r) => r.index));
      } finally {
        // Also when a check failed: an open node keeps the process alive.
        await node.close();
      }
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
          const before = await Promise.all(commands.slice(0, 100).map((c) => node.submit(c)));
          // The entry of the 50th command, and the next index (the 101st command's, in one batch with the rest).
          const at50 = before[49].index;
          const next = node.status().lastIndex + 1;
          assert.equal(next, before[99].index + 1);
          const at150 = next + 49;
          // One throws during its catch-up, one once live (it is live at once: first in the delivery order).
          const failsInCatchUp: number[] = [];
          const a = node.subscribe(1, (entry) => {
            failsInCatchUp.push(entry.index);
            if (entry.index === at50) throw new Error('handler bug in the catch-up');
          });
          const failsLive: number[] = [];
          const b = node.subscribe(next, (entry) => {
            failsLive.push(entry.index);
            if (entry.index === at150) throw new Error('handler bug when live');
          });
          const good: number[] = [];
          const c = node.subscribe(1, (entry) => good.push(entry.index));
          await Promise.all([a.caughtUp, b.caughtUp, c.caughtUp]);
          // All in one batch: the failure at the 150th command is in the middle of a commit.
          const results = await Promise.all(commands.slice(100).map((command) => node.submit(command)));
          assert.deepEqual(results.map((r) => r.index), results.map((_, k) => next + k));
          const all = [...before, ...results];
          const last = (results.at(-1) as CommandResult).index;
          await eventually(() => good.at(-1) === last, 'the good subscriber at the end');
          assert.deepEqual(good, all.map((r) => r.index));
          assert.deepEqual(failsInCatchUp, between(all, 1, at50));
          assert.equal(failsInCatchUp.length, 50);
          assert.deepEqual(failsLive, between(all, next, at150));
          assert.equal(failsLive.length, 50);
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
