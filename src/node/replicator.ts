/**
 * The driver of the consensus core for a node: ticks, peer messages and local durability go
 * in; each Ready is carried out in order, as its contract says — the term and vote made
 * durable before any message leaves; a truncation finished before new entries are stored;
 * accepted entries written to the archive and acknowledged only once durable; messages
 * encoded with their entries (from the cache, or read from the archive for a follower that
 * is far behind) and sent; the commit index handed to the node.
 */
import { assert } from '../application/assert.ts';
import type { Archive } from '../archive/archive.ts';
import { EntryBatch } from '../archive/entry-batch.ts';
import { EntryType, RECORD_HEADER_BYTES } from '../archive/format.ts';
import type { MetaFile } from '../archive/meta.ts';
import { Views } from '../archive/record.ts';
import { type Logger } from '../log.ts';
import { type Message, MessageType } from '../replication/messages.ts';
import { Raft, type RaftConfig, type Ready, Role } from '../replication/raft.ts';
import { TermLog } from '../replication/term-log.ts';
import { PeerTransport } from '../replication/transport.ts';
import { HEAD_BYTES, type OutEntry, decodeMessage, encodeHead, encodeMessage, encodeSlotsRecord, messageBytes } from '../replication/wire.ts';
import { type ClusterOptions, TICK_MS } from './cluster-config.ts';
import type { CachedRun, EntryCache } from './entry-cache.ts';

export interface ReplicatorHooks {
  /** The commit index moved. */
  committed(commitIndex: number): void;
  /** This node became leader, or stopped being leader, or learned of a new leader. */
  roleChanged(role: Role, leaderId: number, term: number): void;
  /** Entries after `index` were dropped (before anything new is stored). */
  truncated(index: number): Promise<void>;
}

/** A Ready that waits for the work before it (a term to persist, a truncation). */
interface Work {
  ready: Ready;
  batch: EntryBatch | undefined;
}

/** How often, at most, the commit index is written to the metadata file (a restart's lower bound). */
const COMMIT_PERSIST_MS = 1_000;

export class Replicator {
  readonly raft: Raft;
  private readonly transport: PeerTransport | undefined;
  private readonly work: Work[] = [];
  private busy = false;
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private role: Role;
  private leaderId: number;
  private commitIndex: number;
  private commitPersistedAt = 0;
  /** Elections this node started (it became a candidate). */
  private elections = 0;
  private persistedCommit: number;
  /** A commit-index write under way: it runs beside the log, never in front of it. */
  private commitWriting = false;
  /** Per peer: sends waiting behind an archive read, to keep that peer's messages in order. */
  private readonly peerChains = new Map<number, Promise<void>>();
  private closed = false;

  constructor(
    private readonly cluster: ClusterOptions,
    private readonly archive: Archive,
    private readonly cache: EntryCache,
    private readonly hooks: ReplicatorHooks,
    private readonly logger: Logger,
    /** The metadata file, open; the replicator closes it. */
    private readonly meta: MetaFile,
    knownCommit: number,
  ) {
    const [min, max] = cluster.electionTimeoutMs ?? [200, 400];
    const config: RaftConfig = {
      id: cluster.nodeId,
      members: cluster.members.map((m) => m.id),
      electionTicks: [Math.round(min / TICK_MS), Math.round(max / TICK_MS)],
      heartbeatTicks: Math.round((cluster.heartbeatMs ?? 50) / TICK_MS),
      commitPolicy: cluster.commitPolicy ?? 'quorum',
      maxInflightEntries: 65_536,
      maxAppendEntries: 4_096,
      // Election jitter: the only randomness, and not part of the replicated state.
      seed: (Math.random() * 2 ** 31) | 0,
    };
    this.raft = new Raft(config, { term: meta.state.currentTerm, votedFor: meta.state.votedFor },
      TermLog.from(archive.termRuns(), archive.lastIndex), archive.lastIndex, knownCommit);
    this.role = this.raft.role;
    this.leaderId = 0;
    this.commitIndex = knownCommit;
    this.persistedCommit = knownCommit;
    const self = cluster.members.find((m) => m.id === cluster.nodeId);
    const peers = cluster.members.filter((m) => m.id !== cluster.nodeId);
    if (peers.length > 0 && self !== undefined) {
      this.transport = new PeerTransport({
        clusterId: cluster.clusterId, nodeId: cluster.nodeId, secret: cluster.secret, logger,
        listen: { host: self.host, port: self.peerPort },
        peers: peers.map((m) => ({ id: m.id, host: m.host, port: m.peerPort })),
        onFrame: (from, body) => this.receive(from, body),
      });
    }
  }

  async start(): Promise<void> {
    await this.transport?.start();
    // A cluster of one need not wait for a timeout: it is its own majority.
    if (this.cluster.members.length === 1) this.raft.startElection();
    this.drain(undefined);
    this.timer = setInterval(() => {
      this.raft.tick();
      this.drain(undefined);
    }, TICK_MS);
    // The ticks alone do not keep a process alive: its servers, sockets and clients do.
    this.timer.unref();
  }

  get isLeader(): boolean {
    return this.raft.role === Role.Leader;
  }

  /** The index the next proposed entry will get. */
  get nextIndex(): number {
    return this.raft.log.lastIndex + 1;
  }

  /** On the leader: `count` entries added to the archive and the cache at nextIndex.. are proposed. */
  propose(count: number): void {
    this.raft.propose(count);
    this.drain(undefined);
  }

  /**
   * The local archive is durable up to `index`, whose entry had `term` when it was stored (a
   * late report about an entry since truncated and replaced is then ignored by the core).
   */
  persisted(index: number, term: number): void {
    this.raft.persisted(index, term);
    this.drain(undefined);
  }

  private receive(from: number, body: Uint8Array): void {
    const v = new Views(body.buffer as ArrayBuffer);
    const decoded = decodeMessage(v, body.byteOffset, body.byteLength);
    if (typeof decoded === 'string') {
      this.logger.warn({ peer: from, problem: decoded }, 'replication: dropped a malformed message');
      return;
    }
    if (decoded.message.from !== from) {
      this.logger.warn({ peer: from, claimed: decoded.message.from }, 'replication: dropped a message claiming another sender');
      return;
    }
    this.raft.step(decoded.message);
    this.drain(decoded.entries);
  }

  /** Takes the core's Ready; carries it out now, or after the work before it. */
  private drain(batch: EntryBatch | undefined): void {
    const ready = this.raft.ready();
    const empty = ready.messages.length === 0 && ready.hardState === undefined && ready.truncateAfter === undefined &&
      ready.accept === undefined && ready.noop === undefined && ready.commitIndex === undefined;
    if (!empty) {
      if (this.busy || ready.hardState !== undefined || ready.truncateAfter !== undefined) {
        this.work.push({ ready, batch });
        void this.pump();
      } else {
        this.carryOut(ready, batch);
      }
    }
    this.noticeRole();
  }

  /** Works through the Readies that must wait (a term to persist, a truncation). */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.work.length > 0 && !this.closed) {
        const { ready, batch } = this.work.shift() as Work;
        if (ready.hardState !== undefined) await this.writeMeta();
        if (ready.truncateAfter !== undefined) {
          await this.archive.truncateAfter(ready.truncateAfter);
          this.cache.truncateAfter(ready.truncateAfter);
          await this.hooks.truncated(ready.truncateAfter);
        }
        this.carryOut(ready, batch);
      }
    } catch (error) {
      await this.persistFailed(error as Error);
    } finally {
      this.busy = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves once every Ready taken so far is carried out (e.g. a new leader's no-op stored). */
  settled(): Promise<void> {
    if (!this.busy && this.work.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private carryOut(ready: Ready, batch: EntryBatch | undefined): void {
    if (ready.accept !== undefined && batch !== undefined) this.store(ready.accept, batch);
    if (ready.noop !== undefined) this.storeNoop(ready.noop);
    for (const m of ready.messages) this.send(m);
    if (ready.commitIndex !== undefined && ready.commitIndex > this.commitIndex) {
      this.commitIndex = ready.commitIndex;
      // The commit notices leave before the entries are answered and applied here, which
      // takes a while after a large commit: the followers apply theirs meanwhile.
      this.transport?.flush();
      this.hooks.committed(ready.commitIndex);
      this.maybePersistCommit();
    }
  }

  private async writeMeta(): Promise<void> {
    const commitIndex = this.commitIndex;
    await this.meta.write({ currentTerm: this.raft.term, votedFor: this.raft.votedFor, commitIndex });
    this.persistedCommit = commitIndex;
  }

  /**
   * Now and then (a cluster of more than one), the commit index goes to the metadata file, so
   * that a restart may apply that far before it hears from a leader. Nothing waits for it: the
   * metadata file orders its own writes, and a lower bound that lags is still a lower bound.
   */
  private maybePersistCommit(): void {
    if (this.cluster.members.length === 1 || this.commitWriting || this.closed || this.commitIndex === this.persistedCommit) return;
    const now = Date.now();
    if (now - this.commitPersistedAt < COMMIT_PERSIST_MS) return;
    this.commitPersistedAt = now;
    this.commitWriting = true;
    void this.writeMeta().then(() => {
      this.commitWriting = false;
    }, (error: Error) => this.persistFailed(error));
  }

  private async persistFailed(error: Error): Promise<void> {
    this.logger.error({ error: error.message }, 'replication: could not persist; stopping');
    await this.close();
  }

  /** A follower stores entries from the leader; acknowledged once they are durable. */
  private store(accept: NonNullable<Ready['accept']>, batch: EntryBatch): void {
    const { firstIndex, offset, count } = accept;
    assert(batch.index(offset) === firstIndex, 'accepted entries start where the core says');
    this.archive.addRecords(batch, offset, count);
    // The frame's buffer is this message's alone and never reused: the cache keeps views of it.
    this.cache.put(firstIndex, batch, offset, count);
    this.syncThenAck(firstIndex + count - 1, batch.term(offset + count - 1));
  }

  private storeNoop(index: number): void {
    const v = new Views(new ArrayBuffer(RECORD_HEADER_BYTES));
    encodeSlotsRecord(v, 0, index, this.raft.term, EntryType.Noop, 0, new Float64Array(0), 0, 0, 0);
    const batch = new EntryBatch(v.bytes, v.view, v.slots, 1);
    batch.push(0);
    this.archive.addRecords(batch, 0, 1);
    this.cache.put(index, batch, 0, 1);
    this.syncThenAck(index, this.raft.term);
  }

  private syncThenAck(index: number, term: number): void {
    this.archive.waitFor(index).then(
      () => this.persisted(index, term),
      (error: Error) => {
        // A truncation dropped these entries before they were durable: nothing to acknowledge.
        if (!this.closed && !/TRUNCATED|CLOSED/.test(error.message)) this.logger.error({ error: error.message }, 'replication: write failed');
      },
    );
  }

  // ---- sending ---------------------------------------------------------------------------

  private send(m: Message): void {
    if (this.transport === undefined) return;
    const chain = this.peerChains.get(m.to);
    if (chain !== undefined) {
      this.chain(m.to, chain.then(() => this.sendNow(m)));
      return;
    }
    const pending = this.sendNow(m);
    if (pending !== undefined) this.chain(m.to, pending);
  }

  private chain(to: number, p: Promise<void>): void {
    const next = p.catch((error: Error) => this.logger.warn({ peer: to, error: error.message }, 'replication: send failed'))
      .finally(() => {
        if (this.peerChains.get(to) === next) this.peerChains.delete(to);
      });
    this.peerChains.set(to, next);
  }

  /** Sends now if the entries are in memory; otherwise returns the archive read that will. */
  private sendNow(m: Message): Promise<void> | undefined {
    if (m.type !== MessageType.Append || m.count === 0) {
      this.emit(m, []);
      return undefined;
    }
    const from = m.prevIndex + 1;
    const to = m.prevIndex + m.count;
    if (this.cache.holds(from, to)) {
      this.sendCached(m, from, to);
      return undefined;
    }
    return this.sendFromArchive(m, from, to);
  }

  /**
   * An Append of cached entries: their wire records go out as they are, a run at a time, with
   * no copy (the cache's buffers never change).
   */
  private sendCached(m: Message, from: number, to: number): void {
    const head = new Float64Array(HEAD_BYTES / 8);
    encodeHead(head, 0, m);
    const parts: Uint8Array[] = [new Uint8Array(head.buffer)];
    for (let i = from; i <= to;) {
      const run = this.cache.runAt(i) as CachedRun;
      const last = Math.min(to, run.last);
      const start = run.batch.offsets[run.at(i)];
      parts.push(run.batch.bytes.subarray(start, start + runBytes(run.batch, run.at(i), run.at(last))));
      i = last + 1;
    }
    this.transport?.send(m.to, ...parts);
  }

  private async sendFromArchive(m: Message, from: number, to: number): Promise<void> {
    const entries: OutEntry[] = [];
    for await (const batch of this.archive.replay(from, to)) {
      for (let k = 0; k < batch.count; k++) {
        const start = batch.payloadSlot(k);
        const slots = batch.slots.slice(start, start + batch.payloadBytes(k) / 8);
        entries.push({ index: batch.index(k), term: batch.term(k), timestampUs: batch.timestampUs(k), type: batch.type(k), slots, from: 0, to: slots.length });
      }
    }
    // The log may have changed meanwhile: send only a range that is still whole.
    if (entries.length === to - from + 1) this.emit(m, entries);
  }

  private emit(m: Message, entries: readonly OutEntry[]): void {
    const bytes = messageBytes(entries);
    const v = new Views(new ArrayBuffer(bytes));
    encodeMessage(v, 0, m, entries);
    this.transport?.send(m.to, v.bytes);
  }

  private noticeRole(): void {
    const { role, leaderId, term } = this.raft;
    if (role === this.role && leaderId === this.leaderId) return;
    if (role === Role.Candidate && this.role !== Role.Candidate) this.elections++;
    this.role = role;
    this.leaderId = leaderId;
    this.logger.info({ role: ['', 'follower', 'pre-candidate', 'candidate', 'leader'][role], leaderId, term }, 'replication: role');
    this.hooks.roleChanged(role, leaderId, term);
  }

  /** Replication figures for status: role, term, leader, and (on a leader) each follower's match. */
  status(): { role: string; term: number; leaderId: number; commitIndex: number; lastIndex: number; elections: number; followers: { id: number; match: number; lag: number; connected: boolean }[] } {
    const connected = new Set(this.transport?.connectedPeers() ?? []);
    const lastIndex = this.raft.log.lastIndex;
    return {
      role: ['', 'follower', 'pre-candidate', 'candidate', 'leader'][this.raft.role], term: this.raft.term, leaderId: this.raft.leaderId,
      commitIndex: this.commitIndex, lastIndex, elections: this.elections,
      followers: this.raft.role === Role.Leader
        ? this.raft.followers().map((f) => ({ id: f.id, match: f.match, lag: lastIndex - f.match, connected: connected.has(f.id) }))
        : [],
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.transport?.close();
    await this.meta.close();
  }
}

/** Bytes of records [first, last] of a batch, which lie back to back. */
function runBytes(batch: EntryBatch, first: number, last: number): number {
  return batch.offsets[last] + batch.recordBytes(last) - batch.offsets[first];
}
