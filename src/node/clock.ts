/** The leader's time for commands, in µs since the epoch; never goes back (nor below `floor`). */
export class Clock {
  private last: number;
  private readonly source: () => number;

  constructor(source: (() => number) | undefined, floor: number) {
    this.source = source ?? (() => Math.floor((performance.timeOrigin + performance.now()) * 1000));
    this.last = floor;
  }

  now(): number {
    const t = this.source();
    if (t > this.last) this.last = t;
    return this.last;
  }
}
