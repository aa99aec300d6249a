// nodejs-order-book ships its declarations under a path its package.json misnames; these are
// the parts of its API that the matching benchmark drives.
declare module 'nodejs-order-book' {
  export class OrderBook {
    constructor(options?: Record<string, unknown>);
    limit(options: { id: string; side: 'buy' | 'sell'; size: number; price: number; timeInForce?: 'GTC' | 'IOC' | 'FOK' }): unknown;
    market(options: { side: 'buy' | 'sell'; size: number }): unknown;
    modify(orderID: string, update: { price?: number; size?: number }): unknown;
    cancel(orderID: string): unknown;
    depth(): [Array<[number, number]>, Array<[number, number]>];
  }
}
