/** The same command stream, driven through nodejs-order-book's own API (the peer). */
import { OrderBook } from 'nodejs-order-book';
import type { Command } from '../../src/application/commands.ts';
import { Side, TimeInForce } from '../../src/application/matching/order-types.ts';

interface PeerOp {
  kind: 0 | 1 | 2;
  id: string;
  side: 'buy' | 'sell';
  price: number;
  size: number;
  tif: 'GTC' | 'IOC';
}

/** Converts commands (with the order id each one names or creates) into peer operations. */
export function peerOps(commands: readonly Command[], orderIds: readonly number[]): PeerOp[] {
  return commands.map((c, i): PeerOp => {
    const id = String(orderIds[i]);
    if (c.type === 'PlaceOrder') {
      return { kind: 0, id, side: c.side === Side.Buy ? 'buy' : 'sell', price: c.price, size: c.qty,
        tif: c.tif === TimeInForce.IOC ? 'IOC' : 'GTC' };
    }
    if (c.type === 'ModifyOrder') return { kind: 1, id, side: 'buy', price: c.price, size: 0, tif: 'GTC' };
    return { kind: 2, id, side: 'buy', price: 0, size: 0, tif: 'GTC' };
  });
}

export function runPeer(book: OrderBook, ops: readonly PeerOp[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const op = ops[i];
    if (op.kind === 0) book.limit({ id: op.id, side: op.side, size: op.size, price: op.price, timeInForce: op.tif });
    else if (op.kind === 1) book.modify(op.id, { price: op.price });
    else book.cancel(op.id);
  }
}

export function newPeer(): OrderBook {
  return new OrderBook();
}
