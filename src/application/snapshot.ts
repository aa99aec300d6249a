/**
 * Snapshot: the whole state in a canonical binary form (slots, as everywhere), and the state
 * hash: SHA-256 of that form. Canonical means independent of how the state was reached:
 * tables in id order, books in price-time order, transfers sorted by id, and nothing of the
 * internal slot numbering. decode(encode(s)) encodes to the same bytes, so to the same hash.
 */
import { createHash } from 'node:crypto';
import { assert } from './assert.ts';
import { LIMITS } from './limits.ts';
import { STRING_SLOTS, SlotBuffer, packString, unpackString } from './layout.ts';
import type { BookSide } from './matching/book-side.ts';
import { NIL, Where } from './matching/orders.ts';
import { OrderType } from './matching/order-types.ts';
import { Product, type ProductSpec } from './products/product.ts';
import { checkProduct } from './products/validate.ts';
import { REQUEST_SLOTS } from './requests/recent-requests.ts';
import { State } from './state.ts';

const MAGIC = 0x42535353; // "BSSS"
export const SNAPSHOT_VERSION = 2;

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

const ORDER_SLOTS = 17;

/** What a snapshot leaves out: a read model's State remembers no request ids (see gateway/view). */
export interface SnapshotScope {
  requests: boolean;
}

const WHOLE: Readonly<SnapshotScope> = { requests: true };

export function encodeSnapshot(state: State, out = new SlotBuffer(1 << 16), scope: Readonly<SnapshotScope> = WHOLE): Uint8Array {
  const steps = encodeSnapshotSteps(state, out, scope, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * The encoding in steps: pauses (yields) each time about `stepSlots` more slots are written, so
 * that a node can encode a copy of its state between other work and never stop for the whole
 * of it (tens of ms for a full ring of request ids). Done, it returns the encoding.
 */
export function* encodeSnapshotSteps(state: State, out: SlotBuffer, scope: Readonly<SnapshotScope>, stepSlots: number): Generator<void, Uint8Array> {
  const start = out.length;
  let pausedAt = start;
  const put = (...values: number[]): void => {
    const at = out.reserve(values.length);
    for (let i = 0; i < values.length; i++) out.slots[at + i] = values[i];
  };
  /** Whether to pause here: `stepSlots` written since the last pause. */
  const due = (): boolean => {
    if (out.length - pausedAt < stepSlots) return false;
    pausedAt = out.length;
    return true;
  };
  // Reserved before the slots are read: reserving may grow (replace) them.
  const putString = (s: string): void => {
    const at = out.reserve(STRING_SLOTS);
    packString(s, out.slots, at);
  };
  put(MAGIC, SNAPSHOT_VERSION, state.nextOrderId, state.nextTradeId, state.timestampUs);
  put(state.assets.count);
  for (const a of state.assets.list) {
    put(a.id, a.scale, a.supply);
    putString(a.code);
  }
  const { accounts } = state;
  const assetCount = state.assets.count;
  put(accounts.count);
  for (let account = 0; account < accounts.count; account++) {
    const at = out.reserve(assetCount * 2);
    for (let asset = 1; asset <= assetCount; asset++) {
      out.slots[at + (asset - 1) * 2] = accounts.available[account * accounts.stride + asset];
      out.slots[at + (asset - 1) * 2 + 1] = accounts.held[account * accounts.stride + asset];
    }
    if (due()) yield;
  }
  put(state.products.length - 1);
  for (let id = 1; id < state.products.length; id++) {
    const p = state.products[id] as Product;
    put(p.id, p.base, p.quote, p.priceScale, p.qtyScale, p.tickSize, p.lotSize, p.minQty, p.maxQty, p.minNotional,
      p.makerBps, p.takerBps, p.protectionTicks, p.status, p.lastPriceTicks);
    putString(p.symbol);
    for (const side of [p.bids, p.asks, p.buyStops, p.sellStops]) yield* encodeSide(state, side, out, due);
    if (due()) yield;
  }
  const transfers = [...state.transfers.entries()].sort((x, y) => x[0] - y[0]);
  put(transfers.length);
  for (const [id, t] of transfers) {
    put(id, t.kind, t.account, t.asset, t.amount);
    if (due()) yield;
  }
  // Oldest first: the order in which they expire.
  const requests = scope.requests ? state.requests : undefined;
  put(requests?.size ?? 0);
  for (let i = 0; requests !== undefined && i < requests.size; i++) {
    const at = out.reserve(REQUEST_SLOTS);
    requests.encodeOne(i, out.slots, at);
    if (due()) yield;
  }
  const keys = state.apiKeys;
  put(keys.count);
  for (let key = 1; key <= keys.count; key++) {
    put(keys.account[key], keys.salt1[key], keys.salt2[key], keys.revoked[key]);
    if (due()) yield;
  }
  return out.bytes(start);
}

function* encodeSide(state: State, side: BookSide, out: SlotBuffer, due: () => boolean): Generator<void> {
  const { orders, levels } = state;
  let count = 0;
  for (let i = 0; i < side.n; i++) count += levels.count[side.ids[i]];
  const countAt = out.reserve(1);
  out.slots[countAt] = count;
  for (let i = side.n - 1; i >= 0; i--) {
    for (let slot = levels.head[side.ids[i]]; slot !== NIL; slot = orders.next[slot]) {
      const at = out.reserve(ORDER_SLOTS);
      const s = out.slots;
      s[at] = orders.id[slot]; s[at + 1] = orders.account[slot]; s[at + 2] = orders.clientId[slot];
      s[at + 3] = orders.side[slot]; s[at + 4] = orders.type[slot]; s[at + 5] = orders.tif[slot];
      s[at + 6] = orders.flags[slot]; s[at + 7] = orders.stp[slot]; s[at + 8] = orders.price[slot];
      s[at + 9] = orders.stop[slot]; s[at + 10] = orders.leaves[slot]; s[at + 11] = orders.filled[slot];
      s[at + 12] = orders.hold[slot]; s[at + 13] = orders.time[slot]; s[at + 14] = orders.feeCarry[slot];
      s[at + 15] = orders.makerBps[slot]; s[at + 16] = orders.takerBps[slot];
      if (due()) yield;
    }
  }
}

export function stateHash(state: State, scope: Readonly<SnapshotScope> = WHOLE): string {
  return createHash('sha256').update(encodeSnapshot(state, undefined, scope)).digest('hex');
}

/** Reads slots with bounds checks: a short or malformed snapshot is a SnapshotError. */
class Reader {
  at = 0;
  constructor(private readonly slots: Float64Array) {}

  int(what: string): number {
    if (this.at >= this.slots.length) throw new SnapshotError(`snapshot ends inside ${what}`);
    const v = this.slots[this.at++];
    if (!Number.isSafeInteger(v)) throw new SnapshotError(`snapshot ${what} is not a safe integer`);
    return v;
  }

  count(what: string, max: number): number {
    const n = this.int(what);
    if (n < 0 || n > max) throw new SnapshotError(`snapshot ${what} ${n} is out of range`);
    return n;
  }

  string(what: string): string {
    if (this.at + STRING_SLOTS > this.slots.length) throw new SnapshotError(`snapshot ends inside ${what}`);
    const s = unpackString(this.slots, this.at);
    if (s === undefined) throw new SnapshotError(`snapshot ${what} is not a valid name`);
    this.at += STRING_SLOTS;
    return s;
  }

  get done(): boolean {
    return this.at === this.slots.length;
  }
}

export function decodeSnapshot(slots: Float64Array): State {
  const r = new Reader(slots);
  if (r.int('magic') !== MAGIC) throw new SnapshotError('not a Bourse snapshot (bad magic)');
  const version = r.int('version');
  if (version !== SNAPSHOT_VERSION) throw new SnapshotError(`snapshot version ${version} is not ${SNAPSHOT_VERSION}`);
  const state = new State();
  state.nextOrderId = r.int('next order id');
  state.nextTradeId = r.int('next trade id');
  state.timestampUs = r.int('timestamp');
  const assetCount = r.count('asset count', LIMITS.assets);
  for (let i = 0; i < assetCount; i++) {
    const id = r.int('asset id');
    const scale = r.int('asset scale');
    const supply = r.int('asset supply');
    if (id !== i + 1) throw new SnapshotError('snapshot assets out of order');
    state.assets.add(id, r.string('asset code'), scale, supply);
    state.accounts.ensureAsset(id);
  }
  decodeAccounts(r, state, assetCount);
  const productCount = r.count('product count', LIMITS.products);
  for (let i = 0; i < productCount; i++) decodeProduct(r, state, i + 1);
  const transferCount = r.count('transfer count', LIMITS.transfers);
  for (let i = 0; i < transferCount; i++) {
    const id = r.int('transfer id');
    state.transfers.set(id, { kind: r.int('transfer kind'), account: r.int('transfer account'),
      asset: r.int('transfer asset'), amount: r.int('transfer amount') });
  }
  decodeRequests(r, state);
  decodeApiKeys(r, state);
  if (!r.done) throw new SnapshotError('snapshot has bytes after its end');
  linkAccountOrders(state);
  return state;
}

function decodeRequests(r: Reader, state: State): void {
  const count = r.count('request count', LIMITS.recentRequests);
  let lastUs = 0;
  for (let i = 0; i < count; i++) {
    const account = r.int('request account');
    const request = r.int('request id');
    const command = r.int('request command');
    const order = r.int('request order');
    const reason = r.int('request reason');
    const timeUs = r.int('request time');
    const known = state.accounts.exists(account) && account > 0 && request > 0 && state.requests.find(account, request) === -1;
    if (!known || timeUs < lastUs) throw new SnapshotError(`snapshot request ${request} of account ${account} is invalid`);
    lastUs = timeUs;
    state.requests.record(account, request, command, order, reason, timeUs);
  }
}

function decodeApiKeys(r: Reader, state: State): void {
  const count = r.count('API key count', LIMITS.apiKeys);
  for (let key = 1; key <= count; key++) {
    const account = r.int('API key account');
    const salt1 = r.int('API key salt');
    const salt2 = r.int('API key salt');
    const revoked = r.int('API key revoked');
    if (!state.accounts.exists(account) || account === 0 || (revoked !== 0 && revoked !== 1)) {
      throw new SnapshotError(`snapshot API key ${key} is invalid`);
    }
    state.apiKeys.add(key, account, salt1, salt2);
    if (revoked === 1) state.apiKeys.revoke(key);
  }
}

function decodeAccounts(r: Reader, state: State, assetCount: number): void {
  const accounts = state.accounts;
  const count = r.count('account count', LIMITS.accounts);
  if (count < 1) throw new SnapshotError('snapshot has no fee account');
  for (let i = 1; i < count; i++) accounts.add();
  for (let account = 0; account < count; account++) {
    for (let asset = 1; asset <= assetCount; asset++) {
      accounts.available[account * accounts.stride + asset] = r.int('available balance');
      accounts.held[account * accounts.stride + asset] = r.int('held balance');
    }
  }
}

function decodeProduct(r: Reader, state: State, expectedId: number): void {
  const id = r.int('product id');
  if (id !== expectedId) throw new SnapshotError('snapshot products out of order');
  const spec: ProductSpec = {
    base: r.int('base'), quote: r.int('quote'), priceScale: r.int('price scale'), qtyScale: r.int('qty scale'),
    tickSize: r.int('tick size'), lotSize: r.int('lot size'), minQty: r.int('min qty'), maxQty: r.int('max qty'),
    minNotional: r.int('min notional'), makerBps: r.int('maker bps'), takerBps: r.int('taker bps'),
    protectionTicks: r.int('protection ticks'), status: r.int('status'), symbol: '',
  };
  const lastPriceTicks = r.int('last price');
  spec.symbol = r.string('symbol');
  const c = checkProduct(spec, state.assets);
  if (typeof c === 'string') throw new SnapshotError(`snapshot product ${spec.symbol}: ${c}`);
  const product = new Product(id, spec, c.quotePerTickLot, c.basePerLot, state.levels, state.orders);
  product.lastPriceTicks = lastPriceTicks;
  state.products.push(product);
  state.productsBySymbol.set(spec.symbol, product);
  decodeSide(r, state, product, product.bids, Where.Book);
  decodeSide(r, state, product, product.asks, Where.Book);
  decodeSide(r, state, product, product.buyStops, Where.Stop);
  decodeSide(r, state, product, product.sellStops, Where.Stop);
}

function decodeSide(r: Reader, state: State, product: Product, side: BookSide, where: number): void {
  const orders = state.orders;
  const count = r.count('order count', LIMITS.openOrders);
  for (let i = 0; i < count; i++) {
    const id = r.int('order id');
    if (id <= 0 || id >= state.nextOrderId || orders.slotOf(id) !== NIL) throw new SnapshotError(`snapshot order id ${id} is invalid`);
    const slot = orders.alloc(id);
    orders.product[slot] = product.id;
    orders.account[slot] = r.int('order account');
    orders.clientId[slot] = r.int('client order id');
    orders.side[slot] = r.int('side');
    orders.type[slot] = r.int('order type');
    orders.tif[slot] = r.int('tif');
    orders.flags[slot] = r.int('flags');
    orders.stp[slot] = r.int('stp');
    orders.price[slot] = r.int('price');
    orders.stop[slot] = r.int('stop');
    orders.leaves[slot] = r.int('leaves');
    orders.filled[slot] = r.int('filled');
    orders.hold[slot] = r.int('hold');
    orders.time[slot] = r.int('time');
    orders.feeCarry[slot] = r.int('fee carry');
    orders.makerBps[slot] = r.int('maker bps');
    orders.takerBps[slot] = r.int('taker bps');
    if (!state.accounts.exists(orders.account[slot])) throw new SnapshotError(`snapshot order ${id} has no account`);
    // A waiting stop must be a stop order; a triggered stop-limit may rest in the book.
    const isStop = orders.type[slot] === OrderType.StopLimit || orders.type[slot] === OrderType.StopMarket;
    if (where === Where.Stop && !isStop) throw new SnapshotError(`snapshot order ${id} waits as a stop but is not one`);
    orders.where[slot] = where;
    side.append(slot, where === Where.Stop ? orders.stop[slot] : orders.price[slot]);
    if (orders.clientId[slot] !== 0) orders.byClient.set(orders.clientId[slot], orders.account[slot], slot);
  }
}

/** Rebuilds each account's list of open orders in order-id order. */
function linkAccountOrders(state: State): void {
  const { orders, accounts } = state;
  const slots: number[] = [];
  for (let slot = 0; slot < orders.capacity; slot++) if (orders.where[slot] !== Where.Free) slots.push(slot);
  slots.sort((a, b) => orders.id[a] - orders.id[b]);
  for (const slot of slots) {
    const account = orders.account[slot];
    const tail = accounts.tail[account];
    orders.accPrev[slot] = tail;
    orders.accNext[slot] = NIL;
    if (tail === NIL) accounts.head[account] = slot;
    else orders.accNext[tail] = slot;
    accounts.tail[account] = slot;
    accounts.openCount[account]++;
  }
  assert(orders.count === slots.length, 'snapshot order count mismatch');
}
