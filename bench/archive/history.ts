/**
 * A long, realistic event history written fast (fsync `never`: it is set-up, not measured):
 * 1,000 resting orders that keep moving (one OrderModified each, a ~100-byte entry), with a
 * crossing IOC every tenth command (accept, trade, expire).
 */
import { Archive } from '../../src/archive/archive.ts';
import { EntryType } from '../../src/archive/format.ts';
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import { OrderType, Side, Stp, TimeInForce } from '../../src/application/matching/order-types.ts';
import { setupCommands } from '../matching/workload.ts';

const RESTING = 1_000;
const CENTER = 100_000;

function place(account: number, side: number, price: number, qty: number, tif: number): Command {
  return { type: 'PlaceOrder', request: 0, account, product: 1, clientOrderId: 0, side, orderType: OrderType.Limit, tif, postOnly: 0,
    stp: Stp.CancelNewest, price, qty, quoteBudget: 0, stopPrice: 0 };
}

/** The i-th command after the set-up: moves of resting orders, and an IOC every tenth. */
export function command(i: number): Command {
  if (i < RESTING) {
    const side = i % 2;
    return place(1 + (i % 100), side, side === Side.Buy ? CENTER - 1 - (i % 200) : CENTER + 1 + (i % 200), 1_000_000, TimeInForce.GTC);
  }
  if (i % 10 === 0) return place(101 + (i % 100), (i / 10) % 2, (i / 10) % 2 === Side.Buy ? CENTER + 1 : CENTER - 1, 1, TimeInForce.IOC);
  const order = 1 + (i % RESTING);
  const side = (order - 1) % 2;
  const offset = 1 + ((i * 7919) % 200);
  return { type: 'ModifyOrder', request: 0, account: 1 + ((order - 1) % 100), order, clientOrderId: 0,
    price: side === Side.Buy ? CENTER - offset : CENTER + offset, qty: 1_000_000 };
}

/** Writes `entries` entries (set-up included) of real engine events into a new archive in `dir`. */
export async function writeHistory(dir: string, entries: number): Promise<void> {
  const archive = await Archive.open({ dir, fsync: 'never' });
  const engine = new Engine();
  const out = engine.out;
  const setup = setupCommands(200);
  let index = 0;
  const run = async (c: Command): Promise<void> => {
    const start = engine.execute(c, index + 1);
    index++;
    archive.add(index, 1, EntryType.Events, index, out.bytes(start, out.length));
    out.reset();
    if (index % 1024 === 0) await archive.flush();
  };
  for (const c of setup) await run(c);
  for (let i = 0; index < entries; i++) await run(command(i));
  await archive.close();
}
