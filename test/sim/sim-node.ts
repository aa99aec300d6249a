/**
 * One simulated node: the real consensus core (src/replication/raft.ts) and the real
 * application engine, driven the way a node drives them, over a simulated disk and network.
 */
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import { stateHash } from '../../src/application/snapshot.ts';
import { MessageType, type Message } from '../../src/replication/messages.ts';
import { Raft, type RaftConfig, type Ready, Role } from '../../src/replication/raft.ts';
import { TermLog } from '../../src/replication/term-log.ts';
import { SimDisk, type SimEntry } from './disk.ts';
import type { SimRandom } from './random.ts';

export interface Bugs {
  /** Planted: the hard state (term, vote) is not written to disk. */
  forgetVotes?: boolean;
  /** Planted: a core that counts entries of earlier terms toward commit. */
  raftClass?: typeof Raft;
}

export interface Outbox {
  send(message: Message, entries: SimEntry[]): void;
}

export class SimNode {
  alive = true;
  raft: Raft;
  /** The volatile log ([0] is index 1), synced up to `synced` entries. */
  log: SimEntry[] = [];
  synced = 0;
  engine = new Engine();
  applied = 0;
  /** Syncs in progress: when each completes, the log is durable up to its index. */
  private syncs: { at: number; index: number; term: number }[] = [];
  /** Hashes of the state after applying index i (for comparing nodes). */
  readonly hashes = new Map<string, string>();

  constructor(
    readonly id: number,
    private readonly config: RaftConfig,
    readonly disk: SimDisk,
    private readonly rng: SimRandom,
    private readonly bugs: Bugs,
  ) {
    this.raft = this.boot();
  }

  /** (Re)starts from the disk: a fresh core over the durable log; the state is rebuilt as commits arrive. */
  private boot(): Raft {
    this.log = this.disk.durable.slice();
    this.synced = this.log.length;
    this.engine = new Engine();
    this.applied = 0;
    this.syncs = [];
    const runs: { term: number; firstIndex: number }[] = [];
    for (const e of this.log) if (runs.length === 0 || runs[runs.length - 1].term !== e.term) runs.push({ term: e.term, firstIndex: e.index });
    const RaftImpl = this.bugs.raftClass ?? Raft;
    return new RaftImpl(this.config, { ...this.disk.hard }, TermLog.from(runs, this.log.length), this.log.length);
  }

  crash(): void {
    this.disk.crash(this.log, this.synced, this.rng);
    this.alive = false;
  }

  restart(): void {
    this.alive = true;
    this.raft = this.boot();
  }

  get isLeader(): boolean {
    return this.alive && this.raft.role === Role.Leader;
  }

  /** On the leader: runs a client's command and proposes its entry. */
  propose(command: Command, timestampUs: number, out: Outbox, now: number): number {
    const start = this.engine.execute(command, timestampUs);
    const slots = this.engine.out.slots.slice(start, this.engine.out.length);
    this.engine.out.reset();
    const index = this.raft.propose(1);
    this.log.push({ index, term: this.raft.term, timestampUs, slots, noop: false });
    this.applied = index;
    this.noteHash();
    this.startSync(now);
    this.handle(this.raft.ready(), undefined, out, now);
    return index;
  }

  tick(out: Outbox, now: number): void {
    this.raft.tick();
    this.handle(this.raft.ready(), undefined, out, now);
  }

  receive(message: Message, entries: SimEntry[], out: Outbox, now: number): void {
    if (message.type === MessageType.Append) message = { ...message, terms: entries.map((e) => e.term) };
    this.raft.step(message);
    this.handle(this.raft.ready(), entries, out, now);
  }

  /** Completes the syncs due by `now`. */
  advance(out: Outbox, now: number): void {
    while (this.syncs.length > 0 && this.syncs[0].at <= now) {
      const s = this.syncs.shift() as { at: number; index: number; term: number };
      // The log may have been truncated below the write meanwhile.
      if (s.index > this.log.length || this.log[s.index - 1].term !== s.term) continue;
      this.synced = Math.max(this.synced, s.index);
      this.disk.durable = this.log.slice(0, this.synced);
      this.raft.persisted(s.index, s.term);
      this.handle(this.raft.ready(), undefined, out, now);
    }
  }

  private startSync(now: number): void {
    const last = this.log[this.log.length - 1];
    this.syncs.push({ at: now + this.rng.int(1, 4), index: last.index, term: last.term });
  }

  /** The driver's side of the Ready contract. */
  private handle(ready: Ready, entries: SimEntry[] | undefined, out: Outbox, now: number): void {
    // The state must be rebuilt from the committed log if it holds an entry being truncated,
    // or (a deposed leader) entries not committed, which its reads must not show.
    const stale = this.raft.role !== Role.Leader &&
      (this.applied > this.raft.commitIndex || (ready.truncateAfter !== undefined && ready.truncateAfter < this.applied));
    if (ready.hardState !== undefined && !this.bugs.forgetVotes) this.disk.hard = { ...ready.hardState };
    if (ready.truncateAfter !== undefined) {
      this.log.length = ready.truncateAfter;
      this.synced = Math.min(this.synced, ready.truncateAfter);
      this.disk.durable = this.log.slice(0, this.synced);
    }
    if (ready.accept !== undefined && entries !== undefined) {
      const { firstIndex, offset, count } = ready.accept;
      if (this.log.length !== firstIndex - 1) throw new Error(`node ${this.id}: accept at ${firstIndex} onto a log of ${this.log.length}`);
      for (let k = offset; k < offset + count; k++) this.log.push(entries[k]);
      this.startSync(now);
    }
    if (ready.noop !== undefined) {
      this.log.push({ index: ready.noop, term: this.raft.term, timestampUs: 0, slots: new Float64Array(0), noop: true });
      this.startSync(now);
    }
    for (const m of ready.messages) {
      const carried = m.type === MessageType.Append ? this.log.slice(m.prevIndex, m.prevIndex + m.count) : [];
      out.send(m, carried);
    }
    if (stale) this.rebuild();
    this.applyCommitted();
  }

  private rebuild(): void {
    this.engine = new Engine();
    this.applied = 0;
  }

  private applyCommitted(): void {
    if (this.raft.role === Role.Leader) return; // the leader applied its entries when it ran them
    const commit = Math.min(this.raft.commitIndex, this.log.length);
    while (this.applied < commit) {
      const e = this.log[this.applied];
      if (!e.noop) this.engine.apply(e.slots, 0, e.slots.length, Math.max(e.timestampUs, this.engine.state.timestampUs));
      this.applied++;
      this.noteHash();
    }
  }

  /** A new leader applies what it had not (its log up to the end is its own from now on). */
  catchUpAsLeader(): void {
    while (this.applied < this.log.length) {
      const e = this.log[this.applied];
      if (!e.noop) this.engine.apply(e.slots, 0, e.slots.length, Math.max(e.timestampUs, this.engine.state.timestampUs));
      this.applied++;
      this.noteHash();
    }
  }

  private noteHash(): void {
    if (this.applied % 16 !== 0) return;
    const e = this.log[this.applied - 1];
    this.hashes.set(`${this.applied}/${e.term}`, stateHash(this.engine.state));
  }
}
