/**
 * Whole-state invariants, checked by the tests after every command (and available to a node
 * in a checking mode). Returns the violations found, empty when the state is sound.
 */
import { buyNeed } from './holds/fees.ts';
import { NIL, Where } from './matching/orders.ts';
import { OrderFlag, Side } from './matching/order-types.ts';
import type { Product } from './products/product.ts';
import type { State } from './state.ts';

export function checkInvariants(state: State): string[] {
  const problems: string[] = [];
  checkBalances(state, problems);
  checkOrders(state, problems);
  for (let id = 1; id < state.products.length; id++) checkBook(state, state.products[id] as Product, problems);
  return problems;
}

function checkBalances(state: State, problems: string[]): void {
  const { accounts, assets } = state;
  for (const asset of assets.list) {
    let total = 0;
    for (let a = 0; a < accounts.count; a++) {
      const available = accounts.available[a * accounts.stride + asset.id];
      const held = accounts.held[a * accounts.stride + asset.id];
      if (available < 0 || held < 0) problems.push(`account ${a} ${asset.code} is negative`);
      total += available + held;
    }
    if (total !== asset.supply) problems.push(`${asset.code}: balances sum to ${total}, supply is ${asset.supply}`);
  }
}

function checkOrders(state: State, problems: string[]): void {
  const { accounts, orders } = state;
  const held = new Map<number, number>();
  let open = 0;
  for (let a = 0; a < accounts.count; a++) {
    let n = 0;
    let lastId = 0;
    for (let slot = accounts.head[a]; slot !== NIL; slot = orders.accNext[slot]) {
      n++;
      open++;
      const id = orders.id[slot];
      if (id <= lastId) problems.push(`account ${a} open orders are not in id order`);
      lastId = id;
      if (orders.where[slot] !== Where.Book && orders.where[slot] !== Where.Stop) problems.push(`order ${id} is not resting`);
      const product = state.products[orders.product[slot]] as Product;
      const isBuy = orders.side[slot] === Side.Buy;
      const need = isBuy
        ? buyNeed(orders.price[slot], orders.leaves[slot], orders.feeCarry[slot], orders.takerBps[slot], product.quotePerTickLot)
        : orders.leaves[slot] * product.basePerLot;
      if ((orders.flags[slot] & OrderFlag.Budget) !== 0) problems.push(`budget order ${id} is resting`);
      if (orders.hold[slot] !== need) problems.push(`order ${id} holds ${orders.hold[slot]}, needs ${need}`);
      if (orders.leaves[slot] <= 0) problems.push(`order ${id} rests with no quantity`);
      const key = a * accounts.stride + (isBuy ? product.quote : product.base);
      held.set(key, (held.get(key) ?? 0) + orders.hold[slot]);
    }
    if (n !== accounts.openCount[a]) problems.push(`account ${a} counts ${accounts.openCount[a]} open orders, has ${n}`);
  }
  if (open !== orders.count) problems.push(`${orders.count} orders are open, ${open} are listed by accounts`);
  for (let a = 0; a < accounts.count; a++) {
    for (const asset of state.assets.list) {
      const key = a * accounts.stride + asset.id;
      const want = held.get(key) ?? 0;
      if (accounts.held[key] !== want) problems.push(`account ${a} ${asset.code} held ${accounts.held[key]}, orders need ${want}`);
    }
  }
}

function checkBook(state: State, product: Product, problems: string[]): void {
  const { orders, levels } = state;
  const bid = product.bids.bestPrice();
  const ask = product.asks.bestPrice();
  if (bid !== 0 && ask !== 0 && bid >= ask) problems.push(`${product.symbol} is crossed: bid ${bid} >= ask ${ask}`);
  for (const side of [product.bids, product.asks, product.buyStops, product.sellStops]) {
    for (let i = 0; i < side.n; i++) {
      if (i > 0 && side.keys[i] <= side.keys[i - 1]) problems.push(`${product.symbol} levels out of order`);
      const level = side.ids[i];
      let total = 0;
      let count = 0;
      for (let slot = levels.head[level]; slot !== NIL; slot = orders.next[slot]) {
        total += orders.leaves[slot];
        count++;
        if (orders.level[slot] !== level) problems.push(`order ${orders.id[slot]} points at another level`);
      }
      if (count === 0 && i === side.n - 1) problems.push(`${product.symbol} has an empty best level`);
      if (total !== levels.total[level] || count !== levels.count[level]) {
        problems.push(`${product.symbol} level ${levels.price[level]} totals ${levels.total[level]}/${levels.count[level]}, orders ${total}/${count}`);
      }
    }
  }
}
