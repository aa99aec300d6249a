/**
 * The fills of all accounts in one ring (the newest `capacity`), each linked to the previous
 * fill of its account: an account's recent fills are read newest first along its links, until
 * a link leaves the ring. One ring rather than one per account bounds the memory whatever the
 * number of accounts; the price is that an account's older fills go once the exchange as a
 * whole made `capacity` newer ones.
 */
import { grow } from '../../application/grow.ts';
import { Ring } from './ring.ts';
import type { Fill } from './updates.ts';

const MAKER = 0;
const TAKER = 1;

export class FillLog {
  private readonly ring: Ring;
  private entryIndex: Float64Array;
  private timestampUs: Float64Array;
  private account: Float64Array;
  private request: Float64Array;
  private trade: Float64Array;
  private order: Float64Array;
  private clientOrderId: Float64Array;
  private priceTicks: Float64Array;
  private qtyLots: Float64Array;
  private fee: Float64Array;
  private product: Int32Array;
  private feeAsset: Int32Array;
  private side: Uint8Array;
  private liquidity: Uint8Array;
  /** Per record: the number of its account's previous fill, or -1. */
  private previous: Float64Array;
  /** Per account: the number of its newest fill, or -1. */
  private newest = new Float64Array(64).fill(-1);

  constructor(capacity: number) {
    this.ring = new Ring(capacity);
    const n = capacity;
    this.entryIndex = new Float64Array(n);
    this.timestampUs = new Float64Array(n);
    this.account = new Float64Array(n);
    this.request = new Float64Array(n);
    this.trade = new Float64Array(n);
    this.order = new Float64Array(n);
    this.clientOrderId = new Float64Array(n);
    this.priceTicks = new Float64Array(n);
    this.qtyLots = new Float64Array(n);
    this.fee = new Float64Array(n);
    this.product = new Int32Array(n);
    this.feeAsset = new Int32Array(n);
    this.side = new Uint8Array(n);
    this.liquidity = new Uint8Array(n);
    this.previous = new Float64Array(n);
  }

  get size(): number {
    return this.ring.size;
  }

  /** Number of the next fill appended: the fills of an entry are those from its mark on. */
  get mark(): number {
    return this.ring.written;
  }

  append(
    entryIndex: number, timestampUs: number, account: number, trade: number, order: number, clientOrderId: number,
    product: number, side: number, priceTicks: number, qtyLots: number, fee: number, feeAsset: number, maker: boolean,
  ): void {
    const k = this.ring.written;
    const at = this.ring.claim();
    if (account >= this.newest.length) this.newest = grow(this.newest, Math.max(account + 1, this.newest.length * 2), -1);
    this.entryIndex[at] = entryIndex;
    this.timestampUs[at] = timestampUs;
    this.account[at] = account;
    this.request[at] = 0;
    this.trade[at] = trade;
    this.order[at] = order;
    this.clientOrderId[at] = clientOrderId;
    this.product[at] = product;
    this.side[at] = side;
    this.priceTicks[at] = priceTicks;
    this.qtyLots[at] = qtyLots;
    this.fee[at] = fee;
    this.feeAsset[at] = feeAsset;
    this.liquidity[at] = maker ? MAKER : TAKER;
    this.previous[at] = this.newest[account];
    this.newest[account] = k;
  }

  /** Tags the fills of `account` from number `from` on with the request id of their entry. */
  tag(from: number, account: number, request: number): void {
    // Bounded by the fills of one entry.
    for (let k = Math.max(from, this.ring.written - this.ring.capacity); k < this.ring.written; k++) {
      const at = this.ring.position(k);
      if (this.account[at] === account) this.request[at] = request;
    }
  }

  /** Fill number `k` as an object. */
  fill(k: number): Fill {
    const at = this.ring.position(k);
    return {
      kind: 'fill', entryIndex: this.entryIndex[at], timestampUs: this.timestampUs[at], account: this.account[at],
      request: this.request[at], trade: this.trade[at], order: this.order[at], clientOrderId: this.clientOrderId[at],
      product: this.product[at], side: this.side[at], priceTicks: this.priceTicks[at], qtyLots: this.qtyLots[at],
      fee: this.fee[at], feeAsset: this.feeAsset[at], liquidity: this.liquidity[at] === MAKER ? 'maker' : 'taker',
    };
  }

  /** The newest fills of `account` still kept, newest first, at most `limit`. */
  recent(account: number, limit: number): Fill[] {
    const out: Fill[] = [];
    let k = account >= 0 && account < this.newest.length ? this.newest[account] : -1;
    while (out.length < limit && this.ring.holds(k)) {
      out.push(this.fill(k));
      k = this.previous[this.ring.position(k)];
    }
    return out;
  }

}
