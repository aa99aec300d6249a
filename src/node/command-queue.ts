/** A bounded FIFO of submitted commands and their callbacks (a ring, no per-item object). */
import type { Command } from '../application/commands.ts';
import type { Done } from './node.ts';

export class CommandQueue {
  private readonly commands: (Command | undefined)[];
  private readonly dones: (Done | undefined)[];
  /** When each command was submitted (performance.now() ms): submit-to-commit latency. */
  private readonly submittedMs: Float64Array;
  private head = 0;
  length = 0;

  constructor(readonly limit: number) {
    this.commands = new Array<Command | undefined>(limit);
    this.dones = new Array<Done | undefined>(limit);
    this.submittedMs = new Float64Array(limit);
  }

  /** False (and nothing queued) when full. */
  push(command: Command, done: Done): boolean {
    if (this.length === this.limit) return false;
    const at = (this.head + this.length) % this.limit;
    this.commands[at] = command;
    this.dones[at] = done;
    this.submittedMs[at] = performance.now();
    this.length++;
    return true;
  }

  peekCommand(): Command {
    return this.commands[this.head] as Command;
  }

  peekDone(): Done {
    return this.dones[this.head] as Done;
  }

  peekSubmittedMs(): number {
    return this.submittedMs[this.head];
  }

  shift(): void {
    this.commands[this.head] = undefined;
    this.dones[this.head] = undefined;
    this.head = (this.head + 1) % this.limit;
    this.length--;
  }

  rejectAll(error: Error): void {
    while (this.length > 0) {
      this.peekDone()(error, undefined, this.peekCommand());
      this.shift();
    }
  }
}
