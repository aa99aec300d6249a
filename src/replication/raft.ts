/**
 * The consensus core: a pure state machine per node, in the shape of etcd-io/raft. It reads
 * no clock, socket or file: it is driven by `tick`, `step` (a message), `propose` (new entries
 * on the leader) and `persisted` (the local log is durable up to an index), and `ready()`
 * hands back what to do: a term/vote to persist, a truncation and entries to store, messages
 * to send, and the new commit index.
 *
 * The driver's contract for each Ready, in this order: persist `hardState` (fsync) before
 * sending any message; apply `truncateAfter`, then store `accept` (the entries of the Append
 * just stepped) and `noop`; send `messages`; apply entries up to `commitIndex`. Append
 * responses for stored entries are produced later, by `persisted`, so they always carry a
 * durable index.
 *
 * Raft rules kept here: terms and votes persisted before any reply; randomized election
 * timeouts; Pre-Vote; Check-Quorum and a leader lease (a follower that heard from a leader
 * within the minimum election timeout ignores vote requests); votes only for logs at least as
 * up to date; a no-op entry at the start of each term; commit = the highest index durable on
 * a quorum (or on all, by policy), counted only for an entry of the current term; log matching
 * by prevIndex/prevTerm; truncation only on a real conflict and never below the commit index.
 * As in etcd-io/raft, a leader whose commit index moves tells every follower at once (with the
 * next entries, else a Commit notice, which unlike etcd's empty append is not answered), so
 * followers apply and serve reads in step with it.
 */
import { assert, fail } from '../application/assert.ts';
import { type Append, type AppendResponse, type Commit, type Message, MessageType, type VoteRequest, type VoteResponse } from './messages.ts';
import { Progress } from './progress.ts';
import { Rng } from './rng.ts';
import { TermLog } from './term-log.ts';

export const Role = { Follower: 1, PreCandidate: 2, Candidate: 3, Leader: 4 } as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface RaftConfig {
  id: number;
  /** Every member's id, this node's included. */
  members: readonly number[];
  /** Election timeout range, in ticks; each timeout is drawn at random within it. */
  electionTicks: readonly [min: number, max: number];
  heartbeatTicks: number;
  /** `quorum`: a majority must store an entry for it to commit; `all`: every member. */
  commitPolicy: 'quorum' | 'all';
  /** Entries in flight (sent, not acknowledged) per follower, and per Append. */
  maxInflightEntries: number;
  maxAppendEntries: number;
  /** Seed of the election-timeout randomness (the core has no other source of it). */
  seed: number;
}

export interface HardState {
  term: number;
  votedFor: number;
}

export interface Ready {
  /** Persist (and fsync) before sending any message of this Ready. */
  hardState?: HardState;
  /** Drop local entries after this index before storing anything. */
  truncateAfter?: number;
  /** Store these entries of the Append just stepped: its entries [offset, offset + count). */
  accept?: { firstIndex: number; offset: number; count: number };
  /** As new leader, write a no-op entry at this index in the current term. */
  noop?: number;
  messages: Message[];
  /** The commit index, when it moved. */
  commitIndex?: number;
}

export class Raft {
  readonly id: number;
  role: Role = Role.Follower;
  term: number;
  votedFor: number;
  leaderId = 0;
  commitIndex: number;
  /** The local log is durable up to here. */
  persistedIndex: number;
  readonly log: TermLog;

  private readonly config: RaftConfig;
  private readonly peers: number[];
  private readonly quorum: number;
  private readonly rng: Rng;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private electionTimeout: number;
  private votes = new Map<number, boolean>();
  private readonly progress = new Map<number, Progress>();
  /** Follower: the highest index known to match the current leader's log. */
  private verified = 0;
  /**
   * Follower: the last index received from the current leader and not yet acknowledged as
   * durable (0: none). Each report of durability answers while one is owed — a report for an
   * earlier Append does not settle a later one, whose entries the leader would otherwise hear
   * of only with the next Append's answer.
   */
  private ackOwedTo = 0;

  private out: Message[] = [];
  private hardStateDirty = false;
  private pendingTruncate: number | undefined;
  private pendingAccept: Ready['accept'];
  private pendingNoop: number | undefined;
  private commitMoved = false;

  /**
   * `commitIndex`: an index known committed (from a snapshot or the persisted metadata); what is
   * committed is otherwise learned again from the leader.
   */
  constructor(config: RaftConfig, hard: HardState, log: TermLog, persistedIndex: number, commitIndex = 0) {
    assert(config.members.includes(config.id), 'a node must be one of the members');
    assert(config.electionTicks[0] > config.heartbeatTicks && config.electionTicks[1] >= config.electionTicks[0], 'bad timeouts');
    this.config = config;
    this.id = config.id;
    this.peers = config.members.filter((m) => m !== config.id);
    this.quorum = config.commitPolicy === 'all' ? config.members.length : Math.floor(config.members.length / 2) + 1;
    this.term = hard.term;
    this.votedFor = hard.votedFor;
    this.log = log;
    this.persistedIndex = persistedIndex;
    assert(commitIndex <= log.lastIndex, 'a known commit beyond the log');
    this.commitIndex = commitIndex;
    this.rng = new Rng(config.seed ^ (config.id * 0x9e3779b1));
    this.electionTimeout = this.randomTimeout();
  }

  /** Votes needed to win an election: always a majority (a leader must be unique). */
  private get electionQuorum(): number {
    return Math.floor(this.config.members.length / 2) + 1;
  }

  private randomTimeout(): number {
    const [min, max] = this.config.electionTicks;
    return min + this.rng.below(max - min + 1);
  }

  // ---- inputs ---------------------------------------------------------------------------

  tick(): void {
    if (this.role === Role.Leader) {
      this.tickLeader();
      return;
    }
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) this.campaign(true);
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
        // The leader lease: a node that heard from its leader lately ignores elections.
        if (this.inLease()) return;
      }
      const preVoteTraffic = m.type === MessageType.PreVote || (m.type === MessageType.PreVoteResponse && m.granted);
      if (!preVoteTraffic) this.becomeFollower(m.term, fromLeader(m) ? m.from : 0);
    } else if (m.term < this.term) {
      // Tell a stale leader or pre-candidate the current term; drop anything else.
      if (fromLeader(m)) this.send({ type: MessageType.AppendResponse, term: this.term, from: this.id, to: m.from, success: false, index: this.log.lastIndex, received: 0 });
      if (m.type === MessageType.PreVote) this.send({ type: MessageType.PreVoteResponse, term: this.term, from: this.id, to: m.from, granted: false });
      return;
    }
    switch (m.type) {
      case MessageType.PreVote:
      case MessageType.Vote:
        return this.onVoteRequest(m);
      case MessageType.PreVoteResponse:
      case MessageType.VoteResponse:
        return this.onVoteResponse(m);
      case MessageType.Append:
        return this.onAppend(m);
      case MessageType.Commit:
        return this.onCommit(m);
      case MessageType.AppendResponse:
        return this.onAppendResponse(m);
    }
  }

  /** On the leader: `count` new entries at the end of the log, in the current term. Returns the first index. */
  propose(count: number): number {
    assert(this.role === Role.Leader, 'only the leader proposes');
    const first = this.log.lastIndex + 1;
    this.log.append(this.term, count);
    this.broadcastAppends();
    return first;
  }

  /** The local log is durable up to `index` (whose entry has term `term`). */
  persisted(index: number, term: number): void {
    if (index > this.log.lastIndex || this.log.termAt(index) !== term || index <= this.persistedIndex) return;
    this.persistedIndex = index;
    if (this.role === Role.Leader) {
      this.maybeCommit();
    } else if (this.ackOwedTo > 0 && this.leaderId !== 0) {
      if (this.durableIndex >= this.ackOwedTo) this.ackOwedTo = 0;
      this.acknowledge(this.leaderId);
    }
  }

  /** Takes everything the driver must do now (see the contract above). */
  ready(): Ready {
    const r: Ready = { messages: this.out };
    if (this.hardStateDirty) r.hardState = { term: this.term, votedFor: this.votedFor };
    if (this.pendingTruncate !== undefined) r.truncateAfter = this.pendingTruncate;
    if (this.pendingAccept !== undefined) r.accept = this.pendingAccept;
    if (this.pendingNoop !== undefined) r.noop = this.pendingNoop;
    if (this.commitMoved) r.commitIndex = this.commitIndex;
    this.out = [];
    this.hardStateDirty = false;
    this.pendingTruncate = undefined;
    this.pendingAccept = undefined;
    this.pendingNoop = undefined;
    this.commitMoved = false;
    return r;
  }

  /** Per follower (on a leader): what it has durably stored, for status and lag. */
  followers(): { id: number; match: number; next: number; active: boolean }[] {
    return this.peers.map((id) => {
      const p = this.progress.get(id);
      return { id, match: p?.match ?? 0, next: p?.next ?? 0, active: p?.recentActive ?? false };
    });
  }

  // ---- elections ------------------------------------------------------------------------

  /** Campaigns now rather than at the next timeout (a cluster of one, or an operator's request). */
  startElection(): void {
    this.campaign(true);
  }

  /** True while this follower has heard from a leader within the minimum election timeout. */
  private inLease(): boolean {
    return this.leaderId !== 0 && this.electionElapsed < this.config.electionTicks[0];
  }

  private campaign(pre: boolean): void {
    if (this.role === Role.Leader) return;
    this.electionElapsed = 0;
    this.electionTimeout = this.randomTimeout();
    this.votes = new Map([[this.id, true]]);
    if (pre) {
      this.role = Role.PreCandidate;
      this.leaderId = 0;
    } else {
      this.role = Role.Candidate;
      this.term++;
      this.votedFor = this.id;
      this.leaderId = 0;
      this.hardStateDirty = true;
    }
    if (this.votes.size >= this.electionQuorum) {
      if (pre) this.campaign(false);
      else this.becomeLeader();
      return;
    }
    const type = pre ? MessageType.PreVote : MessageType.Vote;
    const term = pre ? this.term + 1 : this.term;
    for (const to of this.peers) {
      this.send({ type, term, from: this.id, to, lastIndex: this.log.lastIndex, lastTerm: this.log.lastTerm });
    }
  }

  private onVoteRequest(m: VoteRequest): void {
    const pre = m.type === MessageType.PreVote;
    const canVote = this.votedFor === m.from || (this.votedFor === 0 && this.leaderId === 0) || (pre && m.term > this.term);
    const upToDate = m.lastTerm > this.log.lastTerm || (m.lastTerm === this.log.lastTerm && m.lastIndex >= this.log.lastIndex);
    const granted = canVote && upToDate;
    if (granted && !pre) {
      this.electionElapsed = 0;
      this.votedFor = m.from;
      this.hardStateDirty = true;
    }
    const type = pre ? MessageType.PreVoteResponse : MessageType.VoteResponse;
    // A granted pre-vote answers in the term the pre-candidate would campaign in.
    this.send({ type, term: granted && pre ? m.term : this.term, from: this.id, to: m.from, granted });
  }

  private onVoteResponse(m: VoteResponse): void {
    const pre = m.type === MessageType.PreVoteResponse;
    if ((pre && this.role !== Role.PreCandidate) || (!pre && this.role !== Role.Candidate)) return;
    this.votes.set(m.from, m.granted);
    let granted = 0;
    let rejected = 0;
    for (const v of this.votes.values()) {
      if (v) granted++;
      else rejected++;
    }
    if (granted >= this.electionQuorum) {
      if (pre) this.campaign(false);
      else this.becomeLeader();
    } else if (rejected > this.config.members.length - this.electionQuorum) {
      this.becomeFollower(this.term, 0);
    }
  }

  private becomeFollower(term: number, leaderId: number): void {
    if (term !== this.term) {
      this.term = term;
      this.votedFor = 0;
      this.hardStateDirty = true;
      this.verified = 0;
    }
    if (leaderId !== this.leaderId) this.verified = 0;
    this.role = Role.Follower;
    this.leaderId = leaderId;
    this.electionElapsed = 0;
    this.electionTimeout = this.randomTimeout();
    this.ackOwedTo = 0;
    this.progress.clear();
  }

  private becomeLeader(): void {
    this.role = Role.Leader;
    this.leaderId = this.id;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.progress.clear();
    for (const id of this.peers) this.progress.set(id, new Progress(this.log.lastIndex + 1));
    // A no-op of the new term: entries of earlier terms commit once it does.
    this.pendingNoop = this.log.lastIndex + 1;
    this.log.append(this.term, 1);
    this.broadcastAppends();
  }

  // ---- replication ----------------------------------------------------------------------

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks[0]) {
      this.electionElapsed = 0;
      if (!this.checkQuorum()) {
        this.becomeFollower(this.term, 0);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      for (const [id, p] of this.progress) {
        // A probe that got no answer is sent again. Entries in flight that the follower has not
        // received for a whole heartbeat were lost (a dropped connection, a full queue): send
        // them again. Entries received and not yet durable are only slow: they are not resent.
        if (p.probing) p.paused = false;
        if (p.sent > p.received && p.received === p.receivedAtHeartbeat) p.sent = p.received;
        p.receivedAtHeartbeat = p.received;
        this.sendAppend(id, p, true);
      }
    }
  }

  /** Check-Quorum: has a majority been heard from in the last election timeout? */
  private checkQuorum(): boolean {
    let active = 1;
    for (const p of this.progress.values()) {
      if (p.recentActive) active++;
      p.recentActive = false;
    }
    return active >= this.electionQuorum;
  }

  private broadcastAppends(): void {
    for (const [id, p] of this.progress) this.sendAppend(id, p, false);
  }

  /**
   * Sends what the follower lacks, within its in-flight window: the next batches (many in
   * flight when replicating, one at a time when probing), and on a heartbeat an empty Append.
   * The follower answers an empty one at once, also while its disk holds back the answers to
   * entries: the leader hears from it (check-quorum) and learns what it received. A
   * `commitNotice` sends a Commit if the follower may apply further than it was told (entries
   * just sent carry the commit: they leave nothing to tell).
   */
  private sendAppend(to: number, p: Progress, heartbeat: boolean, commitNotice = false): void {
    const last = this.log.lastIndex;
    // Bounded: each pass sends at least one entry, and at most last - p.sent remain.
    while (!p.paused && p.sent < last && p.sent - p.match < this.config.maxInflightEntries) {
      const count = Math.min(this.config.maxAppendEntries, last - p.sent, this.config.maxInflightEntries - (p.sent - p.match));
      this.send({ type: MessageType.Append, term: this.term, from: this.id, to, prevIndex: p.sent,
        prevTerm: this.log.termAt(p.sent), commit: this.commitIndex, count });
      p.sent += count;
      p.commitSent = Math.max(p.commitSent, Math.min(this.commitIndex, p.sent));
      if (p.probing) p.paused = true;
    }
    const commit = Math.min(this.commitIndex, p.match);
    if (!heartbeat && !(commitNotice && commit > p.commitSent)) return;
    // prevIndex = what is known to match: always accepted, and the commit it carries is safe.
    const head = { term: this.term, from: this.id, to, prevIndex: p.match, prevTerm: this.log.termAt(p.match), commit };
    this.send(heartbeat ? { type: MessageType.Append, ...head, count: 0 } : { type: MessageType.Commit, ...head });
    p.commitSent = Math.max(p.commitSent, commit);
  }

  /** A message from the leader of this term: follow it, and wait a whole timeout again. */
  private heardFromLeader(from: number): void {
    if (this.role !== Role.Follower) this.becomeFollower(this.term, from);
    if (this.leaderId !== from) {
      this.leaderId = from;
      this.verified = 0;
    }
    this.electionElapsed = 0;
  }

  /** The leader's commit index, of which entries up to `matched` are known to match here. */
  private learnCommit(leaderCommit: number, matched: number): void {
    this.verified = Math.max(this.verified, matched);
    const commit = Math.min(leaderCommit, matched);
    if (commit > this.commitIndex) {
      this.commitIndex = commit;
      this.commitMoved = true;
    }
  }

  private onCommit(m: Commit): void {
    this.heardFromLeader(m.from);
    // Checked as an Append's is: the commit holds only for a log that matches at prevIndex.
    if (m.prevIndex <= this.log.lastIndex && this.log.termAt(m.prevIndex) === m.prevTerm) this.learnCommit(m.commit, m.prevIndex);
  }

  private onAppend(m: Append): void {
    this.heardFromLeader(m.from);
    const terms = m.terms ?? [];
    assert(terms.length === m.count, 'an Append must carry its entries\' terms');
    if (m.prevIndex > this.log.lastIndex) return this.rejectAppend(m.from, this.log.lastIndex);
    if (this.log.termAt(m.prevIndex) !== m.prevTerm) {
      assert(m.prevIndex > this.commitIndex, 'a committed entry does not match the leader');
      // Skip the whole conflicting term: the leader retries below its first index.
      return this.rejectAppend(m.from, Math.max(this.commitIndex, this.log.runStart(m.prevIndex) - 1));
    }
    const offset = this.firstNew(m, terms);
    if (offset < m.count) {
      const firstIndex = m.prevIndex + 1 + offset;
      if (firstIndex <= this.log.lastIndex) {
        if (firstIndex - 1 < this.commitIndex) fail(`conflict at ${firstIndex}, at or below the commit index ${this.commitIndex}`);
        this.log.truncateAfter(firstIndex - 1);
        this.persistedIndex = Math.min(this.persistedIndex, firstIndex - 1);
        this.pendingTruncate = firstIndex - 1;
      }
      for (let k = offset; k < m.count; k++) this.log.append(terms[k], 1);
      this.pendingAccept = { firstIndex, offset, count: m.count - offset };
    }
    const matched = m.prevIndex + m.count;
    this.learnCommit(m.commit, matched);
    // Nothing new stored (a heartbeat, a repeated append) or already durable: answer now with
    // what is durable — the leader learns this follower is alive even while a write is slow.
    // Newly stored entries are acknowledged when `persisted` says they are durable.
    if (offset === m.count || this.persistedIndex >= matched) {
      this.acknowledge(m.from);
    }
    if (this.persistedIndex < matched) this.ackOwedTo = Math.max(this.ackOwedTo, matched);
  }

  /** Follower: what is durable here of the leader's log — stored, synced, and known to match it. */
  private get durableIndex(): number {
    return Math.min(this.persistedIndex, this.verified);
  }

  /** Follower: tells the leader what it holds durable and what it has received. */
  private acknowledge(to: number): void {
    this.send({ type: MessageType.AppendResponse, term: this.term, from: this.id, to, success: true, index: this.durableIndex, received: this.verified });
  }

  private rejectAppend(to: number, hint: number): void {
    this.send({ type: MessageType.AppendResponse, term: this.term, from: this.id, to, success: false, index: hint, received: 0 });
  }

  /** Offset of the first entry of `m` that the log lacks or holds in another term. */
  private firstNew(m: Append, terms: readonly number[]): number {
    for (let k = 0; k < m.count; k++) {
      const index = m.prevIndex + 1 + k;
      if (index > this.log.lastIndex || this.log.termAt(index) !== terms[k]) return k;
    }
    return m.count;
  }

  private onAppendResponse(m: AppendResponse): void {
    if (this.role !== Role.Leader) return;
    const p = this.progress.get(m.from);
    if (p === undefined) return;
    p.recentActive = true;
    if (m.success) {
      if (m.index > p.match) p.match = m.index;
      if (m.received > p.received) p.received = m.received;
      // Less than it said before: it restarted and forgot what it had checked against this
      // log. Entries past that count as not received, so the heartbeat sends them again.
      else if (m.received < p.received) p.received = Math.max(p.match, m.received);
      // A follower's durable matching index is within what it received.
      assert(p.received >= p.match, 'a follower received what it holds durable');
      if (p.sent < p.received) p.sent = p.received;
      p.next = Math.max(p.next, p.match + 1);
      p.probing = false;
      p.paused = false;
      this.maybeCommit();
      this.sendAppend(m.from, p, false, true);
      return;
    }
    // A rejection: back up to the hint (never below what is known to match) and probe.
    const retry = Math.max(p.match, Math.min(m.index, p.sent - 1, this.log.lastIndex));
    p.sent = retry;
    p.received = Math.min(p.received, retry);
    p.next = retry + 1;
    p.probing = true;
    p.paused = false;
    this.sendAppend(m.from, p, false);
  }

  /** The commit index: the highest index durable on enough members, if it is of this term. */
  private maybeCommit(): void {
    const matches = [this.persistedIndex];
    for (const p of this.progress.values()) matches.push(p.match);
    matches.sort((a, b) => b - a);
    const candidate = matches[this.quorum - 1];
    if (candidate > this.commitIndex && this.committable(candidate)) {
      this.commitIndex = candidate;
      this.commitMoved = true;
      // Followers learn it now, not with the next batch or heartbeat: they apply the entries
      // while the leader answers for them, rather than after.
      for (const [id, p] of this.progress) this.sendAppend(id, p, false, true);
    }
  }

  /** Raft's rule: only an entry of the current term commits by counting (earlier ones with it). */
  protected committable(index: number): boolean {
    return this.log.termAt(index) === this.term;
  }

  private send(m: Message): void {
    this.out.push(m);
  }
}

/** Messages only a leader sends. */
function fromLeader(m: Message): m is Append | Commit {
  return m.type === MessageType.Append || m.type === MessageType.Commit;
}
