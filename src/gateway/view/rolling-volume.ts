/**
 * A product's traded volume over a rolling window of whole hours, by entry time: one bucket per
 * hour, reused once its hour has left the window. Deterministic: only the entries' timestamps
 * count, never the clock of the machine, so every view of the same log agrees. The sums are
 * exact below 2^53 (a day's quote volume past that is reported to float precision: a ticker
 * figure, never money that moves).
 */
import { VOLUME_WINDOW_HOURS } from './limits.ts';
import type { Ticker } from './reads.ts';

const US_PER_HOUR = 3_600_000_000;

export class RollingVolume {
  /** Per bucket: the hour it counts (hours since the epoch), -1 for none yet. */
  private readonly hour = new Float64Array(VOLUME_WINDOW_HOURS).fill(-1);
  private readonly trades = new Float64Array(VOLUME_WINDOW_HOURS);
  private readonly lots = new Float64Array(VOLUME_WINDOW_HOURS);
  private readonly quote = new Float64Array(VOLUME_WINDOW_HOURS);

  add(timestampUs: number, qtyLots: number, quoteAmount: number): void {
    const hour = Math.floor(timestampUs / US_PER_HOUR);
    const b = hour % VOLUME_WINDOW_HOURS;
    if (this.hour[b] !== hour) {
      this.hour[b] = hour;
      this.trades[b] = 0;
      this.lots[b] = 0;
      this.quote[b] = 0;
    }
    this.trades[b]++;
    this.lots[b] += qtyLots;
    this.quote[b] += quoteAmount;
  }

  /** Sums the buckets of the window that ends with the hour of `nowUs` into `into`. */
  sum(nowUs: number, into: Pick<Ticker, 'trades' | 'volumeLots' | 'quoteVolume'>): void {
    const first = Math.floor(nowUs / US_PER_HOUR) - VOLUME_WINDOW_HOURS + 1;
    into.trades = 0;
    into.volumeLots = 0;
    into.quoteVolume = 0;
    for (let b = 0; b < VOLUME_WINDOW_HOURS; b++) {
      if (this.hour[b] < first) continue;
      into.trades += this.trades[b];
      into.volumeLots += this.lots[b];
      into.quoteVolume += this.quote[b];
    }
  }
}
