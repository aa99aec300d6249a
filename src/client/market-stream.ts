/**
 * One WebSocket subscription (docs/rest.md): public book / trades / ticker of a symbol, or a
 * private channel after a signed login. It reconnects to the next node when the connection
 * drops; a book subscription then starts again from a snapshot, and a gap in the book's
 * sequence numbers makes it resubscribe, so a handler never applies an update out of order.
 */
import WebSocket from 'ws';
import { signRequest } from '../gateway/auth/request-signature.ts';

export type Channel = 'book' | 'trades' | 'ticker' | 'orders' | 'fills' | 'balances';

/** A message of the channel, as the server sends it (see docs/rest.md for each shape). */
export interface StreamMessage {
  type: 'snapshot' | 'update' | 'trade' | 'ticker' | 'subscribed' | 'error' | 'logged_in' | 'unsubscribed' | 'pong';
  channel?: Channel;
  seq?: number;
  [field: string]: unknown;
}

const PRIVATE: ReadonlySet<Channel> = new Set(['orders', 'fills', 'balances']);
const RECONNECT_MS = 200;

export class MarketStream {
  private socket: WebSocket | undefined;
  private cursor = 0;
  private closed = false;
  private seq = -1;

  constructor(
    private readonly urls: readonly string[],
    private readonly key: { keyId: number; secret: Uint8Array },
    private readonly channel: Channel,
    private readonly symbol: string | undefined,
    private readonly handler: (m: StreamMessage) => void,
  ) {
    this.open();
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }

  private open(): void {
    if (this.closed) return;
    const base = this.urls[this.cursor++ % this.urls.length];
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/ws`);
    this.socket = socket;
    this.seq = -1;
    socket.on('open', () => {
      if (PRIVATE.has(this.channel)) {
        const timestampMs = Date.now();
        socket.send(JSON.stringify({ op: 'login', keyId: this.key.keyId, timestampMs, signature: signRequest(this.key.secret, timestampMs, 'GET', '/v1/ws', '') }));
      }
      socket.send(JSON.stringify({ op: 'subscribe', channel: this.channel, ...(this.symbol === undefined ? {} : { symbol: this.symbol }) }));
    });
    socket.on('message', (data: Buffer) => this.receive(socket, JSON.parse(data.toString('utf8')) as StreamMessage));
    socket.on('error', () => socket.close());
    socket.on('close', () => {
      if (this.socket === socket && !this.closed) setTimeout(() => this.open(), RECONNECT_MS).unref();
    });
  }

  private receive(socket: WebSocket, m: StreamMessage): void {
    if (this.channel === 'book' && (m.type === 'snapshot' || m.type === 'update')) {
      const seq = m.seq ?? -1;
      // An update that does not follow the last one: start again from a fresh snapshot.
      if (m.type === 'update' && seq !== this.seq + 1) return socket.close();
      this.seq = seq;
    }
    this.handler(m);
  }
}
