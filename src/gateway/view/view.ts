/**
 * The gateways' read model (CQRS): a view of the committed state, built only from committed
 * entries (node.subscribe) — never from the engine's state, which on a leader runs ahead of
 * the commit index.
 *
 * A view keeps its own application State and applies each event to it with the application's
 * own `apply`, so its balances, open orders, books and products are the engine's to the unit by
 * construction, and it is derivable by replaying the log from index 1 like any engine. Only the
 * recent request ids, which serve deciding alone, it does not keep — but while it holds a
 * follower's state, which the follower decides with once it leads (node/read-model.ts). On top
 * of that State it keeps what reads and pushes need, each bounded (limits.ts): per product an L2
 * change count (seq), recent trades and a rolling volume; recent fills; recently ended orders;
 * listeners of L2 changes, trades, and each account's private updates.
 *
 * Per entry: each event is applied in turn and its effects noted — the book levels it changed,
 * its trade, fills and order updates (objects only for who listens). At the entry's end the
 * level changes get their seqs, the private updates the entry's request id, and all are
 * delivered: listeners run between entries, so they always see whole entries applied.
 */
import { FEE_ACCOUNT } from '../../application/accounts/accounts.ts';
import { apply } from '../../application/apply.ts';
import { assert, fail } from '../../application/assert.ts';
import { COMMANDS } from '../../application/commands.ts';
import { EventCode, F } from '../../application/events.ts';
import { headerSlots, headerType } from '../../application/layout.ts';
import { CancelReason, Side } from '../../application/matching/order-types.ts';
import { NIL } from '../../application/matching/orders.ts';
import type { Product } from '../../application/products/product.ts';
import { State } from '../../application/state.ts';
import { type Logger, silentLogger } from '../../log.ts';
import type { Node } from '../../node/node.ts';
import type { Subscription } from '../../node/subscribers.ts';
import { AccountStream } from './account-stream.ts';
import { depthOf, levelAt } from './book-levels.ts';
import { FillLog } from './fill-log.ts';
import { FinishedOrders } from './finished-orders.ts';
import { LevelChanges } from './level-changes.ts';
import { VIEW_LIMITS, type ViewLimits } from './limits.ts';
import { Listeners } from './listeners.ts';
import { Market } from './market.ts';
import { OrderFacts } from './order-facts.ts';
import type { AssetInfo, Balance, DepthSnapshot, OrderView, ProductInfo, Ticker } from './reads.ts';
import type { AccountUpdate, Fill, L2Update, OrderUpdateStatus, PublicTrade } from './updates.ts';

export interface ViewOptions {
  /** Overrides of VIEW_LIMITS. */
  limits?: Partial<ViewLimits>;
  /** Told of listeners that throw (they are removed). */
  logger?: Logger;
}

const { OrderAccepted, Trade, OrderRested, OrderCancelled, OrderModified, OrderReduced, StopTriggered, Rejected,
  Deposited, Withdrawn, ProductCreated, RequestRecorded, RequestDuplicate } = EventCode;

const PLACE_ORDER = COMMANDS.PlaceOrder.code;

export class View {
  /** The committed state. Read it (say, API keys for sign-in); never change it. */
  readonly state = new State();
  readonly limits: Readonly<ViewLimits>;
  /** Index of the last entry applied (0: none). */
  lastIndex = 0;
  /** Time of the last entry applied (µs): the "now" of the rolling volumes. */
  timestampUs = 0;

  private readonly markets: (Market | undefined)[] = [undefined];
  private readonly fillLog: FillLog;
  private readonly finished: FinishedOrders;
  private readonly changes = new LevelChanges();
  private readonly bookListeners: Listeners<L2Update>;
  private readonly tradeListeners: Listeners<PublicTrade>;
  private readonly accounts: AccountStream;
  /** Scratch order facts: an event's order (a trade's maker; a modify's order after it). */
  private readonly facts = new OrderFacts();
  /** Scratch order facts: a trade's taker; a modify's order before it. */
  private readonly other = new OrderFacts();

  // The entry being applied.
  private entryIndex = 0;
  private request = 0;
  private requestAccount = 0;
  private fillMark = 0;
  private readonly levelUpdates: L2Update[] = [];
  private readonly tradeUpdates: PublicTrade[] = [];
  /** Set while an entry is half applied: a failure there leaves the view unusable. */
  private applying = false;
  /** Request ids are applied too: the view holds a follower's state (node/read-model.ts). */
  keepsRequests = false;

  constructor(options: ViewOptions = {}) {
    const limits = { ...VIEW_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`view limit ${name} must be a positive integer`);
    }
    this.limits = limits;
    const logger = options.logger ?? silentLogger;
    this.fillLog = new FillLog(limits.fillLog);
    this.finished = new FinishedOrders(limits.finishedOrders);
    this.bookListeners = new Listeners('view: book listeners', limits.listeners, logger);
    this.tradeListeners = new Listeners('view: trade listeners', limits.listeners, logger);
    this.accounts = new AccountStream(new Listeners('view: account listeners', limits.listeners, logger));
  }

  /**
   * Feeds the view from `node`'s committed entries, from the first it has not applied (catching
   * up from the archive); on a follower the view then holds the node's state (node/read-model.ts).
   */
  follow(node: Pick<Node, 'feed'>): Subscription {
    return node.feed(this);
  }

  /**
   * Applies committed entry `index`, its events s[from, to); entries come in index order
   * (no-ops, which have no events, may be skipped).
   */
  apply(index: number, timestampUs: number, s: Float64Array, from: number, to: number): void {
    assert(!this.applying, 'an entry failed half applied: the view no longer matches the log');
    assert(index > this.lastIndex, 'entries come in index order, each once');
    this.applying = true;
    this.entryIndex = index;
    this.timestampUs = timestampUs;
    this.request = 0;
    this.requestAccount = 0;
    this.fillMark = this.fillLog.mark;
    let p = from;
    // The entry's time, also when the view applies none of its events (see `requested`).
    apply(this.state, s, p, p, this.timestampUs);
    // Bounded by the entry's records; each is at least its header.
    while (p < to) {
      const end = p + headerSlots(s[p]);
      assert(end > p && end <= to, 'an event record overruns its entry');
      this.event(headerType(s[p]), s, p, end);
      p = end;
    }
    this.lastIndex = index;
    this.endEntry();
    this.applying = false;
    this.deliver();
  }

  // ---- Events ----

  private event(type: number, s: Float64Array, p: number, end: number): void {
    switch (type) {
      case OrderAccepted: return this.accepted(s, p, end);
      case Trade: return this.trade(s, p, end);
      case OrderRested: return this.rested(s, p, end);
      case OrderCancelled: return this.cancelled(s, p, end);
      case OrderModified: return this.modified(s, p, end);
      case OrderReduced: return this.reduced(s, p, end);
      case StopTriggered: return this.triggered(s, p, end);
      case Rejected: return this.rejected(s, p, end);
      case Deposited:
      case Withdrawn: return this.transferred(s, p, end);
      case ProductCreated: return this.productCreated(s, p, end);
      case RequestRecorded: return this.requested(s, p, end, F.RequestRecorded);
      case RequestDuplicate: return this.requested(s, p, end, F.RequestDuplicate);
      // Reference data, API keys, duplicate transfers, and any event this view does not project.
      default: return this.applyEvent(s, p, end);
    }
  }

  private applyEvent(s: Float64Array, p: number, end: number): void {
    apply(this.state, s, p, end, this.timestampUs);
  }

  /** Captures open order `orderId` into `into`: the events name only open orders. */
  private capture(into: OrderFacts, orderId: number): OrderFacts {
    if (!into.capture(this.state.orders, orderId)) fail(`event for order ${orderId}, which is not open`);
    return into;
  }

  private accepted(s: Float64Array, p: number, end: number): void {
    this.applyEvent(s, p, end);
    const o = this.capture(this.facts, s[p + F.OrderAccepted.order]);
    this.holdChanged(o);
    this.orderUpdate(o, 'new', 0);
  }

  private trade(s: Float64Array, p: number, end: number): void {
    const f = F.Trade;
    const maker = this.capture(this.facts, s[p + f.makerOrder]);
    const taker = this.capture(this.other, s[p + f.takerOrder]);
    assert(maker.inBook && !taker.inBook, 'a trade is between a resting maker and a matching taker');
    this.applyEvent(s, p, end);
    const productId = s[p + f.product];
    const priceTicks = s[p + f.priceTicks];
    const lots = s[p + f.qtyLots];
    const takerSide = s[p + f.takerSide];
    this.changes.note(productId, takerSide === Side.Buy ? Side.Sell : Side.Buy, priceTicks);
    const market = this.market(productId);
    const trade = s[p + f.trade];
    market.tape.append(this.entryIndex, this.timestampUs, trade, priceTicks, lots, takerSide);
    market.volume.add(this.timestampUs, lots, s[p + f.quoteAmount]);
    if (this.tradeListeners.has(productId)) this.tradeUpdates.push(market.tape.at(market.tape.newest));
    const product = this.productOf(productId);
    this.filled(maker, trade, priceTicks, lots, s[p + f.makerFee], product, true);
    this.filled(taker, trade, priceTicks, lots, s[p + f.takerFee], product, false);
    if (s[p + f.makerFee] + s[p + f.takerFee] !== 0) this.accounts.balanceChanged(FEE_ACCOUNT, product.quote);
  }

  /** One side of a trade: `o` holds the order as it was before it. Both assets of its account changed. */
  private filled(o: OrderFacts, trade: number, priceTicks: number, lots: number, fee: number, product: Product, maker: boolean): void {
    const k = this.fillLog.mark;
    this.fillLog.append(this.entryIndex, this.timestampUs, o.account, trade, o.order, o.clientOrderId, o.product, o.side,
      priceTicks, lots, fee, product.quote, maker);
    this.accounts.balanceChanged(o.account, product.base);
    this.accounts.balanceChanged(o.account, product.quote);
    if (!o.capture(this.state.orders, o.order)) {
      o.filledUp(lots, this.timestampUs);
      this.finished.add(o);
    }
    if (!this.accounts.listening(o.account)) return;
    this.accounts.push(this.fillLog.fill(k));
    this.orderUpdate(o, o.status, 0);
  }

  private rested(s: Float64Array, p: number, end: number): void {
    this.applyEvent(s, p, end);
    const o = this.capture(this.facts, s[p + F.OrderRested.order]);
    this.changes.note(o.product, o.side, o.priceTicks);
  }

  private cancelled(s: Float64Array, p: number, end: number): void {
    const f = F.OrderCancelled;
    const o = this.capture(this.facts, s[p + f.order]);
    this.applyEvent(s, p, end);
    if (o.inBook) this.changes.note(o.product, o.side, o.priceTicks);
    const reason = s[p + f.reason];
    o.cancelled(reason, this.timestampUs);
    this.finished.add(o);
    if (s[p + f.released] !== 0) this.holdChanged(o);
    this.orderUpdate(o, 'cancelled', reason);
  }

  private modified(s: Float64Array, p: number, end: number): void {
    const f = F.OrderModified;
    const before = this.capture(this.other, s[p + f.order]);
    this.applyEvent(s, p, end);
    const after = this.capture(this.facts, before.order);
    // Modify takes resting orders only; it may leave the book to match (the events after it settle it).
    assert(before.inBook, 'modify of an order that is not in the book');
    this.changes.note(before.product, before.side, before.priceTicks);
    if (after.inBook && after.priceTicks !== before.priceTicks) this.changes.note(after.product, after.side, after.priceTicks);
    if (s[p + f.holdDelta] !== 0) this.holdChanged(after);
    this.orderUpdate(after, 'modified', 0);
  }

  private reduced(s: Float64Array, p: number, end: number): void {
    this.applyEvent(s, p, end);
    const o = this.capture(this.facts, s[p + F.OrderReduced.order]);
    if (o.inBook) this.changes.note(o.product, o.side, o.priceTicks);
    if (s[p + F.OrderReduced.released] !== 0) this.holdChanged(o);
    this.orderUpdate(o, 'modified', CancelReason.SelfTrade);
  }

  private triggered(s: Float64Array, p: number, end: number): void {
    this.applyEvent(s, p, end);
    this.orderUpdate(this.capture(this.facts, s[p + F.StopTriggered.order]), 'triggered', 0);
  }

  private rejected(s: Float64Array, p: number, end: number): void {
    const f = F.Rejected;
    this.applyEvent(s, p, end);
    const account = s[p + f.account];
    // Commands that name no account (reference data) say 0: the fee account did not send them.
    if (account === FEE_ACCOUNT || !this.accounts.listening(account)) return;
    const entryIndex = this.entryIndex;
    const timestampUs = this.timestampUs;
    const command = s[p + f.command];
    const reason = s[p + f.reason];
    const clientOrderId = s[p + f.clientOrderId];
    if (command === PLACE_ORDER) {
      this.accounts.push({ kind: 'order', entryIndex, timestampUs, account, request: 0, order: 0, clientOrderId, product: 0,
        side: 0, type: 0, status: 'rejected', priceTicks: 0, stopTicks: 0, qtyLots: 0, filledLots: 0, leavesLots: 0, reason });
    } else {
      this.accounts.push({ kind: 'command_rejected', entryIndex, timestampUs, account, request: 0, command, reason,
        order: s[p + f.order], clientOrderId, transfer: s[p + f.transfer] });
    }
  }

  private transferred(s: Float64Array, p: number, end: number): void {
    this.applyEvent(s, p, end);
    this.accounts.balanceChanged(s[p + F.Deposited.account], s[p + F.Deposited.asset]);
  }

  private productCreated(s: Float64Array, p: number, end: number): void {
    this.applyEvent(s, p, end);
    const id = s[p + F.ProductCreated.product];
    assert(id === this.markets.length, 'ProductCreated out of sequence');
    this.markets.push(new Market(id, this.limits.recentTradesPerProduct));
  }

  /**
   * The view's own State remembers no request ids: it never decides, and their index, touched at
   * random, cost each node as much again as the rest of an order's apply. (A RequestDuplicate
   * changes no state at all.)
   */
  private requested(s: Float64Array, p: number, end: number, f: typeof F.RequestRecorded): void {
    if (this.keepsRequests) this.applyEvent(s, p, end);
    this.request = s[p + f.request];
    this.requestAccount = s[p + f.account];
  }

  /** What `o` holds (the quote asset of a buy, the base of a sell) changed. */
  private holdChanged(o: OrderFacts): void {
    const product = this.productOf(o.product);
    this.accounts.balanceChanged(o.account, o.side === Side.Buy ? product.quote : product.base);
  }

  private orderUpdate(o: OrderFacts, status: OrderUpdateStatus, reason: number): void {
    if (this.accounts.listening(o.account)) this.accounts.push(o.update(status, reason, this.entryIndex, this.timestampUs));
  }

  /** Gives the entry's level changes their seqs and its fills their request id; updates are made for who listens. */
  private endEntry(): void {
    const changes = this.changes;
    const levels = this.state.levels;
    for (let i = 0; i < changes.length; i++) {
      const productId = changes.product(i);
      const seq = ++this.market(productId).seq;
      if (!this.bookListeners.has(productId)) continue;
      const product = this.productOf(productId);
      const side = changes.side(i);
      const priceTicks = changes.price(i);
      const level = levelAt(side === Side.Buy ? product.bids : product.asks, priceTicks);
      this.levelUpdates.push({
        product: productId, seq, side, priceTicks,
        qtyLots: level === NIL ? 0 : levels.total[level], orders: level === NIL ? 0 : levels.count[level],
      });
    }
    changes.clear();
    if (this.request !== 0) this.fillLog.tag(this.fillMark, this.requestAccount, this.request);
  }

  private deliver(): void {
    const entryIndex = this.entryIndex;
    // Most entries have nothing for anyone: emptying an empty array is not free.
    if (this.levelUpdates.length > 0) {
      for (const u of this.levelUpdates) this.bookListeners.deliver(u.product, u, entryIndex);
      this.levelUpdates.length = 0;
    }
    if (this.tradeUpdates.length > 0) {
      for (const t of this.tradeUpdates) this.tradeListeners.deliver(t.product, t, entryIndex);
      this.tradeUpdates.length = 0;
    }
    this.accounts.finish(entryIndex, this.timestampUs, this.state.accounts, this.request, this.requestAccount);
  }

  private market(productId: number): Market {
    const market = this.markets[productId];
    assert(market !== undefined, 'event of an unknown product');
    return market;
  }

  private productOf(productId: number): Product {
    const product = this.state.product(productId);
    assert(product !== undefined, 'event of an unknown product');
    return product;
  }

  // ---- Listeners: each returns its removal ----

  /** L2 changes of a product, from the next entry on: take a depth snapshot first, then apply updates with a greater seq. */
  onBook(product: number, listener: (update: L2Update) => void): () => void {
    return this.bookListeners.add(product, listener, this.lastIndex + 1);
  }

  onTrades(product: number, listener: (trade: PublicTrade) => void): () => void {
    return this.tradeListeners.add(product, listener, this.lastIndex + 1);
  }

  /**
   * Every change to the account's orders, fills and balances, and its rejected commands, from
   * the next entry on; balance updates only if `balances` (an order-entry session needs none).
   */
  onAccount(account: number, listener: (update: AccountUpdate) => void, balances = true): () => void {
    return this.accounts.add(account, listener, this.lastIndex + 1, balances);
  }

  /** Listeners registered now: book, trades, account. */
  get listenerCounts(): { book: number; trades: number; account: number } {
    return { book: this.bookListeners.count, trades: this.tradeListeners.count, account: this.accounts.listeners.count };
  }

  // ---- Reads ----

  assets(): AssetInfo[] {
    return this.state.assets.list.map((a) => ({ id: a.id, code: a.code, scale: a.scale }));
  }

  asset(id: number): AssetInfo | undefined {
    const a = this.state.assets.get(id);
    return a === undefined ? undefined : { id: a.id, code: a.code, scale: a.scale };
  }

  products(): ProductInfo[] {
    const out: ProductInfo[] = [];
    for (let id = 1; id < this.state.products.length; id++) out.push(this.info(this.productOf(id)));
    return out;
  }

  product(id: number): ProductInfo | undefined {
    const p = this.state.product(id);
    return p === undefined ? undefined : this.info(p);
  }

  productBySymbol(symbol: string): ProductInfo | undefined {
    const p = this.state.productsBySymbol.get(symbol);
    return p === undefined ? undefined : this.info(p);
  }

  private info(p: Product): ProductInfo {
    return {
      id: p.id, symbol: p.symbol, base: this.asset(p.base) as AssetInfo, quote: this.asset(p.quote) as AssetInfo,
      priceScale: p.priceScale, qtyScale: p.qtyScale, tickSize: p.tickSize, lotSize: p.lotSize, minQty: p.minQty,
      maxQty: p.maxQty, minNotional: p.minNotional, makerBps: p.makerBps, takerBps: p.takerBps,
      protectionTicks: p.protectionTicks, status: p.status,
    };
  }

  /** The best `levels` levels of each side (at most limits.depthLevels) and the seq they include. */
  depth(productId: number, levels = this.limits.depthLevels): DepthSnapshot | undefined {
    const p = this.state.product(productId);
    if (p === undefined) return undefined;
    const n = Math.min(Math.max(0, Math.floor(levels)), this.limits.depthLevels);
    const book = this.state.levels;
    return { product: productId, seq: this.market(productId).seq, bids: depthOf(p.bids, book, n), asks: depthOf(p.asks, book, n) };
  }

  ticker(productId: number): Ticker | undefined {
    const p = this.state.product(productId);
    if (p === undefined) return undefined;
    const { tape, volume } = this.market(productId);
    const last = tape.newest >= 0 ? tape.at(tape.newest) : undefined;
    const levels = this.state.levels;
    const bid = p.bids.best();
    const ask = p.asks.best();
    const ticker: Ticker = {
      product: productId, lastPriceTicks: p.lastPriceTicks, lastQtyLots: last?.qtyLots ?? 0, lastTradeUs: last?.timestampUs ?? 0,
      bidTicks: p.bids.bestPrice(), bidLots: bid === NIL ? 0 : levels.total[bid],
      askTicks: p.asks.bestPrice(), askLots: ask === NIL ? 0 : levels.total[ask],
      trades: 0, volumeLots: 0, quoteVolume: 0,
    };
    volume.sum(this.timestampUs, ticker);
    return ticker;
  }

  /** The product's newest trades, newest first (at most limits.recentTradesPerProduct). */
  trades(productId: number, limit = this.limits.recentTradesPerProduct): PublicTrade[] {
    return this.markets[productId]?.tape.recent(limit) ?? [];
  }

  /** Every asset's balance of the account, or undefined for an unknown account. */
  balances(account: number): Balance[] | undefined {
    const { accounts, assets } = this.state;
    if (!accounts.exists(account)) return undefined;
    return assets.list.map((a) => {
      const at = account * accounts.stride + a.id;
      return { asset: a.id, available: accounts.available[at], held: accounts.held[at] };
    });
  }

  /** The account's open orders (resting and waiting stops), oldest first; of one product if given. */
  openOrders(account: number, productId = 0): OrderView[] {
    const { accounts, orders } = this.state;
    const out: OrderView[] = [];
    if (!accounts.exists(account)) return out;
    const o = this.facts;
    // Bounded by the account's open orders (LIMITS.openOrdersPerAccount).
    for (let slot = accounts.head[account]; slot !== NIL; slot = orders.accNext[slot]) {
      if (productId !== 0 && orders.product[slot] !== productId) continue;
      o.read(orders, slot);
      out.push(o.view());
    }
    return out;
  }

  /** The account's order by id: open, or ended and still among the finished orders kept. */
  order(account: number, orderId: number): OrderView | undefined {
    const o = this.facts;
    if (!Number.isSafeInteger(orderId) || orderId <= 0) return undefined;
    if (o.capture(this.state.orders, orderId)) return o.account === account ? o.view() : undefined;
    return this.finished.find(account, orderId, o) ? o.view() : undefined;
  }

  /** The account's open order with this client order id, else the newest ended one kept. */
  orderByClientId(account: number, clientOrderId: number): OrderView | undefined {
    const orders = this.state.orders;
    const o = this.facts;
    if (!Number.isSafeInteger(clientOrderId) || clientOrderId <= 0) return undefined;
    const slot = orders.slotOfClient(account, clientOrderId);
    if (slot !== NIL) {
      o.read(orders, slot);
      return o.view();
    }
    return this.finished.findClient(account, clientOrderId, o) ? o.view() : undefined;
  }

  /** The account's newest fills still kept, newest first (at most limits.fillsPerAccount). */
  fills(account: number, limit = this.limits.fillsPerAccount): Fill[] {
    return this.fillLog.recent(account, Math.min(limit, this.limits.fillsPerAccount));
  }

  /** How full the bounded collections are (for monitoring, and the tests of the bounds). */
  get sizes(): { fillLog: number; finishedOrders: number; maxRecentTrades: number } {
    let maxRecentTrades = 0;
    for (const m of this.markets) if (m !== undefined) maxRecentTrades = Math.max(maxRecentTrades, m.tape.size);
    return { fillLog: this.fillLog.size, finishedOrders: this.finished.size, maxRecentTrades };
  }
}
