/**
 * What a view pushes to its listeners. Prices are in ticks and quantities in lots of the
 * product, amounts in the asset's scale, sides the engine's codes (Side: 0 buy, 1 sell).
 *
 * Private updates (AccountUpdate) of one entry reach an account's listeners in commit order:
 * its order updates and fills as the entry's events make them, then one BalanceUpdate per
 * (asset) the entry changed, with the balance after the entry. `request` is the client request
 * id of the entry's command (its RequestRecorded) on the updates of the account that sent it,
 * 0 on every other update (a maker's fill is no answer to the taker's request).
 */

/** An order's state, as reads report it. */
export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'cancelled';

/**
 * What happened to an order: its new state, or `rejected` (a PlaceOrder refused: no order
 * exists), `modified` (a ModifyOrder, or a self-trade decrement), `triggered` (a stop left its
 * trigger and now runs as a limit or market order).
 */
export type OrderUpdateStatus = OrderStatus | 'rejected' | 'modified' | 'triggered';

interface Private {
  entryIndex: number;
  timestampUs: number;
  account: number;
  /** The client request id this update answers (see above), or 0. */
  request: number;
}

export interface OrderUpdate extends Private {
  kind: 'order';
  /** 0 for `rejected`. */
  order: number;
  clientOrderId: number;
  /**
   * 0 for `rejected`, as are side, type, prices and quantities (read nothing into side 0 there):
   * a Rejected event names none of them; match it by clientOrderId or request.
   */
  product: number;
  side: number;
  /** OrderType code. */
  type: number;
  status: OrderUpdateStatus;
  /** The limit price (a market order's protection limit). */
  priceTicks: number;
  stopTicks: number;
  /** The order's total quantity, filled part included (a budget order: what it bought). */
  qtyLots: number;
  filledLots: number;
  leavesLots: number;
  /**
   * `cancelled`: the CancelReason; `rejected`: the Reason; `modified` by a self-trade
   * decrement: CancelReason.SelfTrade; otherwise 0.
   */
  reason: number;
}

export interface Fill extends Private {
  kind: 'fill';
  trade: number;
  order: number;
  clientOrderId: number;
  product: number;
  side: number;
  priceTicks: number;
  qtyLots: number;
  /** Negative: a maker rebate. */
  fee: number;
  feeAsset: number;
  liquidity: 'maker' | 'taker';
}

export interface BalanceUpdate extends Private {
  kind: 'balance';
  asset: number;
  available: number;
  held: number;
}

/** A refused command of the account other than a PlaceOrder (cancel, modify, cancel-all, transfer, ...). */
export interface CommandRejected extends Private {
  kind: 'command_rejected';
  /** The command's code (COMMANDS[...].code). */
  command: number;
  /** The Reason code. */
  reason: number;
  order: number;
  clientOrderId: number;
  transfer: number;
}

export type AccountUpdate = OrderUpdate | Fill | BalanceUpdate | CommandRejected;

/**
 * One price level's new state. `seq` counts the product's level changes, one by one, so a
 * client that applies updates to a depth snapshot notices a gap.
 */
export interface L2Update {
  product: number;
  seq: number;
  side: number;
  priceTicks: number;
  /** The level's new total; 0: the level is gone. */
  qtyLots: number;
  orders: number;
}

export interface PublicTrade {
  entryIndex: number;
  timestampUs: number;
  product: number;
  trade: number;
  priceTicks: number;
  qtyLots: number;
  takerSide: number;
}
