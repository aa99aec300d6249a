/** Three consensus cores wired to each other in memory, for deterministic tests of the core alone. */
import assert from 'node:assert/strict';
import { type Message, MessageType } from '../../src/replication/messages.ts';
import { Raft, type RaftConfig, Role } from '../../src/replication/raft.ts';
import { TermLog } from '../../src/replication/term-log.ts';

export const MEMBERS = [1, 2, 3];
export const ELECTION_TICKS: [number, number] = [20, 40];
export const HEARTBEAT_TICKS = 5;

export class Trio {
  readonly nodes = new Map<number, Raft>();
  /** Entries sent in Appends, by receiver. */
  readonly entriesSent = new Map<number, number>();
  /** Messages delivered, by type. */
  readonly delivered = new Map<number, number>();
  disksStalled = false;

  constructor(private readonly window: Partial<Pick<RaftConfig, 'maxInflightEntries' | 'maxAppendEntries'>> = {}) {
    for (const id of MEMBERS) {
      this.nodes.set(id, new Raft(this.config(id), { term: 0, votedFor: 0 }, TermLog.from([], 0), 0));
      this.entriesSent.set(id, 0);
    }
  }

  private config(id: number): RaftConfig {
    return {
      id, members: MEMBERS, electionTicks: ELECTION_TICKS, heartbeatTicks: HEARTBEAT_TICKS, commitPolicy: 'quorum',
      maxInflightEntries: 1_000_000, maxAppendEntries: 64, seed: id, ...this.window,
    };
  }

  /** Node 1 starts an election and wins it; returns it. */
  elect(): Raft {
    const leader = this.node(1);
    leader.startElection();
    this.settle();
    assert.equal(leader.role, Role.Leader);
    return leader;
  }

  /** Node `id` again from what it had on disk (all of its log, durable): its memory is lost. */
  restart(id: number): Raft {
    const old = this.node(id);
    this.persistAll(old);
    const raft = new Raft(this.config(id), { term: old.term, votedFor: old.votedFor },
      TermLog.from(old.log.runs(), old.log.lastIndex), old.log.lastIndex);
    this.nodes.set(id, raft);
    return raft;
  }

  /** Ticks every node `ticks` times, settling after each. */
  tick(ticks: number): void {
    for (let t = 0; t < ticks; t++) {
      for (const raft of this.nodes.values()) raft.tick();
      this.settle();
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
    this.delivered.set(m.type, (this.delivered.get(m.type) ?? 0) + 1);
    if (m.type === MessageType.Append) {
      this.entriesSent.set(m.to, (this.entriesSent.get(m.to) ?? 0) + m.count);
      // The receiving side reads the entries' terms from their records: here, from the sender's log.
      const sender = this.node(m.from);
      m.terms = Array.from({ length: m.count }, (_, k) => sender.log.termAt(m.prevIndex + 1 + k));
    }
    this.node(m.to).step(m);
  }
}
