/**
 * The leader's command ring against a model: after any sequence of submissions, runs, commits
 * and rejections (wrapping round and growing), each callback is called once, in submission order
 * for commits, with its own command and entry; the counts match; and a finished command is no
 * longer held by the ring.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { Command } from '../../src/application/commands.ts';
import { CommandQueue } from '../../src/node/command-queue.ts';
import { CommittedEntry } from '../../src/node/subscribers.ts';

type Op = { kind: 'push'; n: number } | { kind: 'run'; n: number } | { kind: 'commit'; n: number } | { kind: 'rejectQueued' } | { kind: 'rejectWaiting' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), n: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('run' as const), n: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('commit' as const), n: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rejectQueued' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rejectWaiting' as const }) },
);

const commandOf = (id: number): Command => ({ type: 'Deposit', request: id, account: 1, asset: 1, amount: id }) as unknown as Command;

it('calls each command back once, commits in order with its own entry, and holds no finished command', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 3000 }), (ops, limit) => {
    const queue = new CommandQueue(limit);
    let nextId = 1;
    let nextIndex = 1;
    const queued: number[] = [];
    const waiting: { id: number; index: number }[] = [];
    const calls: string[] = [];
    const expected: string[] = [];
    const doneFor = (id: number) => (error: Error | undefined, entry: unknown, command: Command): void => {
      assert.equal((command as unknown as { request: number }).request, id);
      calls.push(error === undefined ? `${id}@${(entry as CommittedEntry).index}` : `${id}:${error.message}`);
    };
    for (const o of ops) {
      if (o.kind === 'push') {
        for (let k = 0; k < o.n; k++) {
          const id = nextId++;
          const accepted = queue.push(commandOf(id), doneFor(id), 0);
          assert.equal(accepted, queued.length < limit);
          if (accepted) queued.push(id);
        }
      } else if (o.kind === 'run') {
        for (let k = 0; k < o.n && queued.length > 0; k++) {
          const id = queued.shift() as number;
          assert.equal((queue.peekCommand() as unknown as { request: number }).request, id);
          const index = nextIndex++;
          queue.ran(new CommittedEntry(index, 1, 0, new Float64Array(0), 0, 0));
          waiting.push({ id, index });
        }
      } else if (o.kind === 'commit') {
        for (let k = 0; k < o.n && waiting.length > 0; k++) {
          const w = waiting.shift() as { id: number; index: number };
          const entry = queue.waitingEntry(0);
          assert.equal(entry.index, w.index);
          queue.finishOldest(undefined, entry);
          expected.push(`${w.id}@${w.index}`);
        }
      } else if (o.kind === 'rejectQueued') {
        queue.rejectAll(new Error('queued'));
        expected.push(...queued.map((id) => `${id}:queued`));
        queued.length = 0;
      } else {
        queue.rejectWaiting(new Error('waiting'));
        expected.push(...waiting.map((w) => `${w.id}:waiting`));
        waiting.length = 0;
      }
      assert.equal(queue.length, queued.length);
      assert.equal(queue.waiting, waiting.length);
      waiting.forEach((w, k) => assert.equal(queue.waitingEntry(k).index, w.index));
    }
    assert.deepEqual(calls, expected);
  }), { numRuns: 200 });
});

it('lets a committed command and its entry be collected while later ones wait', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const queue = new CommandQueue(10);
  const refs = ((): { command: WeakRef<Command>; entry: WeakRef<CommittedEntry> } => {
    const command = commandOf(1);
    queue.push(command, () => undefined, 0);
    queue.push(commandOf(2), () => undefined, 0);
    const entry = new CommittedEntry(1, 1, 0, new Float64Array(0), 0, 0);
    queue.ran(entry);
    queue.ran(new CommittedEntry(2, 1, 0, new Float64Array(0), 0, 0));
    queue.finishOldest(undefined, queue.waitingEntry(0));
    return { command: new WeakRef(command), entry: new WeakRef(entry) };
  })();
  // WeakRefs are kept alive until the end of the job that made them.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  assert.equal(refs.command.deref(), undefined);
  assert.equal(refs.entry.deref(), undefined);
  assert.equal(queue.waiting, 1);
  assert.equal(queue.waitingEntry(0).index, 2);
});
