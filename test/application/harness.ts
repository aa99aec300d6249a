/**
 * An engine run one command at a time, each `stepUs` after the last, its events decoded
 * (not a test file itself).
 */
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import type { Event } from '../../src/application/events.ts';
import { reasonName } from '../../src/application/reasons.ts';
import { eventsOf } from '../../src/codec/events.ts';

export class Harness {
  readonly engine = new Engine();
  /** The time of the last command run (µs). */
  timeUs = 0;

  run(command: Command, stepUs = 1): Event[] {
    this.timeUs += stepUs;
    const start = this.engine.execute(command, this.timeUs);
    const events = eventsOf(this.engine.out.slots, start, this.engine.out.length);
    this.engine.out.reset();
    return events;
  }

  /** The name of the command's reject reason, if it was rejected. */
  rejectReason(command: Command): string | undefined {
    const r = this.run(command).find((e) => e.type === 'Rejected');
    return r === undefined ? undefined : reasonName(r.reason);
  }
}
