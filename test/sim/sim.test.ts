/**
 * The deterministic simulator in CI: 500+ random seeds (3 and 5 nodes), both commit policies,
 * the scripted Figure 8 history — and proof that the simulator catches planted bugs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Raft } from '../../src/replication/raft.ts';
import { Cluster, type SimResult } from './cluster.ts';
import { figure8 } from './scenarios.ts';

function failures(results: SimResult[]): string[] {
  return results
    .filter((r) => r.violation !== undefined)
    .map((r) => `seed ${r.seed}: ${r.violation} — replay: npm run sim -- --seed ${r.seed}`);
}

/** A core with the classic bug: entries of earlier terms count toward commit. */
class OldTermCommit extends Raft {
  protected override committable(): boolean {
    return true;
  }
}

describe('deterministic simulation', () => {
  it('500 random seeds keep every invariant (3 and 5 nodes, quorum commit)', () => {
    const results: SimResult[] = [];
    for (let seed = 1; seed <= 500; seed++) results.push(new Cluster({ seed, nodes: seed % 2 === 0 ? 5 : 3 }).run());
    assert.deepEqual(failures(results), []);
    const committed = results.reduce((n, r) => n + r.stats.committed, 0);
    const crashes = results.reduce((n, r) => n + r.stats.crashes, 0);
    assert.ok(committed > 500 * 50 && crashes > 500, `the runs must do real work: ${committed} committed, ${crashes} crashes`);
  });

  it('60 seeds with the `all` commit policy', () => {
    const results: SimResult[] = [];
    for (let seed = 10_001; seed <= 10_060; seed++) {
      results.push(new Cluster({ seed, nodes: seed % 2 === 0 ? 5 : 3, commitPolicy: 'all' }).run());
    }
    assert.deepEqual(failures(results), []);
  });

  it('the scripted Figure 8 history keeps committed entries (every seed reaches its end)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = new Cluster({ seed, nodes: 5, maxAppendEntries: 1, script: figure8() }).run();
      assert.equal(r.violation, undefined, `seed ${seed}: ${r.violation}`);
      assert.equal(r.unreached, undefined, `seed ${seed}: the schedule did not happen: ${r.unreached}`);
    }
  });
});

describe('the simulator catches planted bugs', () => {
  it('commit counted from an old term: Figure 8 loses a committed entry', () => {
    let caught = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = new Cluster({ seed, nodes: 5, maxAppendEntries: 1, script: figure8(), bugs: { raftClass: OldTermCommit } }).run();
      if (r.violation !== undefined && /committed entry \d+ differs/.test(r.violation)) caught++;
    }
    assert.ok(caught >= 10, `caught in only ${caught} of 20 seeds`);
  });

  it('a vote not persisted: random faults find two leaders or diverging state', () => {
    let caught = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const r = new Cluster({ seed, nodes: seed % 2 === 0 ? 5 : 3, bugs: { forgetVotes: true } }).run();
      if (r.violation !== undefined) caught++;
    }
    assert.ok(caught >= 10, `caught in only ${caught} of 100 seeds`);
  });
});
