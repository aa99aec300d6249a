/**
 * A node: the application plus the archive. On one node, the whole committed order path:
 *
 *   submit → bounded queue → each event-loop turn takes a batch → decide + apply (the state
 *   runs ahead) → the batch's entries go to the archive (one write, one fsync) → once durable
 *   every command's promise resolves with its events and subscribers get the committed
 *   entries, in index order. Nothing is answered or published before it is durable.
 *
 * Start-up (the seed's sequence): newest valid snapshot, then the archive after it, then serve.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Archive } from '../archive/archive.ts';
import { EntryType } from '../archive/format.ts';
import { syncDir } from '../archive/sync-dir.ts';
import type { Command } from '../application/commands.ts';
import { Engine } from '../application/engine.ts';
import { decodeSnapshot, stateHash } from '../application/snapshot.ts';
import { State } from '../application/state.ts';
import { type Logger, silentLogger } from '../log.ts';
import { Clock } from './clock.ts';
import { CommandQueue } from './command-queue.ts';
import { NodeError } from './errors.ts';
import type { BuildJob, BuildResult } from './snapshot-builder.ts';
import { newestUsable, replayInto } from './snapshot-builder.ts';
import { listSnapshots } from './snapshot-store.ts';
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
  snapshot?: SnapshotPolicy;
  logger?: Logger;
  /** Microseconds since the epoch; the node keeps it non-decreasing. */
  clock?: () => number;
}

/** What a submit resolves with: the command's committed entry (index, time, events). */
export type CommandResult = CommittedEntry;

interface Waiting {
  resolve: (result: CommandResult) => void;
  reject: (error: Error) => void;
  entry: CommittedEntry;
}

export class Node {
  readonly dataDir: string;
  readonly engine: Engine;
  private readonly archive: Archive;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly queue: CommandQueue;
  private readonly batchLimit: number;
  private readonly subscribers: Subscribers;
  private readonly policy: Required<SnapshotPolicy>;
  /** Entries executed, waiting for durability, in index order. */
  private readonly waiting: Waiting[] = [];
  private waitingHead = 0;
  private scheduled = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private failure: Error | undefined;
  private term: number;
  /** Last index executed (the state includes it). */
  private lastIndex: number;
  /** Last index durable and answered. */
  private commitIndex: number;
  private lastSnapshot: { index: number; atMs: number };
  private snapshotting: Promise<BuildResult> | undefined;
  private worker: Worker | undefined;

  private constructor(options: NodeOptions, archive: Archive, engine: Engine, snapshotIndex: number) {
    this.dataDir = options.dataDir;
    this.archive = archive;
    this.engine = engine;
    this.logger = options.logger ?? silentLogger;
    this.clock = new Clock(options.clock, engine.state.timestampUs);
    this.queue = new CommandQueue(options.queueLimit ?? 100_000);
    // A turn of 2,048 commands takes a few ms: large enough for group commit, small enough
    // that timers and I/O (gateways, replication) are never held up long.
    this.batchLimit = options.batchLimit ?? 2_048;
    this.policy = { everyEntries: 1_000_000, everyMs: 0, keep: 3, ...options.snapshot };
    this.term = Math.max(1, archive.lastTerm);
    this.lastIndex = archive.lastIndex;
    this.commitIndex = archive.lastIndex;
    this.lastSnapshot = { index: snapshotIndex, atMs: Date.now() };
    this.subscribers = new Subscribers(archive, () => this.commitIndex,
      (error) => this.logger.error({ error: String(error) }, 'node: a subscriber failed; its subscription is closed'));
  }

  static async open(options: NodeOptions): Promise<Node> {
    const logger = options.logger ?? silentLogger;
    const archive = await Archive.open({
      dir: join(options.dataDir, 'archive'), fsync: options.fsync, segmentBytes: options.segmentBytes, logger,
    });
    try {
      const { engine, snapshotIndex } = await startUp(options.dataDir, archive, logger);
      return new Node(options, archive, engine, snapshotIndex);
    } catch (error) {
      await archive.close();
      throw error;
    }
  }

  /** The state (read it only between turns: it runs ahead of the committed index). */
  get state(): State {
    return this.engine.state;
  }

  /**
   * Runs a command; resolves once its entry is durable, with its events. Fails at once with
   * OVERLOADED when the queue is full, CLOSED when the node is closing.
   */
  submit(command: Command): Promise<CommandResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new NodeError('CLOSED', 'the node is closing'));
    return new Promise((resolve, reject) => {
      if (!this.queue.push(command, resolve, reject)) {
        reject(new NodeError('OVERLOADED', `the command queue is full (${this.queue.limit}); retry later`));
        return;
      }
      this.schedule();
    });
  }

  /** Delivers committed entries from `fromIndex` on (catching up from the archive first). */
  subscribe(fromIndex: number, handler: (entry: CommittedEntry) => void): Subscription {
    return this.subscribers.add(fromIndex, handler);
  }

  status(): { lastIndex: number; commitIndex: number; term: number; queued: number; snapshotIndex: number; archive: ReturnType<Archive['stats']> } {
    return { lastIndex: this.lastIndex, commitIndex: this.commitIndex, term: this.term, queued: this.queue.length,
      snapshotIndex: this.lastSnapshot.index, archive: this.archive.stats() };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  /** One event-loop turn: a batch of commands executed and handed to the archive. */
  private turn(): void {
    this.scheduled = false;
    if (this.failure !== undefined) return;
    const engine = this.engine;
    const out = engine.out;
    const timestampUs = this.clock.now();
    const queue = this.queue;
    let n = 0;
    const first = this.waiting.length;
    try {
      while (n < this.batchLimit && queue.length > 0) {
        const start = engine.execute(queue.peekCommand(), timestampUs);
        const index = ++this.lastIndex;
        this.archive.addSlots(index, this.term, EntryType.Events, timestampUs, out.slots, start, out.length);
        // The entry's slots are set to the batch's copy below (out.slots may still be regrown).
        const entry = new CommittedEntry(index, this.term, timestampUs, out.slots, start, out.length);
        this.waiting.push({ resolve: queue.peekResolve(), reject: queue.peekReject(), entry });
        queue.shift();
        n++;
      }
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    // One copy of the whole batch's events, shared by its entries (the engine's buffer is reused).
    const slots = out.slots.slice(0, out.length);
    for (let i = first; i < this.waiting.length; i++) this.waiting[i].entry.slots = slots;
    out.reset();
    if (n > 0) {
      this.archive.flush().then((ack) => this.commit(ack), (error: Error) => this.fail(error));
    }
    if (queue.length > 0) this.schedule();
  }

  /** Answers and publishes everything up to `ack`, in index order. */
  private commit(ack: number): void {
    const waiting = this.waiting;
    while (this.waitingHead < waiting.length && waiting[this.waitingHead].entry.index <= ack) {
      const w = waiting[this.waitingHead++];
      this.commitIndex = w.entry.index;
      w.resolve(w.entry);
      this.subscribers.publish(w.entry);
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > waiting.length) {
      waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    this.maybeSnapshot();
  }

  private maybeSnapshot(): void {
    const { everyEntries, everyMs } = this.policy;
    const since = this.commitIndex - this.lastSnapshot.index;
    if (since <= 0 || this.snapshotting !== undefined || this.closing) return;
    const byCount = everyEntries > 0 && since >= everyEntries;
    const byTime = everyMs > 0 && Date.now() - this.lastSnapshot.atMs >= everyMs;
    if (byCount || byTime) {
      this.snapshot().catch((error: Error) => this.logger.error({ error: error.message }, 'node: snapshot failed'));
    }
  }

  /**
   * Writes a snapshot of the committed state, built in a worker from the previous snapshot
   * and the archive: command processing goes on meanwhile.
   */
  snapshot(): Promise<BuildResult> {
    if (this.snapshotting !== undefined) return this.snapshotting;
    const job: BuildJob = {
      archiveDir: join(this.dataDir, 'archive'), snapshotDir: join(this.dataDir, 'snapshots'),
      targetIndex: this.commitIndex, keep: this.policy.keep,
    };
    if (job.targetIndex <= this.lastSnapshot.index || job.targetIndex === 0) {
      return Promise.reject(new NodeError('NOTHING_TO_DO', `no committed entry after the last snapshot (${this.lastSnapshot.index})`));
    }
    const run = this.runWorker(job).then((result) => {
      this.lastSnapshot = { index: result.index, atMs: Date.now() };
      this.logger.info({ index: result.index, stateHash: result.stateHash, replayed: result.replayed, ms: Math.round(result.ms) },
        'node: snapshot written');
      return result;
    });
    this.snapshotting = run.finally(() => (this.snapshotting = undefined));
    return this.snapshotting;
  }

  private runWorker(job: BuildJob): Promise<BuildResult> {
    const worker = this.worker ?? new Worker(new URL('./worker-bootstrap.js', import.meta.url), {
      workerData: { entry: new URL('./snapshot-worker.ts', import.meta.url).href },
    });
    this.worker = worker;
    worker.unref();
    return new Promise((resolve, reject) => {
      const onMessage = (m: { ok: boolean; result?: BuildResult; error?: string }): void => {
        worker.off('error', onError);
        if (m.ok && m.result !== undefined) resolve(m.result);
        else reject(new NodeError('SNAPSHOT_FAILED', m.error ?? 'snapshot worker failed'));
      };
      const onError = (error: Error): void => {
        worker.off('message', onMessage);
        this.worker = undefined;
        reject(error);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(job);
    });
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = new NodeError('FAILED', `the node stopped: ${error.message}`);
    this.logger.error({ error: error.message }, 'node: failed; no further commands are accepted');
    for (let i = this.waitingHead; i < this.waiting.length; i++) this.waiting[i].reject(this.failure);
    this.waiting.length = 0;
    this.waitingHead = 0;
    this.queue.rejectAll(this.failure);
  }

  /** Stops taking commands, runs and commits what was queued, syncs and closes; every call resolves once that is done. */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    while (this.queue.length > 0 && this.failure === undefined) {
      this.turn();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.failure === undefined && this.lastIndex > 0) this.commit(await this.archive.flush().catch(() => this.commitIndex));
    await this.snapshotting?.catch(() => undefined);
    await this.worker?.terminate();
    this.subscribers.closeAll();
    await this.archive.close();
  }

  /** The state hash (SHA-256 of the canonical encoding) of the current state. */
  stateHash(): string {
    return stateHash(this.engine.state);
  }
}

/** Newest valid snapshot, then the archive after it, with progress in the log. */
async function startUp(dataDir: string, archive: Archive, logger: Logger): Promise<{ engine: Engine; snapshotIndex: number }> {
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
  const total = archive.lastIndex - from + 1;
  let lastReport = performance.now();
  await replayInto(engine, archive, from, archive.lastIndex, (done) => {
    const now = performance.now();
    if (now - lastReport < 1_000) return;
    lastReport = now;
    const rate = done / ((now - started) / 1e3);
    logger.info({ done, total, entriesPerSec: Math.round(rate), secondsLeft: Math.round((total - done) / rate) }, 'node: replaying');
  });
  logger.info({ snapshotIndex: snapshot?.index ?? 0, replayed: Math.max(0, total), lastIndex: archive.lastIndex,
    ms: Math.round(performance.now() - started), tornTail: archive.tornTail ?? null }, 'node: started');
  return { engine, snapshotIndex: snapshot?.index ?? 0 };
}
