/**
 * How a leader keeps its followers up to date: they learn of a commit when it happens, and a
 * follower that restarted is sent again what it had received but can no longer vouch for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType } from '../../src/replication/messages.ts';
import { HEARTBEAT_TICKS, Trio } from './trio.ts';

describe('followers and the commit index', () => {
  it('learn a new commit index at once, with no heartbeat and no further entries', () => {
    const c = new Trio();
    c.elect();
    for (let round = 0; round < 3; round++) {
      c.node(1).propose(1);
      c.settle();
      const commit = c.node(1).commitIndex;
      assert.equal(commit, c.node(1).log.lastIndex);
      for (const id of [2, 3]) assert.equal(c.node(id).commitIndex, commit, `follower ${id}, round ${round}`);
    }
  });

  it('are told it in a notice they do not answer: one answer per Append of entries', () => {
    const c = new Trio();
    c.elect();
    c.delivered.clear();
    c.node(1).propose(1);
    c.settle();
    // Each follower: the entry, its acknowledgement, then the notice of the commit it made.
    assert.equal(c.delivered.get(MessageType.Append), 2);
    assert.equal(c.delivered.get(MessageType.AppendResponse), 2, 'no answer to a notice');
    assert.equal(c.delivered.get(MessageType.Commit), 2);
    for (const id of [2, 3]) assert.equal(c.node(id).commitIndex, c.node(1).commitIndex);
  });
});

describe('a follower that restarts with entries it had not confirmed durable', () => {
  // Found by the simulator (seed 100): with its in-flight window full, the leader sent the
  // restarted follower nothing but heartbeats, and it stayed behind for good.
  it('is sent them again and catches up, with a window of one entry', () => {
    const c = new Trio({ maxAppendEntries: 1, maxInflightEntries: 1 });
    c.elect();
    c.node(1).propose(3);
    c.settle();
    const before = c.node(1).commitIndex;

    // Entry `before + 1` reaches the followers, who cannot sync it; a heartbeat tells the
    // leader they received it. Then follower 3 restarts (its disk did keep the entry).
    c.disksStalled = true;
    c.node(1).propose(1);
    c.settle();
    c.tick(HEARTBEAT_TICKS);
    assert.equal(c.node(3).log.lastIndex, before + 1);
    c.restart(3);
    c.disksStalled = false;
    c.persistAll(c.node(1));
    c.persistAll(c.node(2));
    c.settle();
    assert.equal(c.node(1).commitIndex, before + 1, 'committed by the leader and follower 2');

    c.node(1).propose(4);
    c.settle();
    // One heartbeat sees the follower vouch for less, the next that nothing more came, the third resends.
    c.tick(HEARTBEAT_TICKS * 4);
    const last = c.node(1).log.lastIndex;
    assert.equal(c.node(1).commitIndex, last);
    assert.equal(c.node(3).log.lastIndex, last, 'follower 3 has every entry');
    assert.equal(c.node(3).commitIndex, last, 'and knows they committed');
  });
});

describe('a follower with two Appends waiting for its disk', () => {
  // Found by a trace of the gateway bench: the first durability report settled the answer owed,
  // the second sent none, and the leader heard of the second Append's entries only with the
  // answer to the next Append (0.6 ms later at the median, in every round).
  it('answers each report of durability: the leader commits both with no further Append', () => {
    const c = new Trio();
    c.elect();
    c.disksStalled = true;
    c.node(1).propose(1);
    c.settle();
    c.node(1).propose(1);
    c.settle();
    const last = c.node(1).log.lastIndex;
    c.persistAll(c.node(1));
    for (const index of [last - 1, last]) {
      for (const id of [2, 3]) c.node(id).persisted(index, c.node(id).log.termAt(index));
      c.settle();
      assert.equal(c.node(1).commitIndex, index, `committed up to ${index}`);
    }
    assert.equal(c.delivered.get(MessageType.AppendResponse), 2 + 4, 'the election\'s two answers, then one per report');
  });
});
