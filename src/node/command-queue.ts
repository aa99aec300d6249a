/**
 * The leader's commands in submission order, in one ring with no object per command: the ones
 * run whose entries wait for the commit index, then the ones queued to run (at most `limit`).
 * The waiting ones are bounded by the gateways' in-flight limits, and in time by check-quorum:
 * a leader that stops committing stops leading, and they fail. The ring grows to hold them.
 * A command's slots are cleared as soon as it commits or fails: what it holds (its callback, its
 * entry) then dies young. Kept until a later compaction instead, committed commands were alive
 * at the next scavenge, were copied and promoted, and made the leader's pauses longer.
 */
import { assert } from '../application/assert.ts';
import type { Command } from '../application/commands.ts';
import type { Done } from './node.ts';
import type { CommittedEntry } from './subscribers.ts';

const INITIAL_CAPACITY = 1024;

export class CommandQueue {
  private commands: (Command | undefined)[];
  private dones: (Done | undefined)[];
  private entries: (CommittedEntry | undefined)[];
  /** When each command arrived (performance.now() ms): submit-to-commit latency. */
  private submittedMs: Float64Array;
  /** Capacity - 1; the capacity is a power of two. */
  private mask: number;
  /** The oldest command not finished. */
  private head = 0;
  /** Commands run and waiting to commit, from `head`. */
  waiting = 0;
  /** Commands queued and not yet run, after the waiting ones. */
  length = 0;

  constructor(readonly limit: number) {
    const capacity = INITIAL_CAPACITY;
    this.commands = new Array<Command | undefined>(capacity);
    this.dones = new Array<Done | undefined>(capacity);
    this.entries = new Array<CommittedEntry | undefined>(capacity);
    this.submittedMs = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  /** False (and nothing queued) when `limit` commands are queued. `receivedMs`: when it arrived. */
  push(command: Command, done: Done, receivedMs: number): boolean {
    if (this.length === this.limit) return false;
    if (this.waiting + this.length > this.mask) this.grow();
    const at = (this.head + this.waiting + this.length) & this.mask;
    this.commands[at] = command;
    this.dones[at] = done;
    this.submittedMs[at] = receivedMs;
    this.length++;
    return true;
  }

  /** The next command to run. */
  peekCommand(): Command {
    return this.commands[(this.head + this.waiting) & this.mask] as Command;
  }

  /** The next command ran and made `entry`: it now waits for the commit index. */
  ran(entry: CommittedEntry): void {
    assert(this.length > 0, 'a queued command ran');
    this.entries[(this.head + this.waiting) & this.mask] = entry;
    this.waiting++;
    this.length--;
  }

  /** The entry of the waiting command `k` (0: the oldest). */
  waitingEntry(k: number): CommittedEntry {
    assert(k < this.waiting, 'a waiting command');
    return this.entries[(this.head + k) & this.mask] as CommittedEntry;
  }

  /** When the oldest waiting command was submitted. */
  oldestSubmittedMs(): number {
    return this.submittedMs[this.head];
  }

  /** The oldest waiting command ends: committed as `entry`, or failed with `error`. */
  finishOldest(error: Error | undefined, entry: CommittedEntry | undefined): void {
    assert(this.waiting > 0, 'a waiting command finishes');
    const at = this.head;
    const done = this.dones[at] as Done;
    const command = this.commands[at] as Command;
    this.release(at);
    this.head = (at + 1) & this.mask;
    this.waiting--;
    done(error, entry, command);
  }

  /** Every waiting command fails with `error`. */
  rejectWaiting(error: Error): void {
    while (this.waiting > 0) this.finishOldest(error, undefined);
  }

  /** Every queued command fails with `error` (those waiting stay). */
  rejectAll(error: Error): void {
    // Taken out first: a callback may queue again, after these.
    const taken: [Done, Command][] = [];
    for (let k = 0; k < this.length; k++) {
      const at = (this.head + this.waiting + k) & this.mask;
      taken.push([this.dones[at] as Done, this.commands[at] as Command]);
      this.release(at);
    }
    this.length = 0;
    for (const [done, command] of taken) done(error, undefined, command);
  }

  private release(at: number): void {
    this.commands[at] = undefined;
    this.dones[at] = undefined;
    this.entries[at] = undefined;
  }

  /** Twice the capacity, the commands moved to its start in order. */
  private grow(): void {
    const used = this.waiting + this.length;
    const capacity = (this.mask + 1) * 2;
    const at = (k: number): number => (this.head + k) & this.mask;
    const moved = <T>(slots: (T | undefined)[]): (T | undefined)[] =>
      Array.from({ length: capacity }, (_, k) => (k < used ? slots[at(k)] : undefined));
    this.commands = moved(this.commands);
    this.dones = moved(this.dones);
    this.entries = moved(this.entries);
    const submittedMs = new Float64Array(capacity);
    for (let k = 0; k < used; k++) submittedMs[k] = this.submittedMs[at(k)];
    this.submittedMs = submittedMs;
    this.head = 0;
    this.mask = capacity - 1;
  }
}
