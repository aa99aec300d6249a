/**
 * WebSocket at /v1/ws: JSON messages. Public channels (book: a depth snapshot, then every level
 * change with its sequence number; trades; ticker) and, after a signed login, private channels
 * (orders, fills, balances) of the key's account. A client whose unsent data passes the cap is
 * disconnected (a slow consumer never makes the server's memory grow). docs/rest.md has it all.
 */
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { SignatureVerifier } from '../auth/request-signature.ts';
import type { GatewayContext } from '../context.ts';
import { RateLimiter } from '../limits/rate-limiter.ts';
import { ProductUnits, accountUpdateJson, l2Json, levelsJson, tickerJson, tradeJson } from '../representation.ts';
import { Symbol } from '../schemas.ts';
import type { AccountUpdate } from '../view/updates.ts';
import type { Api } from './api.ts';
import { ApiError } from './errors.ts';
import type { Metrics } from './metrics.ts';

const PUBLIC = ['book', 'trades', 'ticker'] as const;
const PRIVATE = ['orders', 'fills', 'balances'] as const;

// Two kinds of subscribe share the op: a union on the channel inside the union on the op (zod
// refuses two members with the same discriminator value, at the first parse).
const ClientMessage = z.discriminatedUnion('op', [
  z.discriminatedUnion('channel', [
    z.object({ op: z.literal('subscribe'), channel: z.enum(PUBLIC), symbol: Symbol, depth: z.int().min(1).max(1_000).default(50) }),
    z.object({ op: z.literal('subscribe'), channel: z.enum(PRIVATE) }),
  ]),
  z.object({ op: z.literal('unsubscribe'), channel: z.enum([...PUBLIC, ...PRIVATE]), symbol: Symbol.optional() }),
  z.object({ op: z.literal('login'), keyId: z.int().positive(), timestampMs: z.int(), signature: z.string().max(128) }),
  z.object({ op: z.literal('ping') }),
]);

/** Close codes: 1008 policy (slow consumer, abuse), 1011 the server failed, 1013 try again later (server full). */
const POLICY = 1008;
const INTERNAL = 1011;
const TRY_LATER = 1013;
/** Messages a client may send per second (and at once). */
const MESSAGES_PER_SEC = 50;
const MESSAGE_BURST = 100;

const KIND_OF_CHANNEL: Record<(typeof PRIVATE)[number], AccountUpdate['kind'][]> = {
  orders: ['order', 'command_rejected'],
  fills: ['fill'],
  balances: ['balance'],
};

class WsSession {
  private account = 0;
  /** The API key of the last login: its revocation ends the private channels. */
  private keyId = 0;
  private readonly subscriptions = new Map<string, () => void>();
  private readonly limiter = new RateLimiter(MESSAGES_PER_SEC, MESSAGE_BURST, 1);
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: GatewayContext,
    private readonly verifier: SignatureVerifier,
  ) {}

  onMessage(data: Buffer, isBinary: boolean): void {
    // A closed session (slow consumer, too many messages) hears nothing more: the socket still
    // delivers messages while its closing handshake runs, and a subscription made then would
    // never be removed.
    if (this.closed) return;
    if (!this.limiter.take(0, this.ctx.nowMs())) return this.close(POLICY, `more than ${MESSAGES_PER_SEC} messages per second`);
    if (isBinary) return this.error('BAD_MESSAGE', 'messages are JSON text');
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      return this.error('BAD_JSON', 'the message is not valid JSON');
    }
    const parsed = ClientMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.error('INVALID_MESSAGE', `${issue.path.join('.') || 'message'}: ${issue.message}`);
    }
    const m = parsed.data;
    switch (m.op) {
      case 'ping': return this.send({ type: 'pong' });
      case 'login': return this.login(m.keyId, m.timestampMs, m.signature);
      case 'unsubscribe': {
        // Private channels are per connection, not per product: a symbol there means nothing.
        const symbol = (PRIVATE as readonly string[]).includes(m.channel) ? undefined : m.symbol;
        return this.unsubscribe(`${m.channel}:${symbol ?? ''}`, m.channel, symbol);
      }
      case 'subscribe': return 'symbol' in m ? this.subscribePublic(m.channel, m.symbol, m.depth) : this.subscribePrivate(m.channel);
    }
  }

  private login(keyId: number, timestampMs: number, signature: string): void {
    const credentials = this.ctx.keys.credentials(keyId);
    if (credentials === undefined) return this.error('UNAUTHENTICATED', 'no such active API key');
    const check = this.verifier.verify(credentials.secret, timestampMs, 'GET', '/v1/ws', '', signature, this.ctx.nowMs());
    if (!check.ok) return this.error(check.code, check.message);
    if (this.account !== 0 && this.account !== credentials.account) return this.error('ALREADY_LOGGED_IN', 'this connection belongs to another account');
    this.account = credentials.account;
    this.keyId = keyId;
    this.send({ type: 'logged_in', accountId: this.account });
  }

  private subscribePublic(channel: (typeof PUBLIC)[number], symbol: string, depth: number): void {
    const key = `${channel}:${symbol}`;
    if (!this.mayAdd(key)) return;
    const view = this.ctx.view;
    const product = view.productBySymbol(symbol);
    if (product === undefined) return this.error('UNKNOWN_PRODUCT', `no product ${symbol}`);
    const u = new ProductUnits(product);
    // The snapshot and the listener are taken in the same turn: no level change falls between.
    if (channel === 'book') {
      const snapshot = view.depth(product.id, depth);
      if (snapshot === undefined) return this.error('UNKNOWN_PRODUCT', `no product ${symbol}`);
      this.send({ type: 'snapshot', channel, symbol, seq: snapshot.seq, bids: levelsJson(snapshot.bids, u), asks: levelsJson(snapshot.asks, u) });
      this.listen(key, () => view.onBook(product.id, (update) => this.send({ type: 'update', channel, ...l2Json(update, u) })));
    } else if (channel === 'trades') {
      this.send({ type: 'subscribed', channel, symbol });
      this.listen(key, () => view.onTrades(product.id, (trade) => this.send({ type: 'trade', channel, ...tradeJson(trade, u) })));
    } else {
      const ticker = (): void => {
        const t = view.ticker(product.id);
        if (t !== undefined) this.send({ type: 'ticker', channel, ...tickerJson(t, u) });
      };
      ticker();
      this.listen(key, () => view.onTrades(product.id, ticker));
    }
  }

  private subscribePrivate(channel: (typeof PRIVATE)[number]): void {
    if (this.account === 0) return this.error('UNAUTHENTICATED', 'log in before subscribing to a private channel');
    const key = `${channel}:`;
    if (!this.mayAdd(key)) return;
    const kinds = KIND_OF_CHANNEL[channel];
    const view = this.ctx.view;
    this.send({ type: 'subscribed', channel });
    this.listen(key, () => view.onAccount(this.account, (update) => {
      // A key revoked since the login gets nothing more: the connection is closed at the account's next update.
      if (!view.state.apiKeys.active(this.keyId)) return this.close(POLICY, 'the API key was revoked');
      if (kinds.includes(update.kind)) this.send({ type: 'update', ...accountUpdateJson(update, view) });
    }));
  }

  private mayAdd(key: string): boolean {
    if (this.subscriptions.has(key)) {
      this.error('ALREADY_SUBSCRIBED', `already subscribed to ${key}`);
      return false;
    }
    if (this.subscriptions.size >= this.ctx.limits.wsMaxSubscriptions) {
      this.error('TOO_MANY_SUBSCRIPTIONS', `at most ${this.ctx.limits.wsMaxSubscriptions} subscriptions per connection`);
      return false;
    }
    return true;
  }

  private listen(key: string, add: () => () => void): void {
    try {
      this.subscriptions.set(key, add());
    } catch (error) {
      this.error('SERVER_FULL', (error as Error).message);
    }
  }

  private unsubscribe(key: string, channel: string, symbol: string | undefined): void {
    const remove = this.subscriptions.get(key);
    if (remove === undefined) return this.error('NOT_SUBSCRIBED', `not subscribed to ${key}`);
    remove();
    this.subscriptions.delete(key);
    this.send({ type: 'unsubscribed', channel, symbol: symbol ?? null });
  }

  private error(code: string, message: string): void {
    this.send({ type: 'error', code, message });
  }

  private send(message: object): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.ctx.limits.wsMaxBufferedBytes) {
      return this.close(POLICY, `slow consumer: more than ${this.ctx.limits.wsMaxBufferedBytes} bytes unsent`);
    }
    this.socket.send(JSON.stringify(message));
  }

  close(code?: number, reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const remove of this.subscriptions.values()) remove();
    this.subscriptions.clear();
    if (code !== undefined) this.socket.close(code, reason);
  }
}

export function webSocketRoutes(api: Api, ctx: GatewayContext, metrics: Metrics): void {
  const verifier = new SignatureVerifier();
  let connections = 0;
  api.route({
    method: 'GET', url: '/v1/ws', schema: { hide: true },
    // A plain HTTP request (no upgrade) gets the API's error shape, not an empty 404.
    handler: (_request, reply) => reply.code(426).header('upgrade', 'websocket')
      .send(new ApiError(426, 'UPGRADE_REQUIRED', '/v1/ws is a WebSocket endpoint: connect with an upgrade request').body()),
    wsHandler: (socket) => {
      if (connections >= ctx.limits.wsMaxConnections) {
        socket.close(TRY_LATER, `at most ${ctx.limits.wsMaxConnections} connections`);
        return;
      }
      connections++;
      metrics.wsConnections.inc();
      const session = new WsSession(socket, ctx, verifier);
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        // A failure in one session ends that session, never the node (an exception here would be uncaught).
        try {
          session.onMessage(data, isBinary);
        } catch (error) {
          ctx.logger.error({ err: (error as Error).message }, 'gateway: WebSocket message failed');
          session.close(INTERNAL, 'internal error');
        }
      });
      socket.on('close', () => {
        session.close();
        connections--;
        metrics.wsConnections.dec();
      });
    },
  });
}
