/**
 * The whole state of the application. Only `apply` changes it. Ids come from counters here:
 * assets, products and accounts take the next number of their table, orders and trades the
 * next of their counter.
 */
import { Accounts } from './accounts/accounts.ts';
import { Assets } from './accounts/assets.ts';
import { ApiKeys } from './keys/api-keys.ts';
import { Levels } from './matching/levels.ts';
import { Orders } from './matching/orders.ts';
import type { Product } from './products/product.ts';
import { RecentRequests } from './requests/recent-requests.ts';

export interface TransferRecord {
  /** Event code of the original transfer: Deposited or Withdrawn. */
  kind: number;
  account: number;
  asset: number;
  amount: number;
}

export class State {
  readonly assets = new Assets();
  readonly accounts = new Accounts();
  readonly orders = new Orders();
  readonly levels = new Levels();
  /** Products by id; index 0 is unused. */
  readonly products: (Product | undefined)[] = [undefined];
  readonly productsBySymbol = new Map<string, Product>();
  readonly transfers = new Map<number, TransferRecord>();
  /**
   * Replaced whole, never changed but by apply: a read model that comes to hold a node's state
   * takes the node's ids over, and gets an empty table when it gives the state back
   * (node/read-model.ts).
   */
  requests = new RecentRequests();
  readonly apiKeys = new ApiKeys();
  nextOrderId = 1;
  nextTradeId = 1;
  /** Timestamp (µs) of the last applied command; commands never go back in time. */
  timestampUs = 0;

  product(id: number): Product | undefined {
    return id >= 1 ? this.products[id] : undefined;
  }
}
