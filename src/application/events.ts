/**
 * Events: every change of state, in the order `apply` must see them. One table defines each
 * event's fields; the hot writers below follow the table's order (a test checks each one
 * against the generic writer), and `apply` reads fields by the offsets derived from it.
 *
 * Prices are in ticks and quantities in lots of the event's product; amounts are integers in
 * the asset's own scale. An event carries everything `apply` needs: a follower never re-runs
 * matching or fee arithmetic.
 */
import {
  type RecordObject,
  type RecordSpec,
  SlotBuffer,
  headerOf,
  slotCount,
} from './layout.ts';

export const EVENT_VERSION = 1;

export const EVENTS = {
  AssetCreated: { code: 1, fields: [['asset', 'int'], ['scale', 'int'], ['code', 'str']] },
  ProductCreated: {
    code: 2,
    fields: [
      ['product', 'int'], ['base', 'int'], ['quote', 'int'], ['priceScale', 'int'], ['qtyScale', 'int'],
      ['tickSize', 'int'], ['lotSize', 'int'], ['minQty', 'int'], ['maxQty', 'int'], ['minNotional', 'int'],
      ['makerBps', 'int'], ['takerBps', 'int'], ['protectionTicks', 'int'], ['status', 'int'], ['symbol', 'str'],
    ],
  },
  ProductUpdated: {
    code: 3,
    fields: [
      ['product', 'int'], ['minQty', 'int'], ['maxQty', 'int'], ['minNotional', 'int'], ['makerBps', 'int'],
      ['takerBps', 'int'], ['protectionTicks', 'int'], ['status', 'int'],
    ],
  },
  AccountCreated: { code: 4, fields: [['account', 'int']] },
  Deposited: { code: 5, fields: [['transfer', 'int'], ['account', 'int'], ['asset', 'int'], ['amount', 'int']] },
  Withdrawn: { code: 6, fields: [['transfer', 'int'], ['account', 'int'], ['asset', 'int'], ['amount', 'int']] },
  /** A repeated transfer id: the first transfer's facts, changing nothing. `kind` is its event code. */
  TransferDuplicate: {
    code: 7,
    fields: [['transfer', 'int'], ['kind', 'int'], ['account', 'int'], ['asset', 'int'], ['amount', 'int']],
  },
  OrderAccepted: {
    code: 8,
    fields: [
      ['order', 'int'], ['account', 'int'], ['product', 'int'], ['clientOrderId', 'int'], ['side', 'int'],
      ['orderType', 'int'], ['tif', 'int'], ['flags', 'int'], ['stp', 'int'], ['priceTicks', 'int'],
      ['stopTicks', 'int'], ['qtyLots', 'int'], ['hold', 'int'], ['makerBps', 'int'], ['takerBps', 'int'],
    ],
  },
  Trade: {
    code: 9,
    fields: [
      ['trade', 'int'], ['product', 'int'], ['priceTicks', 'int'], ['qtyLots', 'int'], ['quoteAmount', 'int'],
      ['baseAmount', 'int'], ['makerOrder', 'int'], ['takerOrder', 'int'], ['makerAccount', 'int'],
      ['takerAccount', 'int'], ['takerSide', 'int'], ['makerFee', 'int'], ['takerFee', 'int'],
      ['makerRelease', 'int'], ['takerRelease', 'int'], ['makerFeeCarry', 'int'], ['takerFeeCarry', 'int'],
    ],
  },
  OrderRested: { code: 10, fields: [['order', 'int']] },
  OrderCancelled: {
    code: 11,
    fields: [['order', 'int'], ['reason', 'int'], ['qtyLots', 'int'], ['released', 'int']],
  },
  /** requeue: 0 keeps its place, 1 is matched again (events follow), 2 rests at once (Requeue). */
  OrderModified: {
    code: 12,
    fields: [['order', 'int'], ['priceTicks', 'int'], ['qtyLots', 'int'], ['holdDelta', 'int'], ['requeue', 'int']],
  },
  /** Self-trade prevention "decrement and cancel" took `qtyLots` off an order. */
  OrderReduced: { code: 13, fields: [['order', 'int'], ['qtyLots', 'int'], ['released', 'int']] },
  StopTriggered: { code: 14, fields: [['order', 'int'], ['priceTicks', 'int']] },
  Rejected: {
    code: 15,
    fields: [
      ['reason', 'int'], ['command', 'int'], ['account', 'int'], ['order', 'int'], ['clientOrderId', 'int'],
      ['transfer', 'int'],
    ],
  },
  /**
   * The outcome of a command that carried a request id, written last among its own events:
   * `order` is the order it placed, cancelled or modified (0 if none), `reason` 0 or the
   * reject reason.
   */
  RequestRecorded: {
    code: 16,
    fields: [['account', 'int'], ['request', 'int'], ['command', 'int'], ['order', 'int'], ['reason', 'int']],
  },
  /** A repeated request id: the first outcome, changing nothing. */
  RequestDuplicate: {
    code: 17,
    fields: [['account', 'int'], ['request', 'int'], ['command', 'int'], ['order', 'int'], ['reason', 'int']],
  },
  ApiKeyCreated: { code: 18, fields: [['key', 'int'], ['account', 'int'], ['salt1', 'int'], ['salt2', 'int']] },
  ApiKeyRevoked: { code: 19, fields: [['key', 'int'], ['account', 'int']] },
} as const satisfies Record<string, RecordSpec>;

export type EventName = keyof typeof EVENTS;
export type EventOf<N extends EventName> = { type: N } & RecordObject<(typeof EVENTS)[N]['fields']>;
export type Event = { [N in EventName]: EventOf<N> }[EventName];

export const EventCode = Object.fromEntries(
  Object.entries(EVENTS).map(([name, spec]) => [name, spec.code]),
) as { readonly [N in EventName]: (typeof EVENTS)[N]['code'] };

export const EVENT_BY_CODE: ReadonlyMap<number, EventName> = new Map(
  (Object.keys(EVENTS) as EventName[]).map((name) => [EVENTS[name].code, name]),
);

type Offsets<F extends readonly (readonly [string, string])[]> = { readonly [E in F[number] as E[0]]: number };

function offsetsOf<N extends EventName>(name: N): Offsets<(typeof EVENTS)[N]['fields']> {
  const offsets: Record<string, number> = {};
  let p = 1;
  for (const [field, kind] of EVENTS[name].fields) {
    offsets[field] = p;
    p += kind === 'str' ? 4 : 1;
  }
  return offsets as Offsets<(typeof EVENTS)[N]['fields']>;
}

/** Slot offsets of each field within its record (the header is offset 0). */
export const F = {
  AssetCreated: offsetsOf('AssetCreated'),
  ProductCreated: offsetsOf('ProductCreated'),
  ProductUpdated: offsetsOf('ProductUpdated'),
  AccountCreated: offsetsOf('AccountCreated'),
  Deposited: offsetsOf('Deposited'),
  Withdrawn: offsetsOf('Withdrawn'),
  TransferDuplicate: offsetsOf('TransferDuplicate'),
  OrderAccepted: offsetsOf('OrderAccepted'),
  Trade: offsetsOf('Trade'),
  OrderRested: offsetsOf('OrderRested'),
  OrderCancelled: offsetsOf('OrderCancelled'),
  OrderModified: offsetsOf('OrderModified'),
  OrderReduced: offsetsOf('OrderReduced'),
  StopTriggered: offsetsOf('StopTriggered'),
  Rejected: offsetsOf('Rejected'),
  RequestRecorded: offsetsOf('RequestRecorded'),
  RequestDuplicate: offsetsOf('RequestDuplicate'),
  ApiKeyCreated: offsetsOf('ApiKeyCreated'),
  ApiKeyRevoked: offsetsOf('ApiKeyRevoked'),
};

const H_ACCEPTED = headerOf(EVENTS.OrderAccepted, EVENT_VERSION);
const H_TRADE = headerOf(EVENTS.Trade, EVENT_VERSION);
const H_RESTED = headerOf(EVENTS.OrderRested, EVENT_VERSION);
const H_CANCELLED = headerOf(EVENTS.OrderCancelled, EVENT_VERSION);
const H_MODIFIED = headerOf(EVENTS.OrderModified, EVENT_VERSION);
const H_REDUCED = headerOf(EVENTS.OrderReduced, EVENT_VERSION);
const H_TRIGGERED = headerOf(EVENTS.StopTriggered, EVENT_VERSION);
const H_REJECTED = headerOf(EVENTS.Rejected, EVENT_VERSION);
const H_RECORDED = headerOf(EVENTS.RequestRecorded, EVENT_VERSION);
const H_DUPLICATE = headerOf(EVENTS.RequestDuplicate, EVENT_VERSION);
const N_ACCEPTED = slotCount(EVENTS.OrderAccepted);
const N_TRADE = slotCount(EVENTS.Trade);

/**
 * The events of one command, written in place. The writers are the hot path of `decide`:
 * positional arguments in the table's field order, no allocation.
 */
export class EventBuffer extends SlotBuffer {
  /** StopTriggered events written so far (lets the engine skip looking for them). */
  stopsTriggered = 0;

  orderAccepted(
    order: number, account: number, product: number, clientOrderId: number, side: number,
    orderType: number, tif: number, flags: number, stp: number, priceTicks: number,
    stopTicks: number, qtyLots: number, hold: number, makerBps: number, takerBps: number,
  ): void {
    const p = this.reserve(N_ACCEPTED);
    const s = this.slots;
    s[p] = H_ACCEPTED; s[p + 1] = order; s[p + 2] = account; s[p + 3] = product; s[p + 4] = clientOrderId;
    s[p + 5] = side; s[p + 6] = orderType; s[p + 7] = tif; s[p + 8] = flags; s[p + 9] = stp;
    s[p + 10] = priceTicks; s[p + 11] = stopTicks; s[p + 12] = qtyLots; s[p + 13] = hold;
    s[p + 14] = makerBps; s[p + 15] = takerBps;
  }

  trade(
    trade: number, product: number, priceTicks: number, qtyLots: number, quoteAmount: number,
    baseAmount: number, makerOrder: number, takerOrder: number, makerAccount: number, takerAccount: number,
    takerSide: number, makerFee: number, takerFee: number, makerRelease: number, takerRelease: number,
    makerFeeCarry: number, takerFeeCarry: number,
  ): void {
    const p = this.reserve(N_TRADE);
    const s = this.slots;
    s[p] = H_TRADE; s[p + 1] = trade; s[p + 2] = product; s[p + 3] = priceTicks; s[p + 4] = qtyLots;
    s[p + 5] = quoteAmount; s[p + 6] = baseAmount; s[p + 7] = makerOrder; s[p + 8] = takerOrder;
    s[p + 9] = makerAccount; s[p + 10] = takerAccount; s[p + 11] = takerSide; s[p + 12] = makerFee;
    s[p + 13] = takerFee; s[p + 14] = makerRelease; s[p + 15] = takerRelease; s[p + 16] = makerFeeCarry;
    s[p + 17] = takerFeeCarry;
  }

  orderRested(order: number): void {
    const p = this.reserve(2);
    this.slots[p] = H_RESTED;
    this.slots[p + 1] = order;
  }

  orderCancelled(order: number, reason: number, qtyLots: number, released: number): void {
    const p = this.reserve(5);
    const s = this.slots;
    s[p] = H_CANCELLED; s[p + 1] = order; s[p + 2] = reason; s[p + 3] = qtyLots; s[p + 4] = released;
  }

  orderModified(order: number, priceTicks: number, qtyLots: number, holdDelta: number, requeue: number): void {
    const p = this.reserve(6);
    const s = this.slots;
    s[p] = H_MODIFIED; s[p + 1] = order; s[p + 2] = priceTicks; s[p + 3] = qtyLots; s[p + 4] = holdDelta;
    s[p + 5] = requeue;
  }

  orderReduced(order: number, qtyLots: number, released: number): void {
    const p = this.reserve(4);
    const s = this.slots;
    s[p] = H_REDUCED; s[p + 1] = order; s[p + 2] = qtyLots; s[p + 3] = released;
  }

  stopTriggered(order: number, priceTicks: number): void {
    this.stopsTriggered++;
    const p = this.reserve(3);
    const s = this.slots;
    s[p] = H_TRIGGERED; s[p + 1] = order; s[p + 2] = priceTicks;
  }

  rejected(reason: number, command: number, account: number, order: number, clientOrderId: number, transfer: number): void {
    const p = this.reserve(7);
    const s = this.slots;
    s[p] = H_REJECTED; s[p + 1] = reason; s[p + 2] = command; s[p + 3] = account; s[p + 4] = order;
    s[p + 5] = clientOrderId; s[p + 6] = transfer;
  }

  requestRecorded(account: number, request: number, command: number, order: number, reason: number): void {
    this.request(H_RECORDED, account, request, command, order, reason);
  }

  requestDuplicate(account: number, request: number, command: number, order: number, reason: number): void {
    this.request(H_DUPLICATE, account, request, command, order, reason);
  }

  private request(header: number, account: number, request: number, command: number, order: number, reason: number): void {
    const p = this.reserve(6);
    const s = this.slots;
    s[p] = header; s[p + 1] = account; s[p + 2] = request; s[p + 3] = command; s[p + 4] = order; s[p + 5] = reason;
  }
}
