/** Numeric codes of order attributes, as stored in state, events and the wire format. */
export const Side = { Buy: 0, Sell: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

export const OrderType = { Limit: 1, Market: 2, StopLimit: 3, StopMarket: 4 } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

export const TimeInForce = { GTC: 1, IOC: 2, FOK: 3 } as const;
export type TimeInForce = (typeof TimeInForce)[keyof typeof TimeInForce];

/** Self-trade prevention: what happens when an order would trade with its own account. */
export const Stp = { CancelNewest: 1, CancelOldest: 2, CancelBoth: 3, DecrementCancel: 4 } as const;
export type Stp = (typeof Stp)[keyof typeof Stp];

export const OrderFlag = {
  PostOnly: 1,
  /** A market buy bounded by a quote budget instead of a base quantity. */
  Budget: 2,
} as const;

export const CancelReason = {
  User: 1,
  CancelAll: 2,
  SelfTrade: 3,
  /** The unfilled rest of an IOC, FOK or market order, or of a spent budget. */
  Expired: 4,
  ProductClosed: 5,
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

/** What a modify does to the order's place (OrderModified.requeue). */
export const Requeue = {
  /** Same price, no more quantity: it keeps its place in the queue. */
  Keep: 0,
  /** It lost its place and is matched again as an aggressor; the events that follow settle it. */
  Match: 1,
  /** It lost its place and rests at once at the back of its new level: it cannot trade there. */
  Rest: 2,
} as const;
