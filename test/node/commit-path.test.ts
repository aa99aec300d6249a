/**
 * The commit path: nothing is answered or published before it is durable (under fsync
 * `always`, synced; under the others, written), results come back in submission order with
 * consecutive indexes, a rejected command resolves with its Rejected event and an index, the
 * queue is bounded (OVERLOADED at once, no growth), CLOSED after close, and close() drains
 * what was queued and leaves a clean archive.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Command } from '../../src/application/commands.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import { NodeError } from '../../src/node/errors.ts';
import { Node } from '../../src/node/node.ts';
import { commandStream } from '../support/command-stream.ts';
import { SMALL_SEGMENT, prng, withTempDir } from './harness.ts';

const SETUP: Command[] = [{ type: 'CreateAsset', code: 'COIN', scale: 0 }, { type: 'CreateAccount' }];
const deposit = (transfer: number): Command => ({ type: 'Deposit', transfer, account: 1, asset: 1, amount: 1 });

/** Resolves after the pending microtasks (promise callbacks) have run, but before any event-loop turn. */
async function microtasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

const isError = (code: string) => (error: unknown): boolean => error instanceof NodeError && error.code === code;

describe('the commit path', () => {
  for (const fsync of ['always', 'interval:1000', 'never']) {
    it(`fsync ${fsync}: an answer or a published entry is ${fsync === 'always' ? 'synced' : 'written'} first; answers come in submission order`, async () => {
      await withTempDir(async (dir) => {
        const node = await Node.open({ dataDir: dir, fsync, segmentBytes: SMALL_SEGMENT, batchLimit: 37 });
        const covered = (index: number): boolean => {
          const { archive, commitIndex } = node.status();
          return (fsync === 'always' ? archive.syncedIndex : archive.writtenIndex) >= index && commitIndex >= index;
        };
        const published: number[] = [];
        const early: number[] = [];
        node.subscribe(1, (entry) => {
          if (!covered(entry.index)) early.push(entry.index);
          published.push(entry.index);
        });
        const commands = commandStream(7, 1_500);
        const random = prng(7);
        const answered: number[] = [];
        let i = 0;
        while (i < commands.length) {
          const size = 1 + Math.floor(random() * 120);
          const first = node.status().lastIndex + 1;
          const window = commands.slice(i, i + size).map((command, k) => node.submit(command).then((r) => {
            assert.ok(covered(r.index), `command ${r.index} answered before it was durable`);
            answered.push(k);
            return r;
          }));
          const results = await Promise.all(window);
          // Answers resolve in submission order (the order their callbacks ran), indexes consecutive.
          assert.deepEqual(answered.splice(0), results.map((_, k) => k));
          assert.deepEqual(results.map((r) => r.index), results.map((_, k) => first + k));
          i += size;
        }
        await node.close();
        assert.deepEqual(early, [], 'entries published before they were durable');
        assert.deepEqual(published, commands.map((_, k) => k + 1), 'every entry published once, in order');
      });
    });
  }

  it('a rejected command resolves with one Rejected event and takes an index', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      try {
        const [asset, account, bad, overdraw, good] = await Promise.all([
          ...SETUP.map((c) => node.submit(c)),
          node.submit({ type: 'PlaceOrder', account: 1, product: 9, clientOrderId: 0, side: 0, orderType: 1, tif: 1, postOnly: 0,
            stp: 1, price: 100, qty: 1, quoteBudget: 0, stopPrice: 0 }),
          node.submit({ type: 'Withdraw', transfer: 5, account: 1, asset: 1, amount: 1 }),
          node.submit(deposit(6)),
        ]);
        assert.deepEqual([asset, account, bad, overdraw, good].map((r) => r.index), [1, 2, 3, 4, 5]);
        for (const r of [bad, overdraw]) {
          assert.equal(r.events.length, 1);
          assert.equal(r.events[0].type, 'Rejected');
        }
        assert.equal(good.events[0].type, 'Deposited');
        assert.equal(node.status().commitIndex, 5);
      } finally {
        await node.close();
      }
    });
  });

  it('beyond queueLimit, submit fails at once with OVERLOADED; the queue and the memory do not grow', async () => {
    await withTempDir(async (dir) => {
      const LIMIT = 16;
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, queueLimit: LIMIT, batchLimit: 4 });
      try {
        for (const c of SETUP) await node.submit(c);
        const lastIndex = node.status().lastIndex;
        const accepted = Array.from({ length: LIMIT }, (_, i) => node.submit(deposit(i + 1)));
        assert.equal(node.status().queued, LIMIT);
        let refused: unknown;
        node.submit(deposit(1_000)).then(() => assert.fail('accepted beyond the limit'), (error: unknown) => (refused = error));
        await microtasks();
        // Refused before any turn ran: nothing was executed meanwhile.
        assert.ok(isError('OVERLOADED')(refused), String(refused));
        assert.equal(node.status().lastIndex, lastIndex);
        assert.equal(node.status().queued, LIMIT);

        // Many more refusals leave nothing behind.
        setFlagsFromString('--expose-gc');
        const gc = runInNewContext('gc') as () => void;
        const flood = async (n: number): Promise<number> => {
          let overloaded = 0;
          for (let i = 0; i < n; i++) node.submit(deposit(10_000 + i)).catch((e: unknown) => { if (isError('OVERLOADED')(e)) overloaded++; });
          await microtasks();
          return overloaded;
        };
        // Node.js keeps track of rejected promises for a while (unhandled-rejection checks, weak
        // references cleared by a second collection): collect, let a turn pass, collect again.
        const settle = async (): Promise<void> => {
          for (let i = 0; i < 2; i++) {
            await new Promise((resolve) => setImmediate(resolve));
            gc();
          }
        };
        await flood(10_000);
        await settle();
        const before = process.memoryUsage().heapUsed;
        // (The turn that ran meanwhile freed a few places: those few were accepted.)
        assert.ok(await flood(100_000) >= 100_000 - LIMIT);
        assert.ok(node.status().queued <= LIMIT);
        await settle();
        const grown = process.memoryUsage().heapUsed - before;
        assert.ok(grown < 4 * 1024 * 1024, `100,000 refused submits grew the heap by ${grown} bytes`);

        const results = await Promise.all(accepted);
        assert.deepEqual(results.map((r) => r.index), results.map((_, i) => lastIndex + 1 + i));
        assert.equal(node.status().queued, 0);
        // Room again: accepted.
        assert.equal((await node.submit(deposit(2_000))).events[0].type, 'Deposited');
      } finally {
        await node.close();
      }
    });
  });

  it('close() drains every queued command, then submit fails with CLOSED; the archive reopens clean', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, segmentBytes: 64 * 1024, batchLimit: 50, snapshot: { everyEntries: 400 } });
      for (const c of SETUP) await node.submit(c);
      const pending = Array.from({ length: 3_000 }, (_, i) => node.submit(deposit(i + 1)));
      const snapshot = node.snapshot();
      const closing = node.close();
      // Closing: refused at once; the queued ones go on.
      await assert.rejects(node.submit(deposit(99_999)), isError('CLOSED'));
      await closing;
      const settled = await Promise.allSettled(pending);
      assert.ok(settled.every((s) => s.status === 'fulfilled'), 'every queued command was answered');
      const results = settled.map((s) => s.value);
      assert.deepEqual(results.map((r) => r.index), results.map((_, i) => 3 + i));
      assert.ok(results.every((r) => r.events[0].type === 'Deposited'));
      await snapshot;
      await assert.rejects(node.submit(deposit(100_000)), isError('CLOSED'));
      const hash = node.stateHash();

      const report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean, JSON.stringify(report.problems));
      assert.equal(report.entries, 3_002);
      assert.equal(report.lastIndex, 3_002);
      // Nothing half-made is left: no temporary file, in the archive or the snapshots.
      for (const sub of ['archive', 'snapshots']) {
        assert.deepEqual((await readdir(join(dir, sub))).filter((n) => n.endsWith('.tmp')), [], sub);
      }
      const reopened = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      try {
        assert.equal(reopened.status().lastIndex, 3_002);
        assert.equal(reopened.stateHash(), hash);
        assert.equal(reopened.state.transfers.size, 3_000);
      } finally {
        await reopened.close();
      }
    });
  });

  // Regression: a second close() returned at once, while the first was still draining the queue.
  it('every close() call resolves only once the node is closed: all queued answered, the archive complete', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT, batchLimit: 16 });
      for (const c of SETUP) await node.submit(c);
      let answered = 0;
      const pending = Array.from({ length: 2_000 }, (_, i) => node.submit(deposit(i + 1)).then(() => answered++));
      const first = node.close();
      await node.close();
      assert.equal(answered, 2_000, 'the second close() waited for the drain');
      const report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean);
      assert.equal(report.entries, 2_002, 'and for the archive to be complete');
      await first;
      await Promise.all(pending);
      await node.close();
      await assert.rejects(node.submit(deposit(1)), isError('CLOSED'));
    });
  });

  it('closing an empty or idle node writes nothing', async () => {
    await withTempDir(async (dir) => {
      const empty = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      await empty.close();
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      assert.equal(node.status().lastIndex, 0);
      for (const c of SETUP) await node.submit(c);
      await node.close();
      const report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean);
      assert.equal(report.entries, 2);
    });
  });
});
