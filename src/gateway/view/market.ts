/** What a view keeps per product besides its book: the L2 change count, recent trades, volume. */
import { RollingVolume } from './rolling-volume.ts';
import { TradeTape } from './trade-tape.ts';

export class Market {
  /** Level changes so far: the seq of the product's latest L2 update. */
  seq = 0;
  readonly tape: TradeTape;
  readonly volume = new RollingVolume();

  constructor(product: number, recentTrades: number) {
    this.tape = new TradeTape(product, recentTrades);
  }
}
