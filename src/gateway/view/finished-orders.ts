/**
 * Orders that ended (filled or cancelled), the newest `capacity` of them, so that looking an
 * order up by id — or by its client order id — still works right after it left the book.
 * A ring of columns with two indexes: order id -> position, and (client order id, account) ->
 * the position of the newest ended order with that client id (a client id is unique only among
 * open orders, so it may come back).
 */
import { PairIndex } from '../../application/pair-index.ts';
import type { OrderFacts } from './order-facts.ts';
import { Ring } from './ring.ts';

export class FinishedOrders {
  private readonly ring: Ring;
  private order: Float64Array;
  private account: Float64Array;
  private clientOrderId: Float64Array;
  private product: Int32Array;
  private side: Uint8Array;
  private type: Uint8Array;
  private tif: Uint8Array;
  private flags: Uint8Array;
  private reason: Uint8Array;
  private priceTicks: Float64Array;
  private stopTicks: Float64Array;
  private qtyLots: Float64Array;
  private filledLots: Float64Array;
  private acceptedUs: Float64Array;
  private finishedUs: Float64Array;
  private readonly byId: PairIndex;
  private readonly byClient: PairIndex;

  constructor(capacity: number) {
    this.ring = new Ring(capacity);
    this.byId = new PairIndex(capacity);
    this.byClient = new PairIndex(capacity);
    const n = capacity;
    this.order = new Float64Array(n);
    this.account = new Float64Array(n);
    this.clientOrderId = new Float64Array(n);
    this.product = new Int32Array(n);
    this.side = new Uint8Array(n);
    this.type = new Uint8Array(n);
    this.tif = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.reason = new Uint8Array(n);
    this.priceTicks = new Float64Array(n);
    this.stopTicks = new Float64Array(n);
    this.qtyLots = new Float64Array(n);
    this.filledLots = new Float64Array(n);
    this.acceptedUs = new Float64Array(n);
    this.finishedUs = new Float64Array(n);
  }

  get size(): number {
    return this.ring.size;
  }

  /** Records an order that has just ended. */
  add(o: OrderFacts): void {
    const full = this.ring.written >= this.ring.capacity;
    const at = this.ring.claim();
    if (full) this.forget(at);
    this.order[at] = o.order;
    this.account[at] = o.account;
    this.clientOrderId[at] = o.clientOrderId;
    this.product[at] = o.product;
    this.side[at] = o.side;
    this.type[at] = o.type;
    this.tif[at] = o.tif;
    this.flags[at] = o.flags;
    this.reason[at] = o.reason;
    this.priceTicks[at] = o.priceTicks;
    this.stopTicks[at] = o.stopTicks;
    this.qtyLots[at] = o.qtyLots;
    this.filledLots[at] = o.filledLots;
    this.acceptedUs[at] = o.acceptedUs;
    this.finishedUs[at] = o.finishedUs;
    this.byId.set(o.order, 0, at);
    if (o.clientOrderId !== 0) this.byClient.set(o.clientOrderId, o.account, at);
  }

  /** Loads the ended order `order` of `account` into `into`; false if it is not kept (or not the account's). */
  find(account: number, order: number, into: OrderFacts): boolean {
    const at = order > 0 ? this.byId.get(order, 0) : -1;
    return at !== -1 && this.account[at] === account && this.load(at, into);
  }

  /** Loads the newest ended order of `account` with this client order id into `into`; false if none is kept. */
  findClient(account: number, clientOrderId: number, into: OrderFacts): boolean {
    const at = clientOrderId > 0 ? this.byClient.get(clientOrderId, account) : -1;
    return at !== -1 && this.load(at, into);
  }

  private load(at: number, o: OrderFacts): true {
    o.order = this.order[at];
    o.account = this.account[at];
    o.clientOrderId = this.clientOrderId[at];
    o.product = this.product[at];
    o.side = this.side[at];
    o.type = this.type[at];
    o.tif = this.tif[at];
    o.flags = this.flags[at];
    o.priceTicks = this.priceTicks[at];
    o.stopTicks = this.stopTicks[at];
    o.qtyLots = this.qtyLots[at];
    o.filledLots = this.filledLots[at];
    o.leavesLots = 0;
    o.acceptedUs = this.acceptedUs[at];
    o.end(this.reason[at], this.finishedUs[at]);
    return true;
  }

  /** The oldest record is about to be overwritten at `at`: its index entries go. */
  private forget(at: number): void {
    this.byId.delete(this.order[at], 0);
    const clientOrderId = this.clientOrderId[at];
    if (clientOrderId !== 0 && this.byClient.get(clientOrderId, this.account[at]) === at) {
      this.byClient.delete(clientOrderId, this.account[at]);
    }
  }

}
