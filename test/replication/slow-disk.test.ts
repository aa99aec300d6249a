/**
 * The consensus core while every disk of the cluster stalls (one machine's disk held all
 * fdatasyncs for up to 0.74 s under load) and the leader keeps proposing: it keeps its lead,
 * the followers stay followers, entries the followers received are not sent again, and all of
 * it commits once the disks return. Before, a leader took a heartbeat without an
 * acknowledgement as loss and resent everything in flight from the last durable index, every
 * heartbeat, for as long as the stall lasted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Role } from '../../src/replication/raft.ts';
import { ELECTION_TICKS, MEMBERS, Trio } from './trio.ts';

describe('a cluster whose disks all stall under load', () => {
  it('keeps its leader, resends nothing the followers received, and commits everything once the disks return', () => {
    const c = new Trio();
    const leader = c.elect();
    leader.propose(10);
    c.settle();
    assert.equal(leader.commitIndex, leader.log.lastIndex);
    const term = leader.term;

    c.disksStalled = true;
    for (const id of MEMBERS) c.entriesSent.set(id, 0);
    // Three times the longest election timeout, 5 entries proposed every tick.
    const ticks = ELECTION_TICKS[1] * 3;
    const committedBefore = leader.commitIndex;
    for (let t = 0; t < ticks; t++) {
      leader.propose(5);
      c.tick(1);
    }
    assert.equal(leader.role, Role.Leader, 'the leader kept its lead through the stall');
    assert.equal(leader.term, term, 'no election');
    for (const id of [2, 3]) {
      assert.equal(c.node(id).role, Role.Follower);
      assert.equal(c.entriesSent.get(id), ticks * 5, `follower ${id} got each entry once`);
    }
    assert.equal(leader.commitIndex, committedBefore, 'nothing commits while no disk syncs');

    c.disksStalled = false;
    for (const raft of c.nodes.values()) c.persistAll(raft);
    c.settle();
    assert.equal(leader.commitIndex, leader.log.lastIndex, 'everything commits once the disks return');
    // The leader tells the followers as soon as the commit index moves.
    for (const id of [2, 3]) assert.equal(c.node(id).commitIndex, leader.log.lastIndex, `follower ${id} knows it committed`);
  });
});
