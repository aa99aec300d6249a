/**
 * Orders that ended (filled or cancelled), the newest `capacity` of them, so that looking an
 * order up by id — or by its client order id — still works right after it left the book.
 * A ring of columns with two indexes (the keys are compared in the ring): order id -> position
 * (a DirectIndex: ids come from a counter, and orders end in about the order they were placed),
 * and (client order id, account) -> the position of the newest ended order with that client id
 * (a RingIndex: a client id is unique only among open orders, so it may come back).
 */
import { DirectIndex } from '../../application/direct-index.ts';
import { hashPair } from '../../application/pair-index.ts';
import { RingIndex } from '../../application/ring-index.ts';
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
  private readonly byId: DirectIndex;
  private readonly byClient: RingIndex;

  constructor(capacity: number) {
    this.ring = new Ring(capacity);
    this.byId = new DirectIndex(capacity);
    this.byClient = new RingIndex(capacity);
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
    // An order ends once: its id is not indexed yet.
    this.byId.insert(o.order, o.order, 0, at);
    if (o.clientOrderId !== 0) {
      const hash = hashPair(o.clientOrderId, o.account);
      const older = this.clientPosition(o.account, o.clientOrderId, hash);
      if (older !== -1) this.byClient.remove(hash, older);
      this.byClient.insert(hash, at);
    }
  }

  /** Loads the ended order `order` of `account` into `into`; false if it is not kept (or not the account's). */
  find(account: number, order: number, into: OrderFacts): boolean {
    const at = order > 0 ? this.position(order) : -1;
    return at !== -1 && this.account[at] === account && this.load(at, into);
  }

  /** Loads the newest ended order of `account` with this client order id into `into`; false if none is kept. */
  findClient(account: number, clientOrderId: number, into: OrderFacts): boolean {
    const at = clientOrderId > 0 ? this.clientPosition(account, clientOrderId, hashPair(clientOrderId, account)) : -1;
    return at !== -1 && this.load(at, into);
  }

  /** The position of ended order `order`, or -1. */
  private position(order: number): number {
    return this.byId.find(order, this.order, order, undefined, 0);
  }

  /** The position of the newest ended order of `account` with this client order id (whose hash is `hash`), or -1. */
  private clientPosition(account: number, clientOrderId: number, hash: number): number {
    return this.byClient.find(hash, this.clientOrderId, clientOrderId, this.account, account);
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
    this.byId.remove(this.order[at], this.order[at], 0, at);
    // A newer ended order with the same client id took its place in that index, if any.
    const clientOrderId = this.clientOrderId[at];
    if (clientOrderId !== 0) this.byClient.remove(hashPair(clientOrderId, this.account[at]), at);
  }

}
