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
import { type Message, MessageType } from '../../src/replication/messages.ts';
import { Raft, type RaftConfig, Role } from '../../src/replication/raft.ts';
import { TermLog } from '../../src/replication/term-log.ts';

const MEMBERS = [1, 2, 3];
const ELECTION_TICKS: [number, number] = [20, 40];
const HEARTBEAT_TICKS = 5;

class Trio {
  readonly nodes = new Map<number, Raft>();
  /** Entries sent in Appends, by receiver. */
  readonly entriesSent = new Map<number, number>();
  disksStalled = false;

  constructor() {
    for (const id of MEMBERS) {
      const config: RaftConfig = {
        id, members: MEMBERS, electionTicks: ELECTION_TICKS, heartbeatTicks: HEARTBEAT_TICKS, commitPolicy: 'quorum',
        maxInflightEntries: 1_000_000, maxAppendEntries: 64, seed: id,
      };
      this.nodes.set(id, new Raft(config, { term: 0, votedFor: 0 }, TermLog.from([], 0), 0));
      this.entriesSent.set(id, 0);
    }
  }

  node(id: number): Raft {
    return this.nodes.get(id) as Raft;
  }

  /** Carries out every node's Ready until none has anything to do (bounded: a quiet cluster settles). */
  settle(): void {
    for (let round = 0; round < 1_000; round++) {
      const messages: Message[] = [];
      for (const raft of this.nodes.values()) {
        if (!this.disksStalled) this.persistAll(raft);
        messages.push(...raft.ready().messages);
      }
      if (messages.length === 0) return;
      for (const m of messages) this.deliver(m);
    }
    assert.fail('the cluster did not settle');
  }

  persistAll(raft: Raft): void {
    const last = raft.log.lastIndex;
    if (last > raft.persistedIndex) raft.persisted(last, raft.log.termAt(last));
  }

  private deliver(m: Message): void {
    if (m.type === MessageType.Append) {
      this.entriesSent.set(m.to, (this.entriesSent.get(m.to) ?? 0) + m.count);
      // The receiving side reads the entries' terms from their records: here, from the sender's log.
      const sender = this.node(m.from);
      m.terms = Array.from({ length: m.count }, (_, k) => sender.log.termAt(m.prevIndex + 1 + k));
    }
    this.node(m.to).step(m);
  }
}

describe('a cluster whose disks all stall under load', () => {
  it('keeps its leader, resends nothing the followers received, and commits everything once the disks return', () => {
    const c = new Trio();
    const leader = c.node(1);
    leader.startElection();
    c.settle();
    assert.equal(leader.role, Role.Leader);
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
      for (const raft of c.nodes.values()) raft.tick();
      c.settle();
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
    // The followers learn the commit index with the next heartbeat.
    for (let t = 0; t < HEARTBEAT_TICKS; t++) {
      for (const raft of c.nodes.values()) raft.tick();
      c.settle();
    }
    for (const id of [2, 3]) assert.equal(c.node(id).commitIndex, leader.log.lastIndex, `follower ${id} knows it committed`);
  });
});
