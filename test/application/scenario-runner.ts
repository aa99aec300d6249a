/**
 * Runs one scenario of the Markdown tables (see scenarios/README.md) against a real engine
 * and returns every difference from what the tables expect.
 */
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import type { Event } from '../../src/application/events.ts';
import { checkInvariants } from '../../src/application/invariants.ts';
import type { BookSide } from '../../src/application/matching/book-side.ts';
import { NIL } from '../../src/application/matching/orders.ts';
import { CancelReason, OrderType, Requeue, Side, Stp, TimeInForce } from '../../src/application/matching/order-types.ts';
import type { Product } from '../../src/application/products/product.ts';
import { ProductStatus } from '../../src/application/products/status.ts';
import { reasonName } from '../../src/application/reasons.ts';
import { State } from '../../src/application/state.ts';
import { stateHash } from '../../src/application/snapshot.ts';
import { eventsOf } from '../../src/codec/events.ts';
import { canonicalDecimal, fromScaled, toScaled } from './decimal.ts';
import type { Scenario, Table } from './markdown.ts';

const BTC = 1;
const USD = 2;
const ASSETS: Record<string, { id: number; scale: number }> = { BTC: { id: BTC, scale: 8 }, USD: { id: USD, scale: 6 } };
const ACCOUNTS: Record<string, number> = { fees: 0, alice: 1, bob: 2, carol: 3, dave: 4 };
const ACCOUNT_NAMES = Object.fromEntries(Object.entries(ACCOUNTS).map(([k, v]) => [v, k]));
const PRICE_SCALE = 2;
const QTY_SCALE = 4;

const STP: Record<string, number> = {
  'cancel newest': Stp.CancelNewest, 'cancel oldest': Stp.CancelOldest, 'cancel both': Stp.CancelBoth,
  'decrement and cancel': Stp.DecrementCancel,
};
const TYPES: Record<string, number> = {
  limit: OrderType.Limit, market: OrderType.Market, 'stop-limit': OrderType.StopLimit, 'stop-market': OrderType.StopMarket,
};
const CANCEL_REASONS: Record<number, string> = {
  [CancelReason.User]: 'user', [CancelReason.CancelAll]: 'cancel all', [CancelReason.SelfTrade]: 'self trade',
  [CancelReason.Expired]: 'expired', [CancelReason.ProductClosed]: 'product closed',
};
const REQUEUE: Record<number, string> = { [Requeue.Keep]: 'no', [Requeue.Match]: 'match', [Requeue.Rest]: 'rest' };
const EVENT_NAMES: Partial<Record<Event['type'], string>> = {
  OrderAccepted: 'accepted', Trade: 'trade', OrderRested: 'rested', OrderCancelled: 'cancelled',
  OrderModified: 'modified', OrderReduced: 'reduced', StopTriggered: 'triggered', Rejected: 'rejected',
  Deposited: 'deposited', Withdrawn: 'withdrawn', TransferDuplicate: 'duplicate transfer',
  ProductUpdated: 'product updated', ProductCreated: 'product created', AccountCreated: 'account created',
  AssetCreated: 'asset created',
};

interface Terms {
  tick: number;
  lot: number;
  minQty: number;
  maxQty: number;
  minNotional: number;
  makerBps: number;
  takerBps: number;
  protectionTicks: number;
}

export class ScenarioRun {
  readonly engine = new Engine();
  readonly problems: string[] = [];
  private time = 1;
  private readonly labels = new Map<string, number>();
  private readonly names = new Map<number, string>();
  private transfer = 1000;
  private terms: Terms;
  /** Every event of the run, for the replay check. */
  private readonly log: { slots: Float64Array; time: number }[] = [];

  constructor(private readonly scenario: Scenario) {
    this.terms = this.readTerms(scenario.settings.get('product') ?? '');
  }

  run(): string[] {
    this.setUp();
    const given = this.scenario.sections.get('given orders');
    if (given !== undefined) {
      for (const row of given.rows) {
        const events = this.execute(this.placeCommand({ ...row, command: 'place' }), row.order);
        const rejected = events.find((e) => e.type === 'Rejected');
        if (rejected !== undefined) this.problems.push(`given order ${row.order} was rejected: ${reasonName(rejected.reason)}`);
      }
    }
    const when = this.scenario.sections.get('when');
    const events: Event[] = [];
    if (when !== undefined) for (const row of when.rows) events.push(...this.execute(this.command(row), row.order));
    this.checkEvents(events);
    this.checkTrades(events);
    this.checkBook();
    this.checkStops();
    this.checkBalances();
    this.checkSoundness();
    return this.problems;
  }

  private get product(): Product {
    return this.engine.state.products[1] as Product;
  }

  private readTerms(text: string): Terms {
    const t: Terms = { tick: 1, lot: 1, minQty: 1, maxQty: 1000_0000, minNotional: 0, makerBps: 10, takerBps: 20, protectionTicks: 1000 };
    for (const part of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
      const m = /^([a-z ]+?)\s*=\s*(\S+)$/.exec(part);
      if (m === null) throw new Error(`bad product setting "${part}"`);
      const [, key, value] = m;
      if (key === 'tick') t.tick = toScaled(value, PRICE_SCALE);
      else if (key === 'lot') t.lot = toScaled(value, QTY_SCALE);
      else if (key === 'min qty') t.minQty = toScaled(value, QTY_SCALE);
      else if (key === 'max qty') t.maxQty = toScaled(value, QTY_SCALE);
      else if (key === 'min notional') t.minNotional = toScaled(value, ASSETS.USD.scale);
      else if (key === 'maker bps') t.makerBps = Number(value);
      else if (key === 'taker bps') t.takerBps = Number(value);
      else if (key === 'protection ticks') t.protectionTicks = Number(value);
      else throw new Error(`unknown product setting "${key}"`);
    }
    return t;
  }

  private setUp(): void {
    const t = this.terms;
    const setup: Command[] = [
      { type: 'CreateAsset', code: 'BTC', scale: 8 },
      { type: 'CreateAsset', code: 'USD', scale: 6 },
      {
        type: 'CreateProduct', symbol: 'BTC-USD', base: BTC, quote: USD, priceScale: PRICE_SCALE, qtyScale: QTY_SCALE,
        tickSize: t.tick, lotSize: t.lot, minQty: t.minQty, maxQty: t.maxQty, minNotional: t.minNotional,
        makerBps: t.makerBps, takerBps: t.takerBps, protectionTicks: t.protectionTicks, status: ProductStatus.Trading,
      },
    ];
    for (let i = 0; i < 4; i++) setup.push({ type: 'CreateAccount' });
    const deposits = this.scenario.sections.get('given deposits');
    if (deposits === undefined) {
      for (const account of [1, 2, 3, 4]) {
        setup.push({ type: 'Deposit', transfer: this.transfer++, account, asset: USD, amount: 1_000_000_000_000 });
        setup.push({ type: 'Deposit', transfer: this.transfer++, account, asset: BTC, amount: 100_00000000 });
      }
    } else {
      for (const row of deposits.rows) {
        const asset = ASSETS[row.asset];
        setup.push({ type: 'Deposit', transfer: this.transfer++, account: this.account(row.account), asset: asset.id,
          amount: toScaled(row.amount, asset.scale) });
      }
    }
    for (const c of setup) {
      const events = this.execute(c, '');
      if (events.some((e) => e.type === 'Rejected')) throw new Error(`scenario set-up was rejected: ${JSON.stringify(c)}`);
    }
  }

  private execute(command: Command, label: string | undefined): Event[] {
    const out = this.engine.out;
    const time = this.time++;
    const start = this.engine.execute(command, time);
    this.log.push({ slots: out.slots.slice(start, out.length), time });
    const events = eventsOf(out.slots, start, out.length);
    out.reset();
    const accepted = events.find((e) => e.type === 'OrderAccepted');
    for (const e of events) if (e.type === 'OrderAccepted') this.sideOf.set(e.order, e.side);
    if (label !== undefined && label !== '' && command.type === 'PlaceOrder' && accepted !== undefined) {
      this.labels.set(label, accepted.order);
      this.names.set(accepted.order, label);
    }
    return events;
  }

  private account(name: string): number {
    const id = ACCOUNTS[name];
    if (id === undefined) {
      const n = Number(name);
      if (Number.isSafeInteger(n)) return n;
      throw new Error(`unknown account "${name}"`);
    }
    return id;
  }

  private order(label: string | undefined): number {
    if (label === undefined || label === '') return 0;
    const id = this.labels.get(label);
    if (id !== undefined) return id;
    const n = Number(label);
    if (Number.isSafeInteger(n)) return n;
    throw new Error(`unknown order label "${label}"`);
  }

  /** BTC-USD (the default, product 1) or a product id, e.g. 2 for a product that does not exist. */
  private productId(text: string | undefined): number {
    return text === undefined || text === '' || text === 'BTC-USD' ? 1 : Number(text);
  }

  private price(text: string | undefined): number {
    return text === undefined || text === '' ? 0 : toScaled(text, PRICE_SCALE);
  }

  private qty(text: string | undefined): number {
    return text === undefined || text === '' ? 0 : toScaled(text, QTY_SCALE);
  }

  private placeCommand(row: Record<string, string>): Command {
    const type = TYPES[row.type || 'limit'];
    if (type === undefined) throw new Error(`unknown order type "${row.type}"`);
    const defaultTif = type === OrderType.Market || type === OrderType.StopMarket ? 'IOC' : 'GTC';
    const tif = TimeInForce[(row.tif || defaultTif) as keyof typeof TimeInForce] ?? Number(row.tif);
    const stp = row.stp ? STP[row.stp] ?? Number(row.stp) : Stp.CancelNewest;
    return {
      type: 'PlaceOrder', request: 0, account: this.account(row.account), product: this.productId(row.product),
      clientOrderId: row['client id'] ? Number(row['client id']) : 0,
      side: row.side === 'sell' ? Side.Sell : Side.Buy, orderType: type, tif, postOnly: row['post only'] === 'yes' ? 1 : 0, stp,
      price: this.price(row.price), qty: this.qty(row.qty),
      quoteBudget: row.budget ? toScaled(row.budget, ASSETS.USD.scale) : 0, stopPrice: this.price(row.stop),
    };
  }

  private command(row: Record<string, string>): Command {
    const account = row.account ? this.account(row.account) : 0;
    const p = this.product;
    const status = (s: number): Command => ({
      type: 'UpdateProduct', product: 1, minQty: p.minQty, maxQty: p.maxQty, minNotional: p.minNotional,
      makerBps: p.makerBps, takerBps: p.takerBps, protectionTicks: p.protectionTicks, status: s,
    });
    /** A cell of an `update` row, or the product's current value when the cell is empty. */
    const term = (column: string, current: number, read: (text: string) => number): number =>
      row[column] ? read(row[column]) : current;
    switch (row.command) {
      case 'place': return this.placeCommand(row);
      case 'cancel':
        return { type: 'CancelOrder', request: 0, account, order: this.order(row.order), clientOrderId: row['client id'] ? Number(row['client id']) : 0 };
      case 'cancel all': return { type: 'CancelAll', request: 0, account, product: row.product === 'all' ? 0 : this.productId(row.product) };
      case 'modify':
        return { type: 'ModifyOrder', request: 0, account, order: this.order(row.order),
          clientOrderId: row['client id'] ? Number(row['client id']) : 0, price: this.price(row.price), qty: this.qty(row.qty) };
      case 'deposit':
      case 'withdraw': {
        const asset = ASSETS[row.asset];
        return { type: row.command === 'deposit' ? 'Deposit' : 'Withdraw', transfer: Number(row.transfer), account,
          asset: asset?.id ?? Number(row.asset), amount: toScaled(row.amount, asset?.scale ?? 0) };
      }
      case 'halt': return status(ProductStatus.Halted);
      case 'resume': return status(ProductStatus.Trading);
      case 'close': return status(ProductStatus.Closed);
      case 'update':
        return {
          type: 'UpdateProduct', product: 1, status: p.status,
          minQty: term('min qty', p.minQty, (v) => toScaled(v, QTY_SCALE)),
          maxQty: term('max qty', p.maxQty, (v) => toScaled(v, QTY_SCALE)),
          minNotional: term('min notional', p.minNotional, (v) => toScaled(v, ASSETS.USD.scale)),
          makerBps: term('maker bps', p.makerBps, Number),
          takerBps: term('taker bps', p.takerBps, Number),
          protectionTicks: term('protection ticks', p.protectionTicks, Number),
        };
      default: throw new Error(`unknown command "${row.command}"`);
    }
  }

  private label(id: number): string {
    return this.names.get(id) ?? String(id);
  }

  /** The readable cells of an event, in the units of the tables. */
  private describe(e: Event): Record<string, string> {
    const usd = (v: number): string => fromScaled(v, ASSETS.USD.scale);
    const price = (ticks: number): string => fromScaled(ticks * this.product.tickSize, PRICE_SCALE);
    const qty = (lots: number): string => fromScaled(lots * this.product.lotSize, QTY_SCALE);
    const held = (order: number, v: number): string => {
      const side = this.sideOf.get(order);
      return fromScaled(v, side === Side.Sell ? ASSETS.BTC.scale : ASSETS.USD.scale);
    };
    const name = EVENT_NAMES[e.type] ?? e.type;
    switch (e.type) {
      case 'OrderAccepted':
        return { event: name, order: this.label(e.order), account: ACCOUNT_NAMES[e.account], price: price(e.priceTicks),
          qty: qty(e.qtyLots), stop: price(e.stopTicks), hold: held(e.order, e.hold) };
      case 'Trade':
        return { event: name, maker: this.label(e.makerOrder), taker: this.label(e.takerOrder), price: price(e.priceTicks),
          qty: qty(e.qtyLots), 'maker fee': usd(e.makerFee), 'taker fee': usd(e.takerFee), quote: usd(e.quoteAmount),
          base: fromScaled(e.baseAmount, ASSETS.BTC.scale), 'maker released': held(e.makerOrder, e.makerRelease),
          'taker released': held(e.takerOrder, e.takerRelease) };
      case 'OrderRested': return { event: name, order: this.label(e.order) };
      case 'OrderCancelled':
        return { event: name, order: this.label(e.order), reason: CANCEL_REASONS[e.reason], qty: qty(e.qtyLots),
          released: held(e.order, e.released) };
      case 'OrderModified':
        return { event: name, order: this.label(e.order), price: price(e.priceTicks), qty: qty(e.qtyLots),
          requeue: REQUEUE[e.requeue], 'hold change': held(e.order, e.holdDelta) };
      case 'OrderReduced':
        return { event: name, order: this.label(e.order), qty: qty(e.qtyLots), released: held(e.order, e.released) };
      case 'StopTriggered': return { event: name, order: this.label(e.order), price: price(e.priceTicks) };
      case 'Rejected': return { event: name, reason: reasonName(e.reason) ?? String(e.reason) };
      case 'Deposited':
      case 'Withdrawn':
      case 'TransferDuplicate': {
        const asset = Object.entries(ASSETS).find(([, a]) => a.id === e.asset);
        return { event: name, account: ACCOUNT_NAMES[e.account], asset: asset?.[0] ?? String(e.asset),
          amount: fromScaled(e.amount, asset?.[1].scale ?? 0) };
      }
      default: return { event: name };
    }
  }

  private readonly sideOf = new Map<number, number>();

  private same(column: string, expected: string, actual: string | undefined): boolean {
    if (actual === undefined) return false;
    if (expected === actual) return true;
    const a = canonicalDecimal(expected);
    if (a !== undefined && a === canonicalDecimal(actual)) return true;
    return column === 'reason' && expected.replace(/ /g, '_').toUpperCase() === actual.replace(/ /g, '_').toUpperCase();
  }

  private compareRows(what: string, table: Table, actual: Record<string, string>[]): void {
    const rows = Math.max(table.rows.length, actual.length);
    for (let i = 0; i < rows; i++) {
      const want = table.rows[i];
      const got = actual[i];
      if (want === undefined) { this.problems.push(`${what} row ${i + 1}: unexpected ${JSON.stringify(got)}`); continue; }
      if (got === undefined) { this.problems.push(`${what} row ${i + 1}: missing ${JSON.stringify(want)}`); continue; }
      for (const column of table.columns) {
        const expected = want[column];
        if (expected === '' || expected === undefined) continue;
        if (!this.same(column, expected, got[column])) {
          this.problems.push(`${what} row ${i + 1} ${column}: expected ${expected}, got ${got[column]} (${JSON.stringify(got)})`);
        }
      }
    }
  }

  private checkEvents(events: Event[]): void {
    const table = this.scenario.sections.get('then events');
    if (table !== undefined) this.compareRows('events', table, events.map((e) => this.describe(e)));
  }

  private checkTrades(events: Event[]): void {
    const table = this.scenario.sections.get('then trades');
    if (table === undefined) return;
    this.compareRows('trades', table, events.filter((e) => e.type === 'Trade').map((e) => this.describe(e)));
  }

  private sideRows(side: 'buy' | 'sell', book: BookSide): Record<string, string>[] {
    const { orders, levels } = this.engine.state;
    const rows: Record<string, string>[] = [];
    for (let i = book.n - 1; i >= 0; i--) {
      for (let slot = levels.head[book.ids[i]]; slot !== NIL; slot = orders.next[slot]) {
        rows.push({
          side, order: this.label(orders.id[slot]),
          price: fromScaled(orders.price[slot] * this.product.tickSize, PRICE_SCALE),
          stop: fromScaled(orders.stop[slot] * this.product.tickSize, PRICE_SCALE),
          qty: fromScaled(orders.leaves[slot] * this.product.lotSize, QTY_SCALE),
          account: ACCOUNT_NAMES[orders.account[slot]],
        });
      }
    }
    return rows;
  }

  private checkBook(): void {
    const table = this.scenario.sections.get('then book');
    if (table === undefined) return;
    const p = this.product;
    this.compareRows('book', table, [...this.sideRows('buy', p.bids), ...this.sideRows('sell', p.asks)]);
  }

  private checkStops(): void {
    const table = this.scenario.sections.get('then stops');
    if (table === undefined) return;
    const p = this.product;
    this.compareRows('stops', table, [...this.sideRows('buy', p.buyStops), ...this.sideRows('sell', p.sellStops)]);
  }

  private checkBalances(): void {
    const table = this.scenario.sections.get('then balances');
    if (table === undefined) return;
    const accounts = this.engine.state.accounts;
    for (const row of table.rows) {
      const asset = ASSETS[row.asset];
      const at = this.account(row.account) * accounts.stride + asset.id;
      for (const column of ['available', 'held'] as const) {
        if (row[column] === undefined || row[column] === '') continue;
        const actual = column === 'available' ? accounts.available[at] : accounts.held[at];
        if (toScaled(row[column], asset.scale) !== actual) {
          this.problems.push(`balance ${row.account} ${row.asset} ${column}: expected ${row[column]}, got ${fromScaled(actual, asset.scale)}`);
        }
      }
    }
  }

  /** Every scenario also checks the invariants and that replaying its events rebuilds its state. */
  private checkSoundness(): void {
    for (const p of checkInvariants(this.engine.state)) this.problems.push(`invariant: ${p}`);
    const replay = new Engine(new State());
    for (const entry of this.log) replay.apply(entry.slots, 0, entry.slots.length, entry.time);
    if (stateHash(replay.state) !== stateHash(this.engine.state)) this.problems.push('replaying the events gives another state');
  }
}
