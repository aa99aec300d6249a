/** Snapshots by count: members of a cluster take their first at different points, then keep apart. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { snapshotDue, snapshotPhase } from '../../src/node/snapshot-schedule.ts';

/** The commit indexes in (0, upTo] at which a member with `phase` takes a snapshot, commits coming `step` at a time. */
function taken(everyEntries: number, phase: number, upTo: number, step: number): number[] {
  const at: number[] = [];
  let last = 0;
  for (let index = step; index <= upTo; index += step) {
    if (snapshotDue(index - last, everyEntries, at.length === 0 ? phase : 0)) {
      at.push(index);
      last = index;
    }
  }
  return at;
}

describe('snapshot schedule', () => {
  it('spreads the members of a cluster over the interval, in id order; one member has no phase', () => {
    assert.deepEqual([1, 2, 3].map((id) => snapshotPhase(900, [3, 1, 2], id)), [0, 300, 600]);
    assert.equal(snapshotPhase(900, [1], 1), 0);
  });

  it('the first after the interval and the phase, then one per interval: the members stay apart', () => {
    assert.deepEqual(taken(1_000, 0, 3_500, 1), [1_000, 2_000, 3_000]);
    assert.deepEqual(taken(1_000, 333, 3_500, 1), [1_333, 2_333, 3_333]);
    // Commit indexes come in jumps (a batch commits at once): never less than the interval apart.
    assert.deepEqual(taken(1_000, 500, 5_000, 700), [2_100, 3_500, 4_900]);
    assert.equal(snapshotDue(5_000, 0, 0), false, 'everyEntries 0: never by count');
  });
});
