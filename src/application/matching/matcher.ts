/**
 * The matching walk of `decide`: an aggressor against the opposite side of a book, in price-time
 * priority, writing Trade, self-trade and StopTriggered events. It never changes the state: an
 * aggressor meets each resting order at most once, so it only reads the book and keeps its own
 * remaining quantity, hold and fee carry in the fields below (scratch, not state).
 */
import { assert } from '../assert.ts';
import type { EventBuffer } from '../events.ts';
import { buyNeed, carryAfter, feeUp } from '../holds/fees.ts';
import type { Product } from '../products/product.ts';
import type { State } from '../state.ts';
import { NIL } from './orders.ts';
import { CancelReason, Side, Stp, TimeInForce } from './order-types.ts';
import { StopCursor } from './stop-cursor.ts';

export class Matcher {
  order = 0;
  account = 0;
  side = 0;
  /** Worst price the aggressor accepts, in ticks. */
  limit = 0;
  /** Unfilled lots (unused by a budget order). */
  leaves = 0;
  /** What the aggressor still holds: for a budget order, the budget left. */
  hold = 0;
  carry = 0;
  /** The aggressor's taker fee rate, also the rate its hold covers. */
  bps = 0;
  stp = 0;
  budget = false;
  /** Self-trade prevention cancelled the aggressor. */
  cancelled = false;
  /** Self-trade prevention took quantity off the aggressor without a trade. */
  decremented = false;
  private nextTrade = 0;
  private stopsReady = false;
  private readonly buyStops = new StopCursor();
  private readonly sellStops = new StopCursor();

  constructor(
    private readonly state: State,
    private readonly out: EventBuffer,
  ) {}

  begin(
    order: number, account: number, side: number, limit: number, leaves: number, hold: number,
    carry: number, bps: number, stp: number, budget: boolean,
  ): void {
    this.order = order;
    this.account = account;
    this.side = side;
    this.limit = limit;
    this.leaves = leaves;
    this.hold = hold;
    this.carry = carry;
    this.bps = bps;
    this.stp = stp;
    this.budget = budget;
    this.cancelled = false;
    this.decremented = false;
    this.nextTrade = this.state.nextTradeId;
  }

  /**
   * Matches, then settles the rest: GTC rests, IOC and market orders expire. A FOK order that
   * does not fill completely — self-trade prevention cancelling or decrementing any part of it
   * counts as not filling — has everything written since `mark` undone; then it returns false.
   */
  settle(product: Product, tif: number, mark: number): boolean {
    this.run(product);
    const open = this.budget || this.leaves > 0;
    if (tif === TimeInForce.FOK && (this.cancelled || this.decremented || open)) {
      this.out.truncate(mark);
      return false;
    }
    if (this.cancelled || !open) return true;
    if (tif === TimeInForce.GTC) this.out.orderRested(this.order);
    else this.out.orderCancelled(this.order, CancelReason.Expired, this.leaves, this.hold);
    return true;
  }

  private run(product: Product): void {
    const { orders, levels } = this.state;
    const book = this.side === Side.Buy ? product.asks : product.bids;
    const bound = book.sign * this.limit;
    // Most aggressors trade nothing: the stop cursors are set up at the first trade.
    this.stopsReady = false;
    for (let i = book.n - 1; i >= 0 && book.keys[i] >= bound; i--) {
      const level = book.ids[i];
      const price = levels.price[level];
      let maker = levels.head[level];
      while (maker !== NIL) {
        const next = orders.next[maker];
        const more = orders.account[maker] === this.account ? this.selfTrade(product, maker) : this.fill(product, maker, price);
        if (!more) return;
        maker = next;
      }
    }
  }

  /** Trades with one resting order; true if the aggressor goes on to the next. */
  private fill(product: Product, maker: number, price: number): boolean {
    const orders = this.state.orders;
    const perLot = price * product.quotePerTickLot;
    const makerLeaves = orders.leaves[maker];
    let lots: number;
    if (this.budget) {
      lots = this.budgetLots(perLot, makerLeaves);
      if (lots === 0) return false;
    } else {
      lots = this.leaves < makerLeaves ? this.leaves : makerLeaves;
    }
    const quote = perLot * lots;
    const base = lots * product.basePerLot;
    const takerFee = feeUp(this.carry, quote, this.bps);
    const takerCarry = carryAfter(this.carry, quote, this.bps, takerFee);
    const makerBps = orders.makerBps[maker];
    const makerFee = feeUp(orders.feeCarry[maker], quote, makerBps);
    const makerCarry = carryAfter(orders.feeCarry[maker], quote, makerBps, makerFee);
    const makerLeft = makerLeaves - lots;
    const takerLeft = this.budget ? 0 : this.leaves - lots;
    let takerNeed: number;
    let takerRelease: number;
    let makerRelease: number;
    if (this.side === Side.Buy) {
      const cost = quote + takerFee;
      takerNeed = this.budget ? this.hold - cost : buyNeed(this.limit, takerLeft, takerCarry, this.bps, product.quotePerTickLot);
      takerRelease = this.hold - cost - takerNeed;
      makerRelease = orders.hold[maker] - base - makerLeft * product.basePerLot;
    } else {
      takerNeed = takerLeft * product.basePerLot;
      takerRelease = this.hold - base - takerNeed;
      const makerNeed = buyNeed(orders.price[maker], makerLeft, makerCarry, orders.takerBps[maker], product.quotePerTickLot);
      makerRelease = orders.hold[maker] - quote - makerFee - makerNeed;
    }
    assert(takerRelease >= 0 && makerRelease >= 0, 'a hold does not cover its fill');
    this.out.trade(
      this.nextTrade++, product.id, price, lots, quote, base, orders.id[maker], this.order, orders.account[maker],
      this.account, this.side, makerFee, takerFee, makerRelease, takerRelease, makerCarry, takerCarry,
    );
    this.leaves = takerLeft;
    this.hold = takerNeed;
    this.carry = takerCarry;
    this.trigger(product, price);
    return makerLeft === 0 && (this.budget || takerLeft > 0);
  }

  /**
   * Emits StopTriggered for every stop a trade at `price` reaches: each side in the order a
   * moving price meets its stops, the two sides merged oldest first.
   */
  private trigger(product: Product, price: number): void {
    const { orders, levels } = this.state;
    if (!this.stopsReady) {
      this.buyStops.reset(product.buyStops, levels);
      this.sellStops.reset(product.sellStops, levels);
      this.stopsReady = true;
    }
    // Bounded: each pass hands out one stop, and each stop only once.
    for (;;) {
      const buy = this.buyStops.peek(product.buyStops, levels, price);
      const sell = this.sellStops.peek(product.sellStops, levels, price);
      if (buy === NIL && sell === NIL) return;
      const takeBuy = sell === NIL || (buy !== NIL && orders.id[buy] < orders.id[sell]);
      const slot = takeBuy ? buy : sell;
      this.out.stopTriggered(orders.id[slot], price);
      (takeBuy ? this.buyStops : this.sellStops).advance(orders);
    }
  }

  /** The most lots a budget buys at one price, fee included, without passing the budget. */
  private budgetLots(perLot: number, maxLots: number): number {
    const budget = this.hold;
    let lots = Math.floor(budget / (perLot + (perLot * this.bps) / 10_000));
    if (lots > maxLots) lots = maxLots;
    let steps = 0;
    while (lots > 0 && this.cost(perLot, lots) > budget) {
      lots--;
      assert(++steps < 8, 'budget estimate off by more than a few lots');
    }
    while (lots < maxLots && this.cost(perLot, lots + 1) <= budget) {
      lots++;
      assert(++steps < 8, 'budget estimate off by more than a few lots');
    }
    return lots;
  }

  private cost(perLot: number, lots: number): number {
    const notional = perLot * lots;
    return notional + feeUp(this.carry, notional, this.bps);
  }

  /** The aggressor meets an order of its own account; true if it goes on to the next. */
  private selfTrade(product: Product, maker: number): boolean {
    switch (this.stp) {
      case Stp.CancelOldest:
        this.cancelMaker(maker);
        return true;
      case Stp.CancelBoth:
        this.cancelMaker(maker);
        this.cancelTaker();
        return false;
      case Stp.DecrementCancel:
        // A budget has no quantity to decrement: it is cancelled as with cancel-newest.
        if (!this.budget) return this.decrement(product, maker);
        this.cancelTaker();
        return false;
      default:
        this.cancelTaker();
        return false;
    }
  }

  /** Decrement-and-cancel: both lose the smaller quantity; an order left with none is cancelled. */
  private decrement(product: Product, maker: number): boolean {
    const orders = this.state.orders;
    const makerLeaves = orders.leaves[maker];
    const lots = this.leaves < makerLeaves ? this.leaves : makerLeaves;
    if (makerLeaves === lots) {
      this.cancelMaker(maker);
    } else {
      const left = makerLeaves - lots;
      const need = orders.side[maker] === Side.Buy
        ? buyNeed(orders.price[maker], left, orders.feeCarry[maker], orders.takerBps[maker], product.quotePerTickLot)
        : left * product.basePerLot;
      this.out.orderReduced(orders.id[maker], lots, orders.hold[maker] - need);
    }
    if (this.leaves === lots) {
      this.cancelTaker();
      return false;
    }
    const left = this.leaves - lots;
    const need = this.side === Side.Buy
      ? buyNeed(this.limit, left, this.carry, this.bps, product.quotePerTickLot)
      : left * product.basePerLot;
    this.out.orderReduced(this.order, lots, this.hold - need);
    this.leaves = left;
    this.hold = need;
    this.decremented = true;
    return true;
  }

  private cancelMaker(maker: number): void {
    const orders = this.state.orders;
    this.out.orderCancelled(orders.id[maker], CancelReason.SelfTrade, orders.leaves[maker], orders.hold[maker]);
  }

  private cancelTaker(): void {
    this.out.orderCancelled(this.order, CancelReason.SelfTrade, this.leaves, this.hold);
    this.leaves = 0;
    this.hold = 0;
    this.cancelled = true;
  }
}
