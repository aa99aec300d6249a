/**
 * The commit path: nothing is answered or published before it is durable (under fsync
 * `always`, synced; under the others, written), results come back in submission order with
 * consecutive indexes, a rejected command resolves with its Rejected event and an index, the
 * queue is bounded (OVERLOADED at once, no growth), CLOSED after close, and close() drains
 * what was queued and leaves a clean archive.
 *
 * A node alone is a cluster of one: each start-up begins a term with a no-op entry (a fresh
 * node's is index 1), so indexes are taken from the log (status().lastIndex) and the answers,
 * and the archive holds the commands' entries and one no-op per start-up.
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
import { Node, type CommandResult } from '../../src/node/node.ts';
import { commandStream } from '../support/command-stream.ts';
import { SMALL_SEGMENT, assertIncreasing, checkArchiveHolds, prng, withTempDir } from './harness.ts';

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
        // Answered 5 a turn: a window's answers span turns, and new commands run between them.
        const node = await Node.open({ dataDir: dir, fsync, segmentBytes: SMALL_SEGMENT, batchLimit: 37, answerLimit: 5 });
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
        const all: CommandResult[] = [];
        let i = 0;
        try {
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
            all.push(...results);
            i += size;
          }
        } finally {
          await node.close();
        }
        assert.deepEqual(early, [], 'entries published before they were durable');
        // Every command's entry, once, in order; the no-op that opened the term (index 1) has nothing to publish.
        assert.equal(all.length, commands.length);
        assertIncreasing(all.map((r) => r.index), 'answers');
        assert.deepEqual(published, all.map((r) => r.index), 'every entry published once, in order');
        const replay = await checkArchiveHolds(join(dir, 'archive'), all);
        assert.deepEqual(replay.noops, [1], 'the one no-op of the term, first');
      });
    });
  }

  it('a rejected command resolves with one Rejected event and takes an index', async () => {
    await withTempDir(async (dir) => {
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      try {
        const first = node.status().lastIndex + 1;
        const [asset, account, bad, overdraw, good] = await Promise.all([
          ...SETUP.map((c) => node.submit(c)),
          node.submit({ type: 'PlaceOrder', request: 0, account: 1, product: 9, clientOrderId: 0, side: 0, orderType: 1, tif: 1, postOnly: 0,
            stp: 1, price: 100, qty: 1, quoteBudget: 0, stopPrice: 0 }),
          node.submit({ type: 'Withdraw', transfer: 5, account: 1, asset: 1, amount: 1 }),
          node.submit(deposit(6)),
        ]);
        assert.deepEqual([asset, account, bad, overdraw, good].map((r) => r.index), [0, 1, 2, 3, 4].map((k) => first + k));
        for (const r of [bad, overdraw]) {
          assert.equal(r.events.length, 1);
          assert.equal(r.events[0].type, 'Rejected');
        }
        assert.equal(good.events[0].type, 'Deposited');
        assert.equal(node.status().commitIndex, good.index);
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
        // The few a flood gets accepted (a turn freed places meanwhile), to wait for at the end.
        const alsoAccepted: Promise<unknown>[] = [];
        const flood = async (n: number): Promise<number> => {
          let overloaded = 0;
          for (let i = 0; i < n; i++) {
            const queuedBefore = node.status().queued;
            const submitted = node.submit(deposit(10_000 + i)).catch((e: unknown) => { if (isError('OVERLOADED')(e)) overloaded++; });
            if (node.status().queued > queuedBefore) alsoAccepted.push(submitted);
          }
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
        await Promise.all(alsoAccepted);
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
      const setup: CommandResult[] = [];
      for (const c of SETUP) setup.push(await node.submit(c));
      const afterSetup = (setup.at(-1) as CommandResult).index;
      const pending = Array.from({ length: 3_000 }, (_, i) => node.submit(deposit(i + 1)));
      const snapshot = node.snapshot();
      const closing = node.close();
      // Closing: refused at once; the queued ones go on.
      await assert.rejects(node.submit(deposit(99_999)), isError('CLOSED'));
      await closing;
      const settled = await Promise.allSettled(pending);
      assert.ok(settled.every((s) => s.status === 'fulfilled'), 'every queued command was answered');
      const results = settled.map((s) => s.value);
      assert.deepEqual(results.map((r) => r.index), results.map((_, i) => afterSetup + 1 + i));
      assert.ok(results.every((r) => r.events[0].type === 'Deposited'));
      await snapshot;
      await assert.rejects(node.submit(deposit(100_000)), isError('CLOSED'));
      const hash = node.stateHash();
      const lastIndex = (results.at(-1) as CommandResult).index;
      assert.equal(node.status().lastIndex, lastIndex, 'the last entry is the last command');

      const report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean, JSON.stringify(report.problems));
      assert.equal(report.lastIndex, lastIndex);
      assert.equal(report.entries, lastIndex);
      assert.deepEqual(report.entryTypes, { Noop: 1, Events: 3_002 }, 'the commands and the no-op of the term');
      await checkArchiveHolds(join(dir, 'archive'), [...setup, ...results]);
      // Nothing half-made is left: no temporary file, in the archive or the snapshots.
      for (const sub of ['archive', 'snapshots']) {
        assert.deepEqual((await readdir(join(dir, sub))).filter((n) => n.endsWith('.tmp')), [], sub);
      }
      const reopened = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      try {
        assert.equal(reopened.status().lastIndex, lastIndex + 1, 'the archive and the no-op of the new term');
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
      const setup: CommandResult[] = [];
      for (const c of SETUP) setup.push(await node.submit(c));
      const answered: CommandResult[] = [];
      const pending = Array.from({ length: 2_000 }, (_, i) => node.submit(deposit(i + 1)).then((r) => answered.push(r)));
      const first = node.close();
      await node.close();
      assert.equal(answered.length, 2_000, 'the second close() waited for the drain');
      const report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean);
      const lastIndex = (answered.at(-1) as CommandResult).index;
      assert.equal(report.lastIndex, lastIndex, 'and for the archive to be complete');
      assert.deepEqual(report.entryTypes, { Noop: 1, Events: 2_002 }, 'and for the archive to be complete');
      await checkArchiveHolds(join(dir, 'archive'), [...setup, ...answered]);
      await first;
      await Promise.all(pending);
      await node.close();
      await assert.rejects(node.submit(deposit(1)), isError('CLOSED'));
    });
  });

  // A start-up writes the no-op of its term; closing writes nothing more.
  it('closing an empty or idle node writes nothing', async () => {
    await withTempDir(async (dir) => {
      const empty = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      await empty.close();
      assert.equal(empty.status().lastIndex, 1, 'a fresh node: its no-op only');
      let report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean);
      assert.equal(report.lastIndex, 1);
      assert.deepEqual(report.entryTypes, { Noop: 1 }, 'closing an empty node wrote nothing');
      const node = await Node.open({ dataDir: dir, segmentBytes: SMALL_SEGMENT });
      const results: CommandResult[] = [];
      try {
        assert.equal(node.status().lastIndex, 2, 'nothing but the no-op of the new term');
        for (const c of SETUP) results.push(await node.submit(c));
        assert.deepEqual(results.map((r) => r.index), [3, 4]);
      } finally {
        await node.close();
      }
      report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean);
      assert.equal(report.lastIndex, 4, 'closing an idle node wrote nothing');
      assert.deepEqual(report.entryTypes, { Noop: 2, Events: 2 });
      const replay = await checkArchiveHolds(join(dir, 'archive'), results);
      assert.deepEqual(replay.noops, [1, 2]);
    });
  });
});
