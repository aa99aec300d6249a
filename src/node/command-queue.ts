/** A bounded FIFO of submitted commands and their promise callbacks (a ring, no per-item object). */
import type { Command } from '../application/commands.ts';
import type { CommandResult } from './node.ts';

type Resolve = (result: CommandResult) => void;
type Reject = (error: Error) => void;

export class CommandQueue {
  private readonly commands: (Command | undefined)[];
  private readonly resolves: (Resolve | undefined)[];
  private readonly rejects: (Reject | undefined)[];
  /** When each command was submitted (performance.now() ms): submit-to-commit latency. */
  private readonly submittedMs: Float64Array;
  private head = 0;
  length = 0;

  constructor(readonly limit: number) {
    this.commands = new Array<Command | undefined>(limit);
    this.resolves = new Array<Resolve | undefined>(limit);
    this.rejects = new Array<Reject | undefined>(limit);
    this.submittedMs = new Float64Array(limit);
  }

  /** False (and nothing queued) when full. */
  push(command: Command, resolve: Resolve, reject: Reject): boolean {
    if (this.length === this.limit) return false;
    const at = (this.head + this.length) % this.limit;
    this.commands[at] = command;
    this.resolves[at] = resolve;
    this.rejects[at] = reject;
    this.submittedMs[at] = performance.now();
    this.length++;
    return true;
  }

  peekCommand(): Command {
    return this.commands[this.head] as Command;
  }

  peekResolve(): Resolve {
    return this.resolves[this.head] as Resolve;
  }

  peekReject(): Reject {
    return this.rejects[this.head] as Reject;
  }

  peekSubmittedMs(): number {
    return this.submittedMs[this.head];
  }

  shift(): void {
    this.commands[this.head] = undefined;
    this.resolves[this.head] = undefined;
    this.rejects[this.head] = undefined;
    this.head = (this.head + 1) % this.limit;
    this.length--;
  }

  rejectAll(error: Error): void {
    while (this.length > 0) {
      this.peekReject()(error);
      this.shift();
    }
  }
}
