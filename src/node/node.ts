/**
 * A node: the application, the archive and the replication around them.
 *
 * On the leader: submit → bounded queue → each event-loop turn takes a batch → decide + apply
 * (the state runs ahead) → the batch's entries go to the archive (one write, one fsync) and, at
 * the same time, to the followers → once stored on a quorum (the commit index) every command's
 * promise resolves with its events and subscribers get the committed entries, in index order.
 * On a follower: entries from the leader are archived and acknowledged once durable; committed
 * ones are applied and published (applied once, through the read model that holds the
 * follower's state, if one does: read-model.ts); commands are refused with the leader's address.
 *
 * Without a `cluster` option a node is a cluster of one: the same path, electing itself at once.
 *
 * Start-up (the seed's sequence): newest valid snapshot, then the archive after it up to what is
 * known committed, then join the cluster.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Archive } from '../archive/archive.ts';
import { ArchiveError } from '../archive/errors.ts';
import { Views } from '../archive/record.ts';
import { EntryBatch } from '../archive/entry-batch.ts';
import { encodeSlotsRecord } from '../replication/wire.ts';
import { EntryType, RECORD_HEADER_BYTES } from '../archive/format.ts';
import { MetaFile } from '../archive/meta.ts';
import { syncDir } from '../archive/sync-dir.ts';
import type { Command } from '../application/commands.ts';
import { Engine } from '../application/engine.ts';
import { copyState } from '../application/copy-state.ts';
import { decodeSnapshot, encodeSnapshotSteps, stateHash } from '../application/snapshot.ts';
import { SlotBuffer } from '../application/layout.ts';
import { RecentRequests } from '../application/requests/recent-requests.ts';
import { State } from '../application/state.ts';
import { type Logger, silentLogger } from '../log.ts';
import { Role } from '../replication/raft.ts';
import { Clock } from './clock.ts';
import { type ClusterOptions, type Member, clusterProblem } from './cluster-config.ts';
import { CommandQueue } from './command-queue.ts';
import { EntryCache } from './entry-cache.ts';
import { type LeaderHint, NodeError } from './errors.ts';
import type { ReadModel } from './read-model.ts';
import { Replicator } from './replicator.ts';
import { newestUsable, replayInto } from './replay.ts';
import { type SnapshotInfo, listSnapshots, pruneSnapshots, writeSnapshotFile } from './snapshot-store.ts';
import { snapshotDue, snapshotPhase } from './snapshot-schedule.ts';
import { CommittedEntry, Subscribers, type Subscription } from './subscribers.ts';

export interface SnapshotPolicy {
  /** Take a snapshot once this many entries were committed since the last one (0: never). */
  everyEntries?: number;
  /** ... or once this much time passed with new entries (0: never). */
  everyMs?: number;
  /** Snapshots kept on disk. */
  keep?: number;
}

export interface NodeOptions {
  dataDir: string;
  /** Archive fsync policy: `always` (default), `interval:<ms>`, `never`. */
  fsync?: string;
  segmentBytes?: number;
  /** Commands queued and not yet processed; beyond it submit fails with OVERLOADED. */
  queueLimit?: number;
  /** Commands taken per event-loop turn. */
  batchLimit?: number;
  /** Committed entries the leader answers per event-loop turn. */
  answerLimit?: number;
  snapshot?: SnapshotPolicy;
  /** The cluster this node is a member of; none: a cluster of one. */
  cluster?: ClusterOptions;
  /** Recent entries kept in memory for replication and applying. */
  cacheEntries?: number;
  logger?: Logger;
  /** Microseconds since the epoch; the node keeps it non-decreasing. */
  clock?: () => number;
  /** Told of timings as they happen (metrics). */
  observer?: NodeObserver;
}

export interface NodeObserver {
  /** An archive fdatasync took `ms`. */
  synced(ms: number): void;
  /** A command this node ran as leader committed `ms` after it was submitted. */
  committed(ms: number): void;
}

/** What a submit resolves with: the command's committed entry (index, time, events). */
export type CommandResult = CommittedEntry;

/**
 * How a command sent with `send` ends: its committed entry, or why it did not commit. The
 * command comes back with it, so that one callback can serve every command of a sender.
 */
export type Done = (error: Error | undefined, entry: CommandResult | undefined, command: Command) => void;

/** A snapshot written: where, of which entry, and what it took (the copy held the node; the rest did not). */
export interface SnapshotResult extends SnapshotInfo {
  path: string;
  copyMs: number;
  ms: number;
}

/** Slots a snapshot encodes and hashes per step: about a millisecond's work. */
const SNAPSHOT_STEP_SLOTS = 16_384;
/** After each step of a snapshot (and each chunk written), a pause this many times as long as the step took: a tenth of the thread at most. */
const SNAPSHOT_PAUSE_PER_STEP = 9;
/** How long a snapshot waits for its entry to commit: a leader commits within an election timeout or stops leading. */
const COMMIT_WAIT_MS = 10_000;

/** A read model fed by Node.feed. */
interface Feed {
  model: ReadModel;
  /** Its subscription while entries reach it as a subscriber; none while it holds the node's state. */
  subscription: Subscription | undefined;
}

function clusterOfOne(): ClusterOptions {
  return { clusterId: 'local', nodeId: 1, members: [{ id: 1, host: '127.0.0.1', peerPort: 0 }], secret: '' };
}

export class Node {
  readonly dataDir: string;
  engine: Engine;
  private readonly archive: Archive;
  private readonly logger: Logger;
  private clock: Clock;
  private readonly clockSource: (() => number) | undefined;
  private readonly observer: NodeObserver | undefined;
  private readonly queue: CommandQueue;
  private readonly batchLimit: number;
  private readonly answerLimit: number;
  private readonly subscribers: Subscribers;
  private readonly policy: Required<SnapshotPolicy>;
  /** How much later than the interval this member takes its first snapshot (snapshot-schedule.ts). */
  private readonly snapshotPhase: number;
  private snapshotsTaken = 0;
  private readonly cluster: ClusterOptions;
  private readonly cache: EntryCache;
  private replicator!: Replicator;
  private scheduled = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private failure: Error | undefined;
  /** The state includes every entry up to here. */
  private applied: number;
  /** Known committed (answered and published) up to here. */
  private commitIndex: number;
  /** On the leader: committed up to here, answered up to commitIndex so far. */
  private answerTarget = 0;
  private answerScheduled = false;
  /** Leading, with every entry of the log applied: commands may run. */
  private leaderReady = false;
  /** Applying or rebuilding from the archive: later commits wait their turn behind it. */
  private catchUp: Promise<void> = Promise.resolve();
  private lastSnapshot: { index: number; atMs: number };
  private snapshotting: Promise<SnapshotResult> | undefined;
  /** The last snapshot's copy of the state and its encoding's buffer, written over by the next: none of it is allocated again. */
  private snapshotCopy: State | undefined;
  private readonly snapshotBuffer = new SlotBuffer(SNAPSHOT_STEP_SLOTS);
  /** The read model that holds this node's state, if one does: committed entries are applied through it. */
  private sharing: Feed | undefined;
  /** The read models fed by `feed` and not closed. */
  private readonly feeds = new Set<Feed>();

  private constructor(options: NodeOptions, cluster: ClusterOptions, archive: Archive, engine: Engine, applied: number, snapshotIndex: number) {
    this.observer = options.observer;
    this.dataDir = options.dataDir;
    this.cluster = cluster;
    this.archive = archive;
    this.engine = engine;
    this.logger = options.logger ?? silentLogger;
    this.clockSource = options.clock;
    this.clock = new Clock(options.clock, engine.state.timestampUs);
    this.queue = new CommandQueue(options.queueLimit ?? 100_000);
    // A turn of 2,048 commands takes a few ms: large enough for group commit, small enough
    // that timers and I/O (gateways, replication) are never held up long.
    this.batchLimit = options.batchLimit ?? 2_048;
    this.answerLimit = options.answerLimit ?? 1_024;
    this.policy = { everyEntries: 1_000_000, everyMs: 0, keep: 3, ...options.snapshot };
    this.snapshotPhase = snapshotPhase(this.policy.everyEntries, cluster.members.map((m) => m.id), cluster.nodeId);
    this.cache = new EntryCache(options.cacheEntries ?? 131_072);
    this.applied = applied;
    this.commitIndex = applied;
    this.lastSnapshot = { index: snapshotIndex, atMs: Date.now() };
    this.subscribers = new Subscribers(archive, () => this.commitIndex,
      (error) => this.logger.error({ error: String(error) }, 'node: a subscriber failed; its subscription is closed'));
  }

  static async open(options: NodeOptions): Promise<Node> {
    const logger = options.logger ?? silentLogger;
    const cluster = options.cluster ?? clusterOfOne();
    const problem = clusterProblem(cluster);
    if (problem !== undefined) throw new RangeError(`cluster: ${problem}`);
    const archive = await Archive.open({
      dir: join(options.dataDir, 'archive'), fsync: options.fsync, segmentBytes: options.segmentBytes, logger,
      onSynced: options.observer === undefined ? undefined : (ms) => options.observer?.synced(ms),
    });
    let meta: MetaFile | undefined;
    try {
      meta = await MetaFile.open(archive.dir);
      // Alone, whatever is durable is committed; with replicas, only what is known to be.
      const known = cluster.members.length === 1 ? archive.lastIndex : Math.min(meta.state.commitIndex, archive.lastIndex);
      const { engine, snapshotIndex, applied } = await startUp(options.dataDir, archive, logger, known);
      const node = new Node(options, cluster, archive, engine, applied, snapshotIndex);
      node.replicator = new Replicator(cluster, archive, node.cache, {
        committed: (index) => node.onCommitted(index),
        roleChanged: (role, leaderId, term) => node.onRoleChanged(role, leaderId, term),
        truncated: (index) => node.onTruncated(index),
      }, logger, meta, applied);
      await node.replicator.start();
      return node;
    } catch (error) {
      await meta?.close();
      await archive.close();
      throw error;
    }
  }

  /** The state (read it only between turns: on a leader it runs ahead of the commit index). */
  get state(): State {
    return this.engine.state;
  }

  get isLeader(): boolean {
    return this.replicator.isLeader;
  }

  /**
   * Runs a command; resolves once its entry is committed, with its events. Fails at once with
   * OVERLOADED when the queue is full, CLOSED when the node is closing, NOT_LEADER on a follower.
   */
  submit(command: Command): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const refused = this.send(command, (error, entry) => {
        if (error === undefined) resolve(entry as CommandResult);
        else reject(error);
      });
      if (refused !== undefined) reject(refused);
    });
  }

  /**
   * `submit` without a promise per command (the binary gateway's hot path): the error that
   * refuses the command at once (then `done` is never called), or undefined and `done` is
   * called once, when the command commits or fails later. `receivedMs` is when the command
   * arrived (performance.now()), for its commit latency: a gateway that reads many commands
   * from one chunk reads the clock once for them all (a reading allocates).
   */
  send(command: Command, done: Done, receivedMs = performance.now()): Error | undefined {
    if (this.failure !== undefined) return this.failure;
    if (this.closing) return new NodeError('CLOSED', 'the node is closing');
    if (!this.replicator.isLeader) return this.notLeader();
    if (!this.queue.push(command, done, receivedMs)) return new NodeError('OVERLOADED', `the command queue is full (${this.queue.limit}); retry later`);
    this.schedule();
    return undefined;
  }

  private notLeader(): NodeError {
    const leaderId = this.replicator.raft.leaderId;
    const member: Member | undefined = this.cluster.members.find((m) => m.id === leaderId);
    const hint: LeaderHint = { leaderId, host: member?.host, httpPort: member?.httpPort, binaryPort: member?.binaryPort };
    const where = member === undefined ? 'no leader is known yet (an election is running)' : `the leader is node ${leaderId} at ${member.host}`;
    return new NodeError('NOT_LEADER', `this node does not lead; ${where}`, hint);
  }

  /** Delivers committed entries from `fromIndex` on (catching up from the archive first). */
  subscribe(fromIndex: number, handler: (entry: CommittedEntry) => void): Subscription {
    return this.subscribers.add(fromIndex, handler);
  }

  /**
   * Feeds a read model the committed entries after its last, as `subscribe` does; and once it
   * has caught up while this node follows, lets it hold this node's state (read-model.ts).
   */
  feed(model: ReadModel): Subscription {
    const feed: Feed = { model, subscription: undefined };
    this.feeds.add(feed);
    const first = this.feedFrom(feed, model.lastIndex + 1);
    return {
      caughtUp: first.caughtUp,
      close: () => {
        this.feeds.delete(feed);
        if (this.sharing === feed) this.unshare();
        feed.subscription?.close();
      },
    };
  }

  private feedFrom(feed: Feed, fromIndex: number): Subscription {
    const subscription = this.subscribers.add(fromIndex, (entry) => feed.model.apply(entry.index, entry.timestampUs, entry.slots, entry.from, entry.to), (close) => this.share(feed, close));
    // Caught up at once, it may already share (its subscription closed).
    if (this.sharing !== feed) feed.subscription = subscription;
    return subscription;
  }

  /**
   * The model has applied everything committed. A follower's state is that too (it applies
   * only what is committed): the model's State becomes the engine's, the node's request ids
   * moved into it, and committed entries reach the model as the node applies them.
   */
  private share(feed: Feed, closeSubscription: () => void): void {
    const following = !this.replicator.isLeader && !this.leaderReady && this.applied === this.commitIndex;
    if (!following || this.sharing !== undefined || this.failure !== undefined || this.closing) return;
    const { model } = feed;
    model.state.requests = this.engine.state.requests;
    model.keepsRequests = true;
    this.engine = new Engine(model.state);
    closeSubscription();
    feed.subscription = undefined;
    this.sharing = feed;
  }

  /**
   * A node that led and follows again fed its model as a subscriber meanwhile: once the node and
   * a model are both at the commit index, the model holds the state again. (A model's index
   * moves with the entries that carry events: after a new term's no-op, at the next command.)
   */
  private shareAgain(): void {
    for (const feed of this.feeds) {
      const subscription = feed.subscription;
      if (subscription !== undefined && feed.model.lastIndex === this.applied) {
        this.share(feed, () => subscription.close());
        return;
      }
    }
  }

  /** Whether a read model holds this node's state (a follower's, once its model caught up). */
  get sharesState(): boolean {
    return this.sharing !== undefined;
  }

  /** The state is to run ahead of the commit index (this node leads), or the feed closed: the node takes a copy. */
  private unshare(): void {
    const feed = this.sharing;
    if (feed === undefined) return;
    const started = performance.now();
    this.engine = new Engine(copyState(feed.model.state));
    feed.model.state.requests = new RecentRequests();
    feed.model.keepsRequests = false;
    this.sharing = undefined;
    if (this.feeds.has(feed)) this.feedFrom(feed, this.applied + 1);
    this.logger.info({ applied: this.applied, ms: Math.round(performance.now() - started) }, 'node: state copied from the read model');
  }

  /** This node's id in its cluster. */
  get nodeId(): number {
    return this.cluster.nodeId;
  }

  status(): {
    lastIndex: number; commitIndex: number; applied: number; term: number; queued: number; snapshotIndex: number;
    role: string; leaderId: number; followers: ReturnType<Replicator['status']>['followers']; archive: ReturnType<Archive['stats']>;
    failure: string | undefined;
    /** When the newest snapshot was taken or loaded (ms since the epoch). */
    snapshotAtMs: number;
    /** Elections this node started (as candidate) since it opened. */
    elections: number;
  } {
    const r = this.replicator.status();
    return { lastIndex: r.lastIndex, commitIndex: this.commitIndex, applied: this.applied, term: r.term, queued: this.queue.length,
      snapshotIndex: this.lastSnapshot.index, role: r.role, leaderId: r.leaderId, followers: r.followers, archive: this.archive.stats(),
      failure: this.failure?.message, snapshotAtMs: this.lastSnapshot.atMs, elections: r.elections };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  /** One event-loop turn on the leader: a batch of commands executed, archived and proposed. */
  private turn(): void {
    this.scheduled = false;
    if (this.failure !== undefined) return;
    if (!this.replicator.isLeader) {
      this.queue.rejectAll(this.notLeader());
      return;
    }
    if (!this.leaderReady) return; // resumed by the catch-up that makes it ready
    const engine = this.engine;
    const out = engine.out;
    const timestampUs = this.clock.now();
    const queue = this.queue;
    const term = this.replicator.raft.term;
    const first = this.replicator.nextIndex;
    const mark = queue.waiting;
    let n = 0;
    try {
      while (n < this.batchLimit && queue.length > 0) {
        const start = engine.execute(queue.peekCommand(), timestampUs);
        // The entry moves to the batch's own copy of its events in keepBatch (out is reused).
        queue.ran(new CommittedEntry(first + n, term, timestampUs, out.slots, start, out.length));
        n++;
      }
      if (n > 0) this.archive.addRecords(this.keepBatch(first, term, timestampUs, mark), 0, n, true);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (n > 0) {
      this.applied = first + n - 1;
      this.replicator.propose(n);
      const last = first + n - 1;
      this.archive.waitFor(last).then(() => this.replicator.persisted(last, term), (error: Error) => this.onWriteError(error));
    }
    out.reset();
    if (queue.length > 0) this.schedule();
  }

  // ---- replication events --------------------------------------------------------------

  private onCommitted(index: number): void {
    if (this.replicator.isLeader) {
      this.answerTarget = index;
      if (!this.answerScheduled) this.answerSome();
      return;
    }
    // A follower applies what is committed, in order, behind any catch-up or rebuild.
    this.catchUp = this.catchUp.then(() => this.applyTo(index)).catch((error: Error) => this.fail(error));
  }

  /**
   * The turn's entries get their own copy of their events (out is reused): the batch as sealed
   * wire records, held in the cache, sent to every follower and written to the archive as they
   * are. Sealed with what the archive has synced so far, a true watermark if an early one: the
   * write need not checksum them again. Returns the batch.
   */
  private keepBatch(first: number, term: number, timestampUs: number, mark: number): EntryBatch {
    const out = this.engine.out;
    const queue = this.queue;
    const count = queue.waiting - mark;
    const v = new Views(new ArrayBuffer(count * RECORD_HEADER_BYTES + out.length * 8));
    const batch = new EntryBatch(v.bytes, v.view, v.slots, count);
    let at = 0;
    const synced = this.archive.syncedIndex;
    for (let i = mark; i < queue.waiting; i++) {
      const e = queue.waitingEntry(i);
      batch.push(at);
      at += encodeSlotsRecord(v, at, e.index, term, EntryType.Events, timestampUs, out.slots, e.from, e.to, synced);
      e.moveTo(v.slots, batch.payloadSlot(i - mark));
    }
    this.cache.put(first, batch, 0, count);
    return batch;
  }

  /**
   * On the leader: answers what is committed, `answerLimit` entries per macrotask. One ack can
   * commit thousands of entries, and answering them (the views, the reports) takes a while: in
   * slices, the next turns run in between, so the followers get the next batches meanwhile
   * instead of idling until every answer is out.
   */
  private answerSome(): void {
    const to = Math.min(this.answerTarget, this.commitIndex + this.answerLimit);
    this.answer(to);
    if (to === this.answerTarget) return;
    this.answerScheduled = true;
    setImmediate(() => {
      this.answerScheduled = false;
      if (this.failure === undefined && this.replicator.isLeader) this.answerSome();
    });
  }

  /** Answers everything known committed at once (leading no more, or closing): it did commit. */
  private answerAll(): void {
    if (this.answerTarget > this.commitIndex) this.answer(this.answerTarget);
  }

  /** On the leader: resolve and publish what is committed up to `index`. */
  private answer(index: number): void {
    const queue = this.queue;
    // Known committed now, all of them: one reading of the clock.
    const nowMs = performance.now();
    while (queue.waiting > 0 && queue.waitingEntry(0).index <= index) {
      const entry = queue.waitingEntry(0);
      this.commitIndex = entry.index;
      this.observer?.committed(nowMs - queue.oldestSubmittedMs());
      queue.finishOldest(undefined, entry);
      this.subscribers.publish(entry);
    }
    // Entries committed that no client waits for (a no-op, or ones of a previous term).
    if (index > this.commitIndex && (queue.waiting === 0 || queue.waitingEntry(0).index > index)) {
      this.publishRange(this.commitIndex + 1, index);
    }
    this.maybeSnapshot();
  }

  /**
   * Publishes committed entries no client waited for (a no-op, or entries of earlier terms).
   * Subscribers read those that left the cache from the archive.
   */
  private publishRange(from: number, to: number): void {
    let missed = false;
    for (let i = from; i <= to; i++) {
      const run = this.cache.runAt(i);
      this.commitIndex = i;
      if (run === undefined) missed = true;
      else if (!missed) this.publishCached(i, run.batch, run.at(i));
    }
    if (missed) this.subscribers.rewind();
  }

  /** Publishes entry `index`, record `k` of a cached batch, if it has events and anyone listens. */
  private publishCached(index: number, batch: EntryBatch, k: number): void {
    if (batch.type(k) !== EntryType.Events || !this.subscribers.listening) return;
    const from = batch.payloadSlot(k);
    this.subscribers.publish(new CommittedEntry(index, batch.term(k), batch.timestampUs(k), batch.slots, from, from + batch.payloadBytes(k) / 8));
  }

  /** A follower applies entries up to `index`: from the cache, else from the archive. */
  private async applyTo(index: number): Promise<void> {
    while (this.applied < index) {
      const run = this.cache.runAt(this.applied + 1);
      if (run === undefined) {
        await this.applyFromArchive(this.applied + 1, index, true);
        continue;
      }
      for (const last = Math.min(index, run.last); this.applied < last;) {
        const i = this.applied + 1;
        this.applyCached(run.batch, run.at(i));
        this.applied = i;
        this.commitIndex = i;
        this.publishCached(i, run.batch, run.at(i));
      }
    }
    if (this.sharing === undefined && this.feeds.size > 0) this.shareAgain();
    this.maybeSnapshot();
  }

  private applyCached(batch: EntryBatch, k: number): void {
    if (batch.type(k) !== EntryType.Events) return;
    const from = batch.payloadSlot(k);
    const to = from + batch.payloadBytes(k) / 8;
    if (this.sharing === undefined) this.engine.apply(batch.slots, from, to, batch.timestampUs(k));
    else this.sharing.model.apply(batch.index(k), batch.timestampUs(k), batch.slots, from, to);
  }

  /** Applies entries [from, to] read from the archive; `committed` ones also move the commit index and are published. */
  private async applyFromArchive(from: number, to: number, committed: boolean): Promise<void> {
    const before = this.applied;
    // The cache may have dropped entries the archive is still writing: wait for those.
    for await (const batch of this.archive.replayAdded(from, to)) {
      for (let k = 0; k < batch.count; k++) {
        this.applyCached(batch, k);
        this.applied = batch.index(k);
        if (!committed) continue;
        this.commitIndex = this.applied;
        if (batch.type(k) !== EntryType.Events || !this.subscribers.listening) continue;
        // The reader's buffer is reused: a published entry gets its own copy of its events.
        const start = batch.payloadSlot(k);
        const slots = batch.slots.slice(start, start + batch.payloadBytes(k) / 8);
        this.subscribers.publish(new CommittedEntry(this.applied, batch.term(k), batch.timestampUs(k), slots, 0, slots.length));
      }
    }
    // Entries to apply are written (in the cache or the archive): never spin on a missing one.
    if (this.applied === before) throw new Error(`entry ${from} is neither cached nor in the archive`);
  }

  /** A write that failed because its entries were truncated (this node lost its lead) is no failure of the node. */
  private onWriteError(error: Error): void {
    if (error instanceof ArchiveError && (error.code === 'TRUNCATED' || error.code === 'CLOSED')) return;
    this.fail(error);
  }

  private onRoleChanged(role: Role, _leaderId: number, term: number): void {
    if (role === Role.Leader) {
      this.unshare();
      // Entries of earlier terms after the commit index will commit with this term's no-op
      // (the last entry now): the state must include them before new commands run on it, and
      // the no-op must be in the archive before new entries follow it.
      const noop = this.replicator.raft.log.lastIndex;
      this.catchUp = this.catchUp.then(async () => {
        await this.replicator.settled();
        await this.applyLocal(noop - 1);
        if (!this.replicator.isLeader || this.replicator.raft.term !== term) return;
        this.applied = noop;
        this.clock = new Clock(this.clockSource, this.engine.state.timestampUs);
        this.leaderReady = true;
        this.logger.info({ term, applied: this.applied }, 'node: leading');
        this.schedule();
      }).catch((error: Error) => this.fail(error));
      return;
    }
    this.answerAll();
    if (this.leaderReady || this.queue.waiting > 0) this.stepDown();
  }

  /** The leader applies its log up to `last` (entries not run here: of earlier terms). */
  private async applyLocal(last: number): Promise<void> {
    while (this.applied < last) {
      const run = this.cache.runAt(this.applied + 1);
      if (run === undefined) {
        await this.applyFromArchive(this.applied + 1, last, false);
        continue;
      }
      for (const end = Math.min(last, run.last); this.applied < end; this.applied++) this.applyCached(run.batch, run.at(this.applied + 1));
    }
  }

  /**
   * No longer leading: commands in flight have an unknown outcome (they may still commit under
   * the new leader); the state, which ran ahead, is rebuilt from the committed log.
   */
  private stepDown(): void {
    this.leaderReady = false;
    const lost = new NodeError('LEADERSHIP_LOST', 'this node stopped leading before the command committed; retry it with its request id');
    this.queue.rejectWaiting(lost);
    this.queue.rejectAll(this.notLeader());
    if (this.applied > this.commitIndex) {
      this.catchUp = this.catchUp.then(() => this.rebuild()).catch((error: Error) => this.fail(error));
    }
  }

  private async onTruncated(index: number): Promise<void> {
    if (this.applied > index) {
      this.catchUp = this.catchUp.then(() => this.rebuild()).catch((error: Error) => this.fail(error));
      await this.catchUp;
    }
  }

  /** The state again from the newest snapshot and the committed log (a deposed leader's). */
  private async rebuild(): Promise<void> {
    const started = performance.now();
    const { engine, applied } = await startUp(this.dataDir, this.archive, this.logger, this.commitIndex);
    this.engine = engine;
    this.applied = applied;
    this.logger.warn({ applied, ms: Math.round(performance.now() - started) }, 'node: state rebuilt from the committed log');
  }

  private maybeSnapshot(): void {
    const { everyEntries, everyMs } = this.policy;
    const since = this.commitIndex - this.lastSnapshot.index;
    if (since <= 0 || this.snapshotting !== undefined || this.closing) return;
    const byCount = snapshotDue(since, everyEntries, this.snapshotsTaken === 0 ? this.snapshotPhase : 0);
    const byTime = everyMs > 0 && Date.now() - this.lastSnapshot.atMs >= everyMs;
    if (byCount || byTime) {
      this.snapshot().catch((error: Error) => this.logger.error({ error: error.message }, 'node: snapshot failed'));
    }
  }

  /**
   * Writes a snapshot of the state at the last entry applied. The state is copied at once (its
   * tables are typed arrays: a memcpy each); the copy is encoded and hashed a step at a time and
   * written a chunk at a time, with a pause after each, so that the node goes on with at most a
   * tenth of its thread taken (on a busy leader a snapshot takes seconds). The nodes of a
   * machine share its cores, and at half the cluster's top rate little is left over: a worker
   * thread that replayed the archive from the previous snapshot (seconds of CPU per million
   * entries), even in the idle class, doubled the latency tail while it ran, and one that only
   * hashed and wrote the encoding took a tenth of a second of CPU at once, with commands queued
   * behind it for most of a second. A leader's state runs ahead of the commit index: its
   * snapshot is written once that entry is committed, and dropped if it never is.
   */
  snapshot(): Promise<SnapshotResult> {
    if (this.snapshotting !== undefined) return this.snapshotting;
    const index = this.applied;
    if (index <= this.lastSnapshot.index || index === 0) {
      return Promise.reject(new NodeError('NOTHING_TO_DO', `no entry applied after the last snapshot (${this.lastSnapshot.index})`));
    }
    const started = performance.now();
    const term = this.replicator.raft.log.termAt(index);
    const copy = copyState(this.engine.state, this.snapshotCopy);
    this.snapshotCopy = copy;
    const copyMs = performance.now() - started;
    const run = this.writeSnapshotOf(copy, index, term).then((written) => {
      this.lastSnapshot = { index, atMs: Date.now() };
      this.snapshotsTaken++;
      const result = { ...written, copyMs, ms: performance.now() - started };
      this.logger.info({ index, stateHash: result.stateHash, copyMs: Math.round(copyMs * 10) / 10, ms: Math.round(result.ms) }, 'node: snapshot written');
      return result;
    });
    this.snapshotting = run.finally(() => (this.snapshotting = undefined));
    return this.snapshotting;
  }

  /** Encodes and hashes `state` (entry `index`'s, of `term`) in steps and, once that entry is committed, writes it. */
  private async writeSnapshotOf(state: State, index: number, term: number): Promise<SnapshotInfo & { path: string }> {
    let stepStartMs = performance.now();
    const pause = async (): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, (performance.now() - stepStartMs) * SNAPSHOT_PAUSE_PER_STEP)));
      stepStartMs = performance.now();
    };
    const out = this.snapshotBuffer;
    out.reset();
    const hash = createHash('sha256');
    const steps = encodeSnapshotSteps(state, out, { requests: true }, SNAPSHOT_STEP_SLOTS);
    let hashed = 0;
    // Bounded by the encoding's length: each step encodes SNAPSHOT_STEP_SLOTS more.
    for (let step = steps.next(); ; step = steps.next()) {
      hash.update(out.bytes(hashed));
      hashed = out.length;
      if (step.done === true) break;
      await pause();
    }
    await this.committedThrough(index, term);
    const dir = join(this.dataDir, 'snapshots');
    const written = await writeSnapshotFile(dir, { index, term, timestampUs: state.timestampUs, stateHash: hash.digest('hex') }, out.bytes(), pause);
    await pruneSnapshots(dir, this.policy.keep);
    return written;
  }

  /**
   * Resolves once entry `index` (of `term`) is committed here; fails if it was replaced (this
   * node lost its lead first), the node stops, or COMMIT_WAIT_MS pass.
   */
  private async committedThrough(index: number, term: number): Promise<void> {
    const deadline = performance.now() + COMMIT_WAIT_MS;
    while (this.commitIndex < index) {
      if (this.closing || this.failure !== undefined || performance.now() > deadline) {
        throw new NodeError('SNAPSHOT_FAILED', `entry ${index} of the snapshot was not committed`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.replicator.raft.log.termAt(index) !== term) {
      throw new NodeError('SNAPSHOT_FAILED', `entry ${index} of the snapshot was replaced before it committed`);
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = new NodeError('FAILED', `the node stopped: ${error.message}`);
    this.logger.error({ error: error.message }, 'node: failed; no further commands are accepted');
    this.queue.rejectWaiting(this.failure);
    this.queue.rejectAll(this.failure);
  }

  /** Stops taking commands, runs and commits what was queued, syncs and closes; every call resolves once that is done. */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    // Run what was queued and wait (a bounded while) for it to commit: nothing is left half.
    const deadline = Date.now() + 5_000;
    while ((this.queue.length > 0 || this.queue.waiting > 0) && this.failure === undefined && Date.now() < deadline) {
      if (this.queue.length > 0) this.turn();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await this.catchUp.catch(() => undefined);
    await this.replicator.close();
    this.answerAll();
    const unfinished = new NodeError('CLOSED', 'the node closed before the command committed');
    this.queue.rejectWaiting(unfinished);
    this.queue.rejectAll(unfinished);
    await this.snapshotting?.catch(() => undefined);
    this.subscribers.closeAll();
    await this.archive.close();
  }

  /** The state hash (SHA-256 of the canonical encoding) of the current state. */
  stateHash(): string {
    return stateHash(this.engine.state);
  }
}

/**
 * Newest valid snapshot, then the archive after it up to `upTo` (what is known committed; a
 * snapshot is committed by construction), with progress in the log.
 */
async function startUp(dataDir: string, archive: Archive, logger: Logger, upTo: number): Promise<{ engine: Engine; snapshotIndex: number; applied: number }> {
  const started = performance.now();
  const warn = (message: string): void => logger.warn({}, `node: ${message}`);
  const dir = join(dataDir, 'snapshots');
  // A snapshot beyond the archive's end is of entries the archive lost (a power failure under
  // fsync never / interval): other entries will take those indexes, so it goes before they do.
  const stale = (await listSnapshots(dir)).filter((s) => s.index > archive.lastIndex);
  for (const s of stale) {
    warn(`snapshot ${s.path} is beyond the archive's last index (${archive.lastIndex}); removed`);
    await rm(s.path, { force: true });
  }
  if (stale.length > 0) await syncDir(dir);
  const snapshot = await newestUsable(dir, archive.lastIndex, warn);
  const state = snapshot === undefined ? new State() : decodeSnapshot(snapshot.slots);
  const engine = new Engine(state);
  const from = snapshot === undefined ? archive.firstIndex : snapshot.index + 1;
  const to = Math.max(upTo, snapshot?.index ?? 0);
  const total = to - from + 1;
  let lastReport = performance.now();
  await replayInto(engine, archive, from, to, (done) => {
    const now = performance.now();
    if (now - lastReport < 1_000) return;
    lastReport = now;
    const rate = done / ((now - started) / 1e3);
    logger.info({ done, total, entriesPerSec: Math.round(rate), secondsLeft: Math.round((total - done) / rate) }, 'node: replaying');
  });
  logger.info({ snapshotIndex: snapshot?.index ?? 0, replayed: Math.max(0, total), applied: to, lastIndex: archive.lastIndex,
    ms: Math.round(performance.now() - started), tornTail: archive.tornTail ?? null }, 'node: started');
  return { engine, snapshotIndex: snapshot?.index ?? 0, applied: to };
}
