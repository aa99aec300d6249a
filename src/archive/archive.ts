/**
 * The archive: the node's event log on disk — segmented, checksummed, group-committed,
 * recovered on open, replayable and tailable (docs/archive-format.md).
 *
 * Writing: `add` encodes an entry into the pending batch (no I/O); one write loop takes the
 * whole pending batch, writes it with one write per segment it touches and syncs it per the
 * fsync policy, while new entries gather into the other buffer. The file system calls run on
 * libuv's thread pool, so the event loop keeps running commands meanwhile.
 *
 * Under `always` the segment written to is open with O_DSYNC: a write returns once its data is
 * durable, as a write then an fdatasync would, in one call to the pool instead of two. Each
 * call is a hop to a pool thread and back, which on a busy machine took 0.15-0.3 ms at the
 * median, and every commit waits for a leader's and a follower's.
 */
import { constants } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, silentLogger } from '../log.ts';
import type { EntryBatch } from './entry-batch.ts';
import { ArchiveError } from './errors.ts';
import { Record, SEGMENT_HEADER_BYTES, recordBytes } from './format.ts';
import { type FsyncPolicy, parseFsyncPolicy } from './fsync-policy.ts';
import { Pending } from './pending.ts';
import { PrefillPace } from './prefill-pace.ts';
import { SegmentCursor } from './reader.ts';
import { type Finding, type Recovered, type RecoveryMode, type TornTail, TEMP_SUFFIX, recover } from './recovery.ts';
import { Segment, installSegment, preallocate } from './segments.ts';
import { syncDir } from './sync-dir.ts';

export const DEFAULT_SEGMENT_BYTES = 128 * 1024 * 1024;
const MIN_SEGMENT_BYTES = 64 * 1024;
const MAX_SEGMENT_BYTES = 1024 * 1024 * 1024;

export interface ArchiveOptions {
  dir: string;
  /** Size of each segment file (default 128 MiB). */
  segmentBytes?: number;
  /** `always` (default), `interval:<ms>` or `never`. */
  fsync?: FsyncPolicy | string;
  logger?: Logger;
  /**
   * `repair` (default): writable; a torn tail is cut. `read`: read-only, nothing on disk
   * changes. `report`: read-only, and corruption is returned in `finding` instead of thrown
   * (the archive then ends before it).
   */
  mode?: RecoveryMode;
  /**
   * Read-only opens: start at the segment holding this index, opening and checking none before
   * it, as if they had been removed. A reader of recent entries (`bourse archive` from an
   * index) then costs what it reads, not the whole history.
   */
  from?: number;
  /** Told how long each sync took — an fdatasync, or under `always` a durable write (metrics). */
  onSynced?: (ms: number) => void;
}

export interface EntryInput {
  index: number;
  term: number;
  type: number;
  timestampUs: number;
  payload: Uint8Array;
}

interface Waiter {
  index: number;
  resolve: (index: number) => void;
  reject: (error: Error) => void;
}

export class Archive {
  readonly dir: string;
  readonly policy: FsyncPolicy;
  readonly segmentBytes: number;
  /** What the open found and cut (a crash's torn tail), if anything. */
  readonly tornTail: TornTail | undefined;
  /** A torn tail or (in `report` mode) corruption that the open found. */
  readonly finding: Finding | undefined;
  readonly readOnly: boolean;
  private readonly onSynced: ((ms: number) => void) | undefined;
  private readonly logger: Logger;
  private readonly segments: Segment[];
  /** The segment written to, and its handle. */
  private current: Segment | undefined;
  private currentFh: FileHandle | undefined;
  /** The next segment, being made ahead of need (its path once made), and the pace of its making. */
  private preparing: { made: Promise<string>; pace: PrefillPace } | undefined;

  private pending = new Pending();
  private spare = new Pending();
  private writing = false;
  private syncDue = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private lastSyncMs = 0;
  private failure: Error | undefined;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private idleResolve: (() => void) | undefined;
  private readonly waiters: Waiter[] = [];
  private written: { promise: Promise<void>; resolve: () => void };

  /** Index of the last entry added (written or pending). */
  lastIndex: number;
  lastTerm: number;
  /** Last index fully written (visible to readers). */
  writtenIndex: number;
  /** Last index durable: fdatasynced, or under `always` written. */
  syncedIndex: number;
  /** Syncs made for entries (not for segment creation): fdatasync calls, or under `always` durable writes. */
  syncs = 0;

  private constructor(options: ArchiveOptions, recovered: Recovered) {
    const segments = recovered.segments;
    this.dir = options.dir;
    this.readOnly = (options.mode ?? 'repair') !== 'repair';
    this.finding = recovered.finding;
    this.policy = typeof options.fsync === 'string' ? parseFsyncPolicy(options.fsync) : options.fsync ?? { kind: 'always' };
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.logger = options.logger ?? silentLogger;
    this.onSynced = options.onSynced;
    this.segments = segments;
    this.tornTail = recovered.tornTail;
    const last = segments.at(-1);
    this.lastIndex = last === undefined ? 0 : last.lastIndex;
    this.lastTerm = [...segments].reverse().find((s) => s.lastIndex >= s.firstIndex)?.lastTerm ?? 0;
    this.writtenIndex = this.lastIndex;
    // What was found on disk at open is treated as synced: it survived whatever happened.
    this.syncedIndex = this.lastIndex;
    this.written = deferred();
  }

  /** Opens (or creates) the archive in `options.dir`, recovering it; throws ArchiveError on corruption. */
  static async open(options: ArchiveOptions): Promise<Archive> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes % 8 !== 0 || segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
      throw new RangeError(`segment size must be a multiple of 8 within ${MIN_SEGMENT_BYTES}..${MAX_SEGMENT_BYTES} bytes`);
    }
    const mode = options.mode ?? 'repair';
    if (options.from !== undefined && mode === 'repair') throw new RangeError('only a read-only open may start at a later segment');
    const recovered = await recover(options.dir, options.logger ?? silentLogger, mode, options.from);
    const archive = new Archive(options, recovered);
    if (archive.readOnly) return archive;
    const last = recovered.segments.at(-1);
    if (last !== undefined) {
      archive.current = last;
      archive.currentFh = await open(last.path, archive.writeFlags);
    }
    // The first append of a new archive should not wait for a segment to be zero-filled.
    archive.prepareNext(last);
    return archive;
  }

  /** Index of the first entry kept (1 for a new archive). */
  get firstIndex(): number {
    return this.segments.length > 0 ? this.segments[0].firstIndex : 1;
  }

  /** The last index acknowledged by the fsync policy: synced (`always`) or written (otherwise). */
  get ackIndex(): number {
    return this.policy.kind === 'always' ? this.syncedIndex : this.writtenIndex;
  }

  /**
   * Adds an entry to the next batch; nothing is written yet. Indexes are gapless: `index`
   * must be lastIndex + 1 (the first entry of a new archive may start anywhere).
   */
  add(index: number, term: number, type: number, timestampUs: number, payload: Uint8Array): void {
    this.check(index, term, payload.byteLength);
    this.pending.add(index, term, type, timestampUs, payload);
    this.accepted(index, term);
  }

  /**
   * Adds records [first, first + count) of a batch of sealed records (the wire's, which are the
   * archive's own layout) in one copy; the write stamps their watermark and CRC again, unless
   * `stamped`: sealed with a watermark this archive had synced. They are all checked first: a
   * bad one adds none.
   */
  addRecords(batch: EntryBatch, first: number, count: number, stamped = false): void {
    let index = this.lastIndex;
    let term = this.lastTerm;
    for (let k = first; k < first + count; k++) {
      this.check(batch.index(k), batch.term(k), batch.payloadBytes(k), index, term);
      index = batch.index(k);
      term = batch.term(k);
    }
    this.pending.addRecords(batch, first, count, stamped);
    this.accepted(index, term);
  }

  /** That entry `index` may follow (`afterIndex`, `afterTerm`): by default, the last entry added. */
  private check(index: number, term: number, payloadBytes: number, afterIndex = this.lastIndex, afterTerm = this.lastTerm): void {
    this.assertOpen();
    const next = afterIndex === 0 && this.segments.length === 0 ? index : afterIndex + 1;
    if (index !== next || !Number.isSafeInteger(index) || index < 1) {
      throw new ArchiveError('OUT_OF_RANGE', `entry ${index} added where ${next} must come next`);
    }
    if (!Number.isSafeInteger(term) || term < afterTerm) {
      throw new ArchiveError('TERM_REGRESSION', `entry ${index} has term ${term}, below ${afterTerm}`);
    }
    if (recordBytes(payloadBytes) > this.segmentBytes - SEGMENT_HEADER_BYTES) {
      throw new ArchiveError('OUT_OF_RANGE', `entry ${index} does not fit in a segment of ${this.segmentBytes} bytes`);
    }
  }

  private accepted(index: number, term: number): void {
    this.lastIndex = index;
    this.lastTerm = term;
    this.kick();
  }

  /** Resolves with the ack index once every entry added so far is acknowledged. */
  flush(): Promise<number> {
    return this.waitFor(this.lastIndex);
  }

  /** Adds the entries and resolves once they are acknowledged (durable under `always`). */
  append(entries: readonly EntryInput[]): Promise<number> {
    for (const e of entries) this.add(e.index, e.term, e.type, e.timestampUs, e.payload);
    return this.flush();
  }

  /** Resolves once `index` is acknowledged. */
  waitFor(index: number): Promise<number> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (index <= this.ackIndex) return Promise.resolve(this.ackIndex);
    if (index > this.lastIndex) return Promise.reject(new ArchiveError('OUT_OF_RANGE', `entry ${index} was never added`));
    return new Promise((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  /** How the segment written to is opened: durable writes under `always` (see the top). */
  private get writeFlags(): string | number {
    return this.policy.kind === 'always' ? constants.O_RDWR | constants.O_DSYNC : 'r+';
  }

  private kick(): void {
    if (this.writing || this.closed && this.pending.count === 0) return;
    if (this.pending.count === 0 && !this.syncDue) return;
    this.writing = true;
    this.idle = new Promise((resolve) => (this.idleResolve = resolve));
    void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.failure === undefined && (this.pending.count > 0 || this.syncDue)) {
        if (this.pending.count > 0) await this.writeBatch();
        if (this.syncDue) await this.syncNow();
        this.settleWaiters();
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.writing = false;
      this.idleResolve?.();
    }
  }

  /** Writes the pending batch: one write per segment it touches. */
  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    this.pending = this.spare;
    this.spare = batch;
    batch.seal(this.syncedIndex);
    let writeMs = 0;
    let k = 0;
    while (k < batch.count) {
      let segment = this.current;
      if (segment === undefined || segment.end + batch.span(k, k + 1) > segment.bytes) {
        segment = await this.roll(batch.firstIndex + k);
      }
      let end = k;
      const room = segment.bytes - segment.end;
      while (end < batch.count && batch.span(k, end + 1) <= room) end++;
      const at = batch.offsets[k];
      const length = batch.span(k, end);
      const base = segment.end;
      const startMs = performance.now();
      await (this.currentFh as FileHandle).write(batch.v.bytes, at, length, base);
      writeMs += performance.now() - startMs;
      for (let j = k; j < end; j++) {
        segment.noteRecord(batch.firstIndex + j, batch.v.view.getFloat64(batch.offsets[j] + Record.term, true),
          base + batch.offsets[j] - at, batch.span(j, j + 1));
      }
      this.prepareNext(segment);
      k = end;
    }
    this.writtenIndex = batch.lastIndex;
    if (this.policy.kind === 'always') this.synced(batch.lastIndex, writeMs);
    batch.clear();
    const signal = this.written;
    this.written = deferred();
    signal.resolve();
    if (this.policy.kind === 'interval') this.scheduleSync();
  }

  /** fdatasyncs what is written (under `always`, writes are durable already). */
  private async syncNow(): Promise<void> {
    this.syncDue = false;
    const target = this.writtenIndex;
    if (target <= this.syncedIndex || this.currentFh === undefined) return;
    const startMs = performance.now();
    await this.currentFh.datasync();
    this.synced(target, performance.now() - startMs);
  }

  /** Entries up to `index` are durable; making them so took `ms`. */
  private synced(index: number, ms: number): void {
    this.onSynced?.(ms);
    this.syncs++;
    this.syncedIndex = index;
    this.lastSyncMs = Date.now();
  }

  private scheduleSync(): void {
    if (this.policy.kind !== 'interval' || this.syncTimer !== undefined) return;
    const wait = Math.max(0, this.lastSyncMs + this.policy.ms - Date.now());
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncDue = true;
      this.kick();
    }, wait);
  }

  private settleWaiters(): void {
    const ack = this.ackIndex;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n].index <= ack) n++;
    for (const w of this.waiters.splice(0, n)) w.resolve(ack);
  }

  /**
   * Zero-fills the next segment while `segment`, the current one, fills (at once if there is
   * none); told again as it fills, it keeps pace with it (prefill-pace.ts).
   */
  private prepareNext(segment: Segment | undefined): void {
    const filled = segment === undefined ? 1 : segment.end / segment.bytes;
    if (this.preparing !== undefined) this.preparing.pace.update(filled);
    else this.preparing = this.startPreparing(filled);
  }

  /** The next segment's file, made ahead under this name and renamed when installed. */
  private get nextPath(): string {
    return join(this.dir, `next${TEMP_SUFFIX}`);
  }

  private startPreparing(filled: number): { made: Promise<string>; pace: PrefillPace } {
    const path = this.nextPath;
    const bytes = this.segmentBytes;
    const pace = new PrefillPace(filled);
    const made = preallocate(path, bytes, (at) => pace.before(at, bytes)).then(() => path);
    // A failure surfaces when the segment is needed; until then it must not be unhandled.
    made.catch(() => undefined);
    return { made, pace };
  }

  /** Closes the current segment (synced) and makes a new one start at `firstIndex`. */
  private async roll(firstIndex: number): Promise<Segment> {
    if (this.currentFh !== undefined) {
      // A closing segment is synced under every policy: once per segment costs nothing.
      await this.currentFh.datasync();
      await this.currentFh.close();
      this.currentFh = undefined;
    }
    if (this.current !== undefined && this.current.lastIndex < this.current.firstIndex) {
      // An empty segment (a crash right after it was made) starts where the new one would.
      await rm(this.current.path);
      this.segments.pop();
    }
    // Needed now: the one under way hurried, or one made at once.
    const preparing = this.preparing ?? this.startPreparing(1);
    preparing.pace.hurry();
    this.preparing = undefined;
    const { segment, fh } = await installSegment(this.dir, await preparing.made, firstIndex, this.segmentBytes, this.writeFlags);
    this.segments.push(segment);
    this.current = segment;
    this.currentFh = fh;
    this.logger.info({ file: segment.path, firstIndex }, 'archive: new segment');
    return segment;
  }

  /**
   * Drops every entry after `index` (a conflicting tail, for replication); durable when it
   * resolves. Waiters for dropped entries are rejected.
   */
  async truncateAfter(index: number): Promise<void> {
    this.assertOpen();
    if (!Number.isSafeInteger(index) || index < this.firstIndex - 1 || index > this.lastIndex) {
      throw new ArchiveError('OUT_OF_RANGE', `cannot truncate after ${index}: the archive holds ${this.firstIndex}..${this.lastIndex}`);
    }
    this.pending.cutAfter(index);
    await this.drain();
    if (this.failure !== undefined) throw this.failure;
    if (index < this.writtenIndex) await this.cutOnDisk(index);
    this.lastIndex = index;
    this.lastTerm = await this.termAt(index);
    this.writtenIndex = Math.min(this.writtenIndex, index);
    this.syncedIndex = Math.min(this.syncedIndex, index);
    const dropped = this.waiters.filter((w) => w.index > index);
    this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((w) => w.index <= index));
    for (const w of dropped) w.reject(new ArchiveError('TRUNCATED', `entry ${w.index} was truncated`));
    this.logger.warn({ dir: this.dir, after: index }, 'archive: truncated');
  }

  private async cutOnDisk(index: number): Promise<void> {
    // Segments that start after index + 1 hold only dropped entries. The one holding index + 1
    // (or starting there) is zeroed from that record on, so that no stale record can reappear
    // behind new appends.
    while (this.segments.length > 1 && (this.segments.at(-1) as Segment).firstIndex > index + 1) {
      const gone = this.segments.pop() as Segment;
      if (gone === this.current) {
        await this.currentFh?.close();
        this.currentFh = undefined;
        this.current = undefined;
      }
      await rm(gone.path);
    }
    const segment = this.segments[this.segments.length - 1];
    const offset = await this.offsetOf(segment, index + 1);
    if (this.current !== segment) {
      await this.currentFh?.close();
      this.currentFh = await open(segment.path, this.writeFlags);
      this.current = segment;
    }
    const fh = this.currentFh as FileHandle;
    if (segment.end > offset) await fh.write(new Uint8Array(segment.end - offset), 0, segment.end - offset, offset);
    await fh.datasync();
    segment.cutAfter(index, offset);
    await syncDir(this.dir);
  }

  /** Byte offset where the record of `index` is (or would go) in `segment`. */
  private async offsetOf(segment: Segment, index: number): Promise<number> {
    if (index > segment.lastIndex) return segment.end;
    const start = segment.seek(index);
    const fh = await open(segment.path, 'r');
    try {
      const cursor = new SegmentCursor(fh, segment, start, false);
      while (cursor.index < index) {
        const r = await cursor.fill(index - 1);
        if (r !== 'more' && r !== 'end') throw new ArchiveError(r.problem.code, r.problem.message, segment.path, r.offset, r.index);
        if (r === 'end') break;
      }
      return cursor.offset;
    } finally {
      await fh.close();
    }
  }

  /** The term of entry `index` (0 for index 0 or before the archive's first entry). */
  async termAt(index: number): Promise<number> {
    if (index < this.firstIndex || index === 0) return 0;
    for await (const batch of this.replay(index, index)) return batch.term(0);
    return 0;
  }

  /** Waits until no write is in flight. */
  private async drain(): Promise<void> {
    while (this.writing) await this.idle;
  }

  /**
   * Reads entries [from, to] (default: up to what is written now) in batches, with
   * back-pressure: the next batch is read only when the consumer asks for it. Each batch is a
   * view into a reused buffer, valid until the next one is requested.
   */
  async *replay(from: number, to: number = this.writtenIndex, follow = false): AsyncGenerator<EntryBatch> {
    let next = Math.max(from, this.firstIndex);
    for (;;) {
      const limit = Math.min(to, this.writtenIndex);
      if (next <= limit) {
        const segment = this.segmentOf(next);
        if (segment === undefined) throw new ArchiveError('OUT_OF_RANGE', `entry ${next} is not in the archive`);
        next = yield* this.readSegment(segment, next, Math.min(limit, segment.lastIndex));
        continue;
      }
      if (!follow || next > to || this.closed) return;
      await this.written.promise;
    }
  }

  /**
   * Reads entries [from, to] among those added, waiting for any not yet written: a follower's
   * cache and commit index run ahead of its disk. Never past what was added (it would wait for
   * entries no one writes).
   */
  replayAdded(from: number, to: number): AsyncGenerator<EntryBatch> {
    return this.replay(from, Math.min(to, this.lastIndex), true);
  }

  /** Like replay, but waits for new entries at the end instead of returning (live tailing). */
  follow(from: number): AsyncGenerator<EntryBatch> {
    return this.replay(from, Number.MAX_SAFE_INTEGER, true);
  }

  private async *readSegment(segment: Segment, from: number, to: number): AsyncGenerator<EntryBatch, number> {
    const fh = await open(segment.path, 'r');
    try {
      const cursor = new SegmentCursor(fh, segment, segment.seek(from));
      for (;;) {
        const r = await cursor.fill(to);
        const batch = cursor.batch;
        // Skip what precedes `from` (the sparse index lands at or before it).
        let skip = 0;
        while (skip < batch.count && batch.index(skip) < from) skip++;
        if (skip > 0) {
          batch.offsets.copyWithin(0, skip, batch.count);
          batch.count -= skip;
        }
        if (batch.count > 0) yield batch;
        if (r === 'end') return cursor.index;
        if (r !== 'more') throw new ArchiveError(r.problem.code, r.problem.message, segment.path, r.offset, r.index);
      }
    } finally {
      await fh.close();
    }
  }

  private segmentOf(index: number): Segment | undefined {
    const s = this.segments;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid].firstIndex <= index) lo = mid + 1;
      else hi = mid - 1;
    }
    const segment = s[hi];
    return segment !== undefined && index <= segment.lastIndex ? segment : undefined;
  }

  /** The log's terms as runs (term, first index), oldest first: the consensus core's view. */
  termRuns(): { term: number; firstIndex: number }[] {
    const runs: { term: number; firstIndex: number }[] = [];
    for (const segment of this.segments) {
      for (const r of segment.termRuns) if (runs.length === 0 || runs[runs.length - 1].term !== r.term) runs.push(r);
    }
    return runs;
  }

  /** Bytes of records in the archive, and other figures for `stats`. */
  stats(): { segments: number; firstIndex: number; lastIndex: number; bytes: number; writtenIndex: number; syncedIndex: number; syncs: number } {
    let bytes = 0;
    for (const s of this.segments) bytes += s.end - SEGMENT_HEADER_BYTES;
    return { segments: this.segments.length, firstIndex: this.firstIndex, lastIndex: this.lastIndex, bytes,
      writtenIndex: this.writtenIndex, syncedIndex: this.syncedIndex, syncs: this.syncs };
  }

  /** Writes and syncs everything added, then closes. Nothing is left half-written. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    if (this.pending.count > 0) {
      this.writing = true;
      try {
        await this.writeBatch();
      } finally {
        this.writing = false;
      }
    }
    if (this.failure === undefined) {
      this.syncDue = true;
      await this.syncNow();
    }
    this.settleWaiters();
    for (const w of this.waiters.splice(0)) w.reject(new ArchiveError('CLOSED', 'the archive was closed'));
    await this.currentFh?.close();
    this.currentFh = undefined;
    const preparing = this.preparing;
    this.preparing = undefined;
    preparing?.pace.stop();
    if (preparing !== undefined) await rm(await preparing.made.catch(() => this.nextPath), { force: true });
    this.written.resolve();
    if (this.failure !== undefined) throw this.failure;
  }

  private fail(error: Error): void {
    this.failure = error;
    this.logger.error({ dir: this.dir, error: error.message }, 'archive: write failed; the archive stops accepting entries');
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  private assertOpen(): void {
    if (this.closed) throw new ArchiveError('CLOSED', 'the archive is closed');
    if (this.readOnly) throw new ArchiveError('CLOSED', 'the archive was opened read-only');
    if (this.failure !== undefined) throw this.failure;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
