/**
 * Stable reject reason codes. A code's number and name never change once released:
 * clients, archives and dashboards depend on them.
 */
export const Reason = {
  NOT_SAFE_INTEGER: 1,
  VALUE_OUT_OF_RANGE: 2,
  INVALID_ORDER: 3,
  UNKNOWN_ASSET: 4,
  DUPLICATE_ASSET: 5,
  INVALID_ASSET: 6,
  UNKNOWN_PRODUCT: 7,
  DUPLICATE_PRODUCT: 8,
  INVALID_PRODUCT: 9,
  UNKNOWN_ACCOUNT: 10,
  SYSTEM_ACCOUNT: 11,
  PRODUCT_HALTED: 12,
  PRODUCT_CLOSED: 13,
  BAD_TICK: 14,
  BAD_LOT: 15,
  QTY_BELOW_MIN: 16,
  QTY_ABOVE_MAX: 17,
  NOTIONAL_BELOW_MIN: 18,
  INSUFFICIENT_FUNDS: 19,
  POST_ONLY_WOULD_CROSS: 20,
  FOK_CANNOT_FILL: 21,
  NO_LIQUIDITY: 22,
  DUPLICATE_CLIENT_ORDER_ID: 23,
  UNKNOWN_ORDER: 24,
  ORDER_NOT_MODIFIABLE: 25,
  STOP_WOULD_TRIGGER: 26,
  TOO_MANY_OPEN_ORDERS: 27,
  LIMIT_REACHED: 28,
  UNKNOWN_COMMAND: 29,
  UNKNOWN_API_KEY: 30,
} as const;

export type ReasonName = keyof typeof Reason;
export type ReasonCode = (typeof Reason)[ReasonName];

const MESSAGES: Record<ReasonName, string> = {
  NOT_SAFE_INTEGER: 'a numeric field is not a safe integer',
  VALUE_OUT_OF_RANGE: 'a value is outside its allowed range',
  INVALID_ORDER: 'the order fields do not form a valid order',
  UNKNOWN_ASSET: 'no such asset',
  DUPLICATE_ASSET: 'an asset with this code exists',
  INVALID_ASSET: 'the asset definition is invalid',
  UNKNOWN_PRODUCT: 'no such product',
  DUPLICATE_PRODUCT: 'a product with this symbol exists',
  INVALID_PRODUCT: 'the product definition is invalid',
  UNKNOWN_ACCOUNT: 'no such account',
  SYSTEM_ACCOUNT: 'the fee account cannot trade',
  PRODUCT_HALTED: 'the product is halted: only cancels are accepted',
  PRODUCT_CLOSED: 'the product is closed',
  BAD_TICK: 'the price is not a multiple of the tick size',
  BAD_LOT: 'the quantity is not a multiple of the lot size',
  QTY_BELOW_MIN: 'the quantity is below the product minimum',
  QTY_ABOVE_MAX: 'the quantity is above the product maximum',
  NOTIONAL_BELOW_MIN: 'the order value is below the product minimum notional',
  INSUFFICIENT_FUNDS: 'the available balance does not cover the order',
  POST_ONLY_WOULD_CROSS: 'a post-only order would take liquidity',
  FOK_CANNOT_FILL: 'a fill-or-kill order cannot fill completely',
  NO_LIQUIDITY: 'a market order found no opposite orders',
  DUPLICATE_CLIENT_ORDER_ID: 'an open order of this account has this client order id',
  UNKNOWN_ORDER: 'no such open order for this account',
  ORDER_NOT_MODIFIABLE: 'only resting limit orders can be modified',
  STOP_WOULD_TRIGGER: 'the stop price is already reached by the last trade',
  TOO_MANY_OPEN_ORDERS: 'the account has reached its open order limit',
  LIMIT_REACHED: 'an engine-wide limit is reached',
  UNKNOWN_COMMAND: 'unknown command type',
  UNKNOWN_API_KEY: 'no such active API key',
};

const NAMES = new Map<number, ReasonName>(
  (Object.keys(Reason) as ReasonName[]).map((name) => [Reason[name], name]),
);

export function reasonName(code: number): ReasonName | undefined {
  return NAMES.get(code);
}

export function reasonMessage(code: number): string {
  const name = NAMES.get(code);
  return name === undefined ? `unknown reason ${code}` : MESSAGES[name];
}
