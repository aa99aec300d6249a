/**
 * The engine: the application's state machine. `execute` runs one command on the leader:
 * decide, apply, then every stop the command triggered, in trigger order, each decided and
 * applied in turn. A follower calls `apply` alone with the same events and reaches the same
 * state.
 */
import { apply } from './apply.ts';
import type { Command } from './commands.ts';
import { decide } from './decide.ts';
import { EventBuffer, EventCode, F } from './events.ts';
import { headerSlots, headerType } from './layout.ts';
import { Matcher } from './matching/matcher.ts';
import { decideTriggered } from './matching/trigger.ts';
import { State } from './state.ts';

export class Engine {
  readonly out: EventBuffer;
  private readonly matcher: Matcher;
  /** Stops triggered and not yet run, as a FIFO of order ids. */
  private triggered = new Float64Array(64);

  constructor(
    readonly state: State = new State(),
    out?: EventBuffer,
  ) {
    this.out = out ?? new EventBuffer();
    this.matcher = new Matcher(this.state, this.out);
  }

  /** Runs a command; its events are appended to `out` and start at the returned slot. */
  execute(command: Command, timestampUs: number): number {
    const out = this.out;
    const start = out.length;
    const triggered = out.stopsTriggered;
    decide(this.state, command, out, this.matcher);
    apply(this.state, out.slots, start, out.length, timestampUs);
    if (out.stopsTriggered !== triggered) this.runTriggered(start, timestampUs);
    return start;
  }

  /** Applies events decided elsewhere (a follower, or a replay). */
  apply(slots: Float64Array, from: number, to: number, timestampUs: number): void {
    apply(this.state, slots, from, to, timestampUs);
  }

  private runTriggered(from: number, timestampUs: number): void {
    const out = this.out;
    let head = 0;
    let tail = this.collectTriggered(from, out.length, 0);
    // Each stop triggers at most once, so this ends within the number of open stops.
    while (head < tail) {
      const mark = out.length;
      decideTriggered(this.state, this.triggered[head++], out, this.matcher);
      apply(this.state, out.slots, mark, out.length, timestampUs);
      tail = this.collectTriggered(mark, out.length, tail);
    }
  }

  private collectTriggered(from: number, to: number, tail: number): number {
    const s = this.out.slots;
    for (let p = from; p < to; p += headerSlots(s[p])) {
      if (headerType(s[p]) !== EventCode.StopTriggered) continue;
      if (tail === this.triggered.length) {
        const grown = new Float64Array(tail * 2);
        grown.set(this.triggered);
        this.triggered = grown;
      }
      this.triggered[tail++] = s[p + F.StopTriggered.order];
    }
    return tail;
  }
}
