/**
 * Bounds of the gateways' read model. The committed state inside a view is bounded by the
 * engine's own LIMITS (it holds only what the engine accepted); these bound what the view keeps
 * on top of it for reads: histories, finished orders, depth and listeners. A View takes
 * overrides (the tests use small ones to see the bounds at work).
 *
 * Memory at the defaults, when full: the fill log about 100 MB (≈ 96 bytes a fill), finished
 * orders about 38 MB (≈ 145 bytes an order), trades 48 KB per product that traded 1,000 times.
 * Every ring starts small and doubles up to its bound, so a quiet exchange pays little.
 */
export interface ViewLimits {
  /** Recent public trades kept per product: its newest. */
  recentTradesPerProduct: number;
  /**
   * Fills kept over all accounts (one ring, so memory does not grow with the number of
   * accounts): an account's recent fills are its fills among these.
   */
  fillLog: number;
  /** Most fills one read of an account's recent fills returns (its newest). */
  fillsPerAccount: number;
  /** Orders that ended (filled or cancelled) kept for lookups after they leave the book: the newest. */
  finishedOrders: number;
  /** Most price levels per side a depth snapshot returns. */
  depthLevels: number;
  /** Listeners of each kind (book, trades, account), over all products or accounts. */
  listeners: number;
}

export const VIEW_LIMITS: Readonly<ViewLimits> = {
  recentTradesPerProduct: 1_000,
  fillLog: 262_144,
  fillsPerAccount: 1_000,
  finishedOrders: 262_144,
  depthLevels: 5_000,
  listeners: 65_536,
};

/** A ticker's volume covers the trades of the current hour and of the hours before it, this many in all. */
export const VOLUME_WINDOW_HOURS = 24;
