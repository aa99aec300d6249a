/**
 * Commands: what clients and operators ask of the engine. Prices and quantities here are
 * integers in the product's price and quantity scales (not ticks and lots): the engine checks
 * them against the tick and lot sizes. Amounts are integers in the asset's scale.
 * Zero means "absent" for optional ids (clientOrderId, order, product in CancelAll).
 * `request` is the client's request id (0: none): a command of an account repeated with the
 * same request id answers with the first one's outcome and runs nothing (see requests/).
 */
import type { RecordObject, RecordSpec } from './layout.ts';

export const COMMAND_VERSION = 1;

export const COMMANDS = {
  CreateAsset: { code: 1, fields: [['scale', 'int'], ['code', 'str']] },
  CreateProduct: {
    code: 2,
    fields: [
      ['base', 'int'], ['quote', 'int'], ['priceScale', 'int'], ['qtyScale', 'int'], ['tickSize', 'int'],
      ['lotSize', 'int'], ['minQty', 'int'], ['maxQty', 'int'], ['minNotional', 'int'], ['makerBps', 'int'],
      ['takerBps', 'int'], ['protectionTicks', 'int'], ['status', 'int'], ['symbol', 'str'],
    ],
  },
  UpdateProduct: {
    code: 3,
    fields: [
      ['product', 'int'], ['minQty', 'int'], ['maxQty', 'int'], ['minNotional', 'int'], ['makerBps', 'int'],
      ['takerBps', 'int'], ['protectionTicks', 'int'], ['status', 'int'],
    ],
  },
  CreateAccount: { code: 4, fields: [] },
  Deposit: { code: 5, fields: [['transfer', 'int'], ['account', 'int'], ['asset', 'int'], ['amount', 'int']] },
  Withdraw: { code: 6, fields: [['transfer', 'int'], ['account', 'int'], ['asset', 'int'], ['amount', 'int']] },
  PlaceOrder: {
    code: 7,
    fields: [
      ['account', 'int'], ['product', 'int'], ['clientOrderId', 'int'], ['side', 'int'], ['orderType', 'int'],
      ['tif', 'int'], ['postOnly', 'int'], ['stp', 'int'], ['price', 'int'], ['qty', 'int'],
      ['quoteBudget', 'int'], ['stopPrice', 'int'], ['request', 'int'],
    ],
  },
  CancelOrder: { code: 8, fields: [['account', 'int'], ['order', 'int'], ['clientOrderId', 'int'], ['request', 'int']] },
  CancelAll: { code: 9, fields: [['account', 'int'], ['product', 'int'], ['request', 'int']] },
  /** `qty` is the new total quantity, filled part included (as FIX's OrderCancelReplace). */
  ModifyOrder: {
    code: 10,
    fields: [['account', 'int'], ['order', 'int'], ['clientOrderId', 'int'], ['price', 'int'], ['qty', 'int'], ['request', 'int']],
  },
  /** The salts make the key's secret (derived outside the engine from a cluster secret) unique. */
  CreateApiKey: { code: 11, fields: [['account', 'int'], ['salt1', 'int'], ['salt2', 'int']] },
  RevokeApiKey: { code: 12, fields: [['key', 'int']] },
} as const satisfies Record<string, RecordSpec>;

export type CommandName = keyof typeof COMMANDS;
export type CommandOf<N extends CommandName> = { type: N } & RecordObject<(typeof COMMANDS)[N]['fields']>;
export type Command = { [N in CommandName]: CommandOf<N> }[CommandName];

export const COMMAND_BY_CODE: ReadonlyMap<number, CommandName> = new Map(
  (Object.keys(COMMANDS) as CommandName[]).map((name) => [COMMANDS[name].code, name]),
);
