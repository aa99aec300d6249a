/**
 * The open orders of the engine, struct-of-arrays: one slot per order in typed arrays, reused
 * through a free list, so placing and cancelling allocate nothing. An order is in one place:
 * ACTIVE (being matched within a command), BOOK (resting at a price level), or STOP (waiting
 * for its trigger). Per-account links keep each account's open orders in order-id order.
 */
import { assert } from '../assert.ts';
import { grow } from '../grow.ts';
import { PairIndex } from '../pair-index.ts';

export const NIL = -1;

export const Where = { Free: 0, Active: 1, Book: 2, Stop: 3 } as const;

export class Orders {
  capacity: number;
  count = 0;

  id: Float64Array;
  clientId: Float64Array;
  /** Limit price in ticks (a market order's protection limit). */
  price: Float64Array;
  stop: Float64Array;
  leaves: Float64Array;
  filled: Float64Array;
  /** What is held for this order, in the quote asset (buy) or base asset (sell). */
  hold: Float64Array;
  time: Float64Array;
  account: Int32Array;
  product: Int32Array;
  feeCarry: Int32Array;
  makerBps: Int32Array;
  takerBps: Int32Array;
  prev: Int32Array;
  next: Int32Array;
  level: Int32Array;
  accPrev: Int32Array;
  accNext: Int32Array;
  side: Uint8Array;
  type: Uint8Array;
  tif: Uint8Array;
  flags: Uint8Array;
  stp: Uint8Array;
  where: Uint8Array;

  private freeSlots: Int32Array;
  private freeTop = 0;
  private used = 0;

  readonly byId = new PairIndex(256);
  /** (clientOrderId, account) -> slot, for orders that have a client order id. */
  readonly byClient = new PairIndex(64);

  constructor(capacity = 256) {
    this.capacity = capacity;
    this.id = new Float64Array(capacity);
    this.clientId = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.stop = new Float64Array(capacity);
    this.leaves = new Float64Array(capacity);
    this.filled = new Float64Array(capacity);
    this.hold = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
    this.account = new Int32Array(capacity);
    this.product = new Int32Array(capacity);
    this.feeCarry = new Int32Array(capacity);
    this.makerBps = new Int32Array(capacity);
    this.takerBps = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.level = new Int32Array(capacity);
    this.accPrev = new Int32Array(capacity);
    this.accNext = new Int32Array(capacity);
    this.side = new Uint8Array(capacity);
    this.type = new Uint8Array(capacity);
    this.tif = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.stp = new Uint8Array(capacity);
    this.where = new Uint8Array(capacity);
    this.freeSlots = new Int32Array(capacity);
  }

  private lastId = 0;
  private lastSlot = NIL;

  /** The slot of an open order, or NIL. One command looks up the same order several times. */
  slotOf(orderId: number): number {
    if (orderId === this.lastId) return this.lastSlot;
    const slot = this.byId.get(orderId, 0);
    if (slot !== NIL) {
      this.lastId = orderId;
      this.lastSlot = slot;
    }
    return slot;
  }

  slotOfClient(account: number, clientOrderId: number): number {
    return this.byClient.get(clientOrderId, account);
  }

  alloc(orderId: number): number {
    let slot: number;
    if (this.freeTop > 0) {
      slot = this.freeSlots[--this.freeTop];
    } else {
      if (this.used === this.capacity) this.resize(this.capacity * 2);
      slot = this.used++;
    }
    this.id[slot] = orderId;
    this.prev[slot] = NIL;
    this.next[slot] = NIL;
    this.level[slot] = NIL;
    this.accPrev[slot] = NIL;
    this.accNext[slot] = NIL;
    this.byId.set(orderId, 0, slot);
    this.count++;
    return slot;
  }

  release(slot: number): void {
    assert(this.where[slot] !== Where.Free, 'release of a free order slot');
    this.byId.delete(this.id[slot], 0);
    if (this.lastSlot === slot) this.lastId = 0;
    const clientId = this.clientId[slot];
    if (clientId !== 0) this.byClient.delete(clientId, this.account[slot]);
    this.where[slot] = Where.Free;
    this.freeSlots[this.freeTop++] = slot;
    this.count--;
  }

  private resize(capacity: number): void {
    this.capacity = capacity;
    this.id = grow(this.id, capacity);
    this.clientId = grow(this.clientId, capacity);
    this.price = grow(this.price, capacity);
    this.stop = grow(this.stop, capacity);
    this.leaves = grow(this.leaves, capacity);
    this.filled = grow(this.filled, capacity);
    this.hold = grow(this.hold, capacity);
    this.time = grow(this.time, capacity);
    this.account = grow(this.account, capacity);
    this.product = grow(this.product, capacity);
    this.feeCarry = grow(this.feeCarry, capacity);
    this.makerBps = grow(this.makerBps, capacity);
    this.takerBps = grow(this.takerBps, capacity);
    this.prev = grow(this.prev, capacity);
    this.next = grow(this.next, capacity);
    this.level = grow(this.level, capacity);
    this.accPrev = grow(this.accPrev, capacity);
    this.accNext = grow(this.accNext, capacity);
    this.side = grow(this.side, capacity);
    this.type = grow(this.type, capacity);
    this.tif = grow(this.tif, capacity);
    this.flags = grow(this.flags, capacity);
    this.stp = grow(this.stp, capacity);
    this.where = grow(this.where, capacity);
    this.freeSlots = grow(this.freeSlots, capacity);
  }

  /** Bytes held by the pool and its indexes (for memory accounting). */
  byteSize(): number {
    const perSlot = 8 * 8 + 4 * 11 + 6;
    return this.capacity * perSlot + this.byId.byteSize() + this.byClient.byteSize();
  }
}
