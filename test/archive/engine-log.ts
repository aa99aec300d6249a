/**
 * A log of real engine events: a deterministic run of the engine (assets, a product,
 * accounts, deposits, then crossing limit orders that trade), one entry per command with the
 * command's events as its payload — what the node writes to its archive.
 */
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import type { Event } from '../../src/application/events.ts';
import { OrderType, Side, Stp, TimeInForce } from '../../src/application/matching/order-types.ts';
import { ProductStatus } from '../../src/application/products/status.ts';
import { stateHash } from '../../src/application/snapshot.ts';
import { eventsOf } from '../../src/codec/events.ts';
import { prng, randomInt } from './helpers.ts';

export interface EngineEntry {
  timestampUs: number;
  /** The command's events as bytes (a copy). */
  payload: Uint8Array;
  events: Event[];
}

export interface EngineLog {
  entries: EngineEntry[];
  /** The engine's state hash after the run. */
  hash: string;
}

function commands(orders: number, seed: number): Command[] {
  const rand = prng(seed);
  const list: Command[] = [
    { type: 'CreateAsset', code: 'BTC', scale: 8 },
    { type: 'CreateAsset', code: 'USD', scale: 6 },
    {
      type: 'CreateProduct', symbol: 'BTC-USD', base: 1, quote: 2, priceScale: 2, qtyScale: 4, tickSize: 1, lotSize: 1,
      minQty: 1, maxQty: 1000_0000, minNotional: 0, makerBps: 10, takerBps: 20, protectionTicks: 1000, status: ProductStatus.Trading,
    },
  ];
  let transfer = 1;
  for (let account = 1; account <= 3; account++) {
    list.push({ type: 'CreateAccount' });
    list.push({ type: 'Deposit', transfer: transfer++, account, asset: 2, amount: 1_000_000_000_000 });
    list.push({ type: 'Deposit', transfer: transfer++, account, asset: 1, amount: 100_00000000 });
  }
  for (let k = 0; k < orders; k++) {
    list.push({
      type: 'PlaceOrder', request: 0, account: randomInt(rand, 1, 3), product: 1, clientOrderId: 0,
      side: rand() < 0.5 ? Side.Buy : Side.Sell, orderType: OrderType.Limit, tif: TimeInForce.GTC, postOnly: 0,
      stp: Stp.CancelNewest, price: randomInt(rand, 10_000, 10_040), qty: randomInt(rand, 1, 5000), quoteBudget: 0, stopPrice: 0,
    });
  }
  return list;
}

/** Runs `orders` random limit orders (after the set-up) and returns one entry per command. */
export function engineLog(orders: number, seed = 7): EngineLog {
  const engine = new Engine();
  const out = engine.out;
  const entries: EngineEntry[] = [];
  let time = 1_700_000_000_000_000;
  for (const command of commands(orders, seed)) {
    time += 137;
    const start = engine.execute(command, time);
    entries.push({ timestampUs: time, payload: out.bytes(start, out.length).slice(), events: eventsOf(out.slots, start, out.length) });
    out.reset();
  }
  return { entries, hash: stateHash(engine.state) };
}
