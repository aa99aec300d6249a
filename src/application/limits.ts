/** Every table and loop of the core is bounded; these are the bounds. */
export const LIMITS = {
  assets: 1_024,
  products: 4_096,
  accounts: 10_000_000,
  /** Open orders (resting or waiting stops) one account may hold at once. */
  openOrdersPerAccount: 10_000,
  /** Open orders in the whole engine: bounds memory (about 200 bytes each). */
  openOrders: 20_000_000,
  /** Transfer ids remembered for idempotent deposits and withdrawals. */
  transfers: 10_000_000,
  /**
   * Request ids remembered for idempotent retries, over all accounts (a FIFO): an id is
   * forgotten once this many newer ones came in, or once it is `requestWindowUs` old. No
   * request commits while a cluster elects a leader, so a client's resend after a failover
   * is always within it. Allocated at start: about 25 MB.
   */
  recentRequests: 262_144,
  requestWindowUs: 60_000_000,
  /** API keys ever created (revoked ones included). */
  apiKeys: 1_000_000,
  /** Largest decimal scale of an asset or a product's price/quantity. */
  scale: 18,
  /** Fee rates are basis points: 10,000 bps = 100 %. */
  feeBps: 10_000,
  /** Asset codes and product symbols are ASCII, at most this long. */
  nameLength: 24,
} as const;

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
