/** `decide` for the Product Manager: create and update products. Closing cancels every open order. */
import { COMMANDS, type CommandOf } from '../commands.ts';
import { EVENTS, EVENT_VERSION, type EventBuffer } from '../events.ts';
import { writeRecord } from '../layout.ts';
import { LIMITS } from '../limits.ts';
import type { BookSide } from '../matching/book-side.ts';
import { cancelOrder } from '../matching/cancel.ts';
import { NIL } from '../matching/orders.ts';
import { CancelReason } from '../matching/order-types.ts';
import { Reason } from '../reasons.ts';
import { reject } from '../reject.ts';
import type { State } from '../state.ts';
import type { Product } from './product.ts';
import { ProductStatus } from './status.ts';
import { checkProduct, termsProblem } from './validate.ts';

function intFieldsSafe(c: Readonly<Record<string, unknown>>, spec: (typeof COMMANDS)[keyof typeof COMMANDS]): boolean {
  for (const [name, kind] of spec.fields) if (kind === 'int' && !Number.isSafeInteger(c[name])) return false;
  return true;
}

export function decideCreateProduct(state: State, c: CommandOf<'CreateProduct'>, out: EventBuffer): void {
  const code = COMMANDS.CreateProduct.code;
  if (!intFieldsSafe(c, COMMANDS.CreateProduct)) return reject(out, Reason.NOT_SAFE_INTEGER, code);
  if (state.productsBySymbol.has(c.symbol)) return reject(out, Reason.DUPLICATE_PRODUCT, code);
  if (typeof checkProduct(c, state.assets) === 'string') return reject(out, Reason.INVALID_PRODUCT, code);
  if (state.products.length > LIMITS.products) return reject(out, Reason.LIMIT_REACHED, code);
  writeRecord(out, EVENTS.ProductCreated, EVENT_VERSION, { ...c, product: state.products.length });
}

export function decideUpdateProduct(state: State, c: CommandOf<'UpdateProduct'>, out: EventBuffer): void {
  const code = COMMANDS.UpdateProduct.code;
  if (!intFieldsSafe(c, COMMANDS.UpdateProduct)) return reject(out, Reason.NOT_SAFE_INTEGER, code);
  const product = state.product(c.product);
  if (product === undefined) return reject(out, Reason.UNKNOWN_PRODUCT, code);
  if (termsProblem(c, product.lotSize, product.basePerLot) !== undefined) {
    return reject(out, Reason.INVALID_PRODUCT, code);
  }
  if (c.status === ProductStatus.Closed && product.status !== ProductStatus.Closed) cancelEverything(state, product, out);
  writeRecord(out, EVENTS.ProductUpdated, EVENT_VERSION, c);
}

/** Cancels every open order of a product: bids, asks, then buy and sell stops, each in book order. */
function cancelEverything(state: State, product: Product, out: EventBuffer): void {
  for (const side of [product.bids, product.asks, product.buyStops, product.sellStops]) cancelSide(state, side, out);
}

function cancelSide(state: State, side: BookSide, out: EventBuffer): void {
  const { orders, levels } = state;
  for (let i = side.n - 1; i >= 0; i--) {
    for (let slot = levels.head[side.ids[i]]; slot !== NIL; slot = orders.next[slot]) {
      cancelOrder(state, slot, CancelReason.ProductClosed, out);
    }
  }
}
