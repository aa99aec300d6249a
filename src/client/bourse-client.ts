/**
 * The TypeScript client of a Bourse cluster. Order entry goes over the binary protocol to the
 * leader: the client finds it (following redirects), signs in with an API key, pipelines
 * requests, and after a failover reconnects and resends every request still in flight with
 * its same request id — the engine runs each at most once, and a resent request that already
 * ran answers with its first outcome (a Duplicate report). A promise resolves once its
 * command is committed. Market data and private updates come over WebSocket (subscribe).
 */
import type { ClientMessage, ExecutionReport, MessageOf, ServerMessage } from '../gateway/binary/messages.ts';
import { ReportKind } from '../gateway/binary/messages.ts';
import { errorName } from '../gateway/binary/errors.ts';
import { type Channel, MarketStream, type StreamMessage } from './market-stream.ts';
import { type LeaderAddress, OrderConnection } from './order-connection.ts';
import { freshRequestId } from './request-ids.ts';

export interface NodeAddress {
  host: string;
  /** The node's binary order-entry port. */
  binaryPort: number;
  /** The node's HTTP base URL (for subscriptions), e.g. http://10.0.0.1:8001. */
  httpUrl?: string;
}

export interface BourseClientOptions {
  nodes: NodeAddress[];
  apiKey: number;
  /** The key's secret as the admin API showed it (hex). */
  apiSecret: string;
  /** How long a request may take, failovers included, before it fails (its outcome then unknown). */
  requestTimeoutMs?: number;
  /** Requests queued in the client beyond those the server allows in flight. */
  maxQueued?: number;
  /**
   * The first request id. Ids must not repeat for an account within the engine's memory
   * (60 s and the last 2M requests): the default derives them from the clock; give each of an
   * account's concurrent clients its own base if they start within the same millisecond.
   */
  requestIdBase?: number;
}

export type OrderSide = 'buy' | 'sell';

export interface PlaceOrder {
  product: number;
  side: OrderSide;
  /** Engine codes: 1 limit, 2 market, 3 stop-limit, 4 stop-market. Default limit. */
  orderType?: number;
  /** 1 GTC, 2 IOC, 3 FOK. Default GTC for limit orders, IOC otherwise. */
  tif?: number;
  /** Integers in the product's price and quantity scales. */
  price?: number;
  qty?: number;
  quoteBudget?: number;
  stopPrice?: number;
  clientOrderId?: number;
  postOnly?: boolean;
  /** 1 cancel newest (default), 2 cancel oldest, 3 cancel both, 4 decrement and cancel. */
  stp?: number;
}

export interface CommandResult {
  request: number;
  /** The command's execution reports, the last one marked `last`. */
  reports: ExecutionReport[];
  /** The request had run before (a resend after a failover): `reports` hold its first outcome. */
  duplicate: boolean;
}

export class BourseError extends Error {
  override name = 'BourseError';
  constructor(readonly code: string, message: string, readonly request = 0) {
    super(`${code}: ${message}`);
  }
}

interface Pending {
  message: MessageOf<'PlaceOrder' | 'CancelOrder' | 'CancelAll' | 'ModifyOrder'>;
  reports: ExecutionReport[];
  sent: boolean;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const RECONNECT_MIN_MS = 20;
const RECONNECT_MAX_MS = 1_000;
/** Back-off after the server said it is overloaded or throttled a request. */
const RESEND_AFTER_MS = 50;

/** A redirect's leader, unless it names none (an election is running). */
function knownLeader(redirect: LeaderAddress | undefined): LeaderAddress | undefined {
  return redirect !== undefined && redirect.leaderId !== 0 ? redirect : undefined;
}

export class BourseClient {
  private readonly secret: Uint8Array;
  private readonly requestTimeoutMs: number;
  private readonly maxQueued: number;
  private nextRequest: number;
  private connection: OrderConnection | undefined;
  private connecting: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private sentCount = 0;
  private leader: LeaderAddress | undefined;
  private cursor = 0;
  private closed = false;
  private readonly reportListeners = new Set<(r: ExecutionReport) => void>();
  private readonly streams: MarketStream[] = [];
  /** The account the key belongs to, once signed in. */
  account = 0;

  constructor(private readonly options: BourseClientOptions) {
    if (options.nodes.length === 0) throw new RangeError('nodes: name at least one node');
    this.secret = Buffer.from(options.apiSecret, 'hex');
    if (this.secret.length === 0) throw new RangeError('apiSecret: the hex secret shown at key creation');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxQueued = options.maxQueued ?? 100_000;
    this.nextRequest = options.requestIdBase ?? freshRequestId();
  }

  /** Connects to the leader and signs in (commands also connect on demand). */
  async connect(): Promise<void> {
    await this.ensureConnected();
  }

  placeOrder(o: PlaceOrder): Promise<CommandResult> {
    const orderType = o.orderType ?? 1;
    return this.run({
      type: 'PlaceOrder', request: this.nextRequest++, product: o.product, side: o.side === 'buy' ? 0 : 1, orderType,
      tif: o.tif ?? (orderType === 1 || orderType === 3 ? 1 : 2), price: o.price ?? 0, qty: o.qty ?? 0, quoteBudget: o.quoteBudget ?? 0,
      stopPrice: o.stopPrice ?? 0, clientOrderId: o.clientOrderId ?? 0, postOnly: o.postOnly === true ? 1 : 0, stp: o.stp ?? 1,
    });
  }

  cancelOrder(c: { order?: number; clientOrderId?: number }): Promise<CommandResult> {
    return this.run({ type: 'CancelOrder', request: this.nextRequest++, order: c.order ?? 0, clientOrderId: c.clientOrderId ?? 0 });
  }

  cancelAll(product = 0): Promise<CommandResult> {
    return this.run({ type: 'CancelAll', request: this.nextRequest++, product });
  }

  /** `qty` is the new total quantity, filled part included. */
  modifyOrder(m: { order?: number; clientOrderId?: number; price: number; qty: number }): Promise<CommandResult> {
    return this.run({ type: 'ModifyOrder', request: this.nextRequest++, order: m.order ?? 0, clientOrderId: m.clientOrderId ?? 0, price: m.price, qty: m.qty });
  }

  /** Reports no request of this client asked for: fills of resting orders, stops triggered. */
  onReport(listener: (r: ExecutionReport) => void): () => void {
    this.reportListeners.add(listener);
    return () => this.reportListeners.delete(listener);
  }

  /**
   * A WebSocket subscription on one of the nodes (any node serves committed data): `book`,
   * `trades`, `ticker` of a symbol, or the key's private `orders`, `fills`, `balances`. It
   * reconnects by itself (a book channel starts again from a snapshot).
   */
  subscribe(channel: Channel, symbol: string | undefined, handler: (m: StreamMessage) => void): () => void {
    const urls = this.options.nodes.flatMap((n) => (n.httpUrl === undefined ? [] : [n.httpUrl]));
    if (urls.length === 0) throw new RangeError('subscribe: the nodes have no httpUrl');
    const stream = new MarketStream(urls, { keyId: this.options.apiKey, secret: this.secret }, channel, symbol, handler);
    this.streams.push(stream);
    return () => stream.close();
  }

  /** Closes the connections; requests still waiting fail with CLOSED (their outcome unknown). */
  close(): void {
    this.closed = true;
    for (const s of this.streams) s.close();
    this.connection?.end('closed by the client');
    for (const [request, p] of this.pending) this.fail(request, p, new BourseError('CLOSED', 'the client closed before an answer', request));
  }

  private run(message: Pending['message']): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new BourseError('CLOSED', 'the client is closed'));
    if (this.pending.size >= this.maxQueued) return Promise.reject(new BourseError('TOO_MANY_PENDING', `more than ${this.maxQueued} requests waiting`));
    return new Promise((resolve, reject) => {
      const request = message.request;
      const timer = setTimeout(() => {
        const p = this.pending.get(request);
        if (p !== undefined) this.fail(request, p, new BourseError('TIMEOUT', `no answer within ${this.requestTimeoutMs} ms; resend with the same request id to learn its outcome`, request));
      }, this.requestTimeoutMs);
      this.pending.set(request, { message, reports: [], sent: false, resolve, reject, timer });
      this.pump();
    });
  }

  /** Sends what waits, within the server's in-flight limit, in one write. */
  private pump(): void {
    const c = this.connection;
    if (c === undefined) {
      if (this.pending.size > 0) void this.ensureConnected().catch(() => undefined);
      return;
    }
    const batch: ClientMessage[] = [];
    for (const p of this.pending.values()) {
      if (this.sentCount >= c.maxInFlight) break;
      if (p.sent) continue;
      p.sent = true;
      this.sentCount++;
      batch.push(p.message);
    }
    c.sendAll(batch);
  }

  private ensureConnected(): Promise<void> {
    if (this.connection !== undefined) return Promise.resolve();
    this.connecting ??= this.dial().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Tries the known leader, else the nodes in turn, backing off, until signed in to the leader. */
  private async dial(): Promise<void> {
    let delayMs = RECONNECT_MIN_MS;
    const deadline = Date.now() + this.requestTimeoutMs;
    while (!this.closed) {
      const node = this.options.nodes[this.cursor++ % this.options.nodes.length];
      const target = this.leader ?? { host: node.host, port: node.binaryPort };
      try {
        const c = await OrderConnection.open(target.host, target.port, { keyId: this.options.apiKey, secret: this.secret }, {
          message: (m) => this.onMessage(m),
          closed: (reason, redirect) => this.onClosed(c, reason, redirect),
        }, Math.max(1_000, this.requestTimeoutMs / 10));
        this.connection = c;
        this.account = c.account;
        this.sentCount = 0;
        for (const p of this.pending.values()) p.sent = false;
        this.pump();
        return;
      } catch (error) {
        this.leader = knownLeader((error as { redirect?: LeaderAddress }).redirect);
        if (String((error as Error).message).startsWith('refused:')) throw this.failAll(new BourseError('LOGIN_REFUSED', (error as Error).message));
        if (Date.now() > deadline && this.pending.size === 0) throw new BourseError('UNREACHABLE', `no leader reachable: ${(error as Error).message}`);
        // A redirect to a named leader is followed at once; otherwise back off.
        if (this.leader === undefined) await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(RECONNECT_MAX_MS, delayMs * 2);
      }
    }
  }

  private failAll(error: BourseError): BourseError {
    for (const [request, p] of this.pending) this.fail(request, p, error);
    return error;
  }

  private onClosed(c: OrderConnection, _reason: string, redirect: LeaderAddress | undefined): void {
    if (this.connection !== c) return;
    this.connection = undefined;
    this.leader = knownLeader(redirect);
    if (!this.closed) this.pump();
  }

  private onMessage(m: ServerMessage): void {
    if (m.type === 'ExecutionReport') return this.onReportMessage(m);
    if (m.type !== 'Error' || m.request === 0) return;
    const p = this.pending.get(m.request);
    if (p === undefined) return;
    const code = errorName(m.code) ?? `ERROR_${m.code}`;
    if (code === 'THROTTLED' || code === 'OVERLOADED' || code === 'LEADERSHIP_LOST' || code === 'REQUEST_IN_FLIGHT') {
      // Not run, or its outcome unknown: send it again (with its id) once the way is clear.
      p.sent = false;
      this.sentCount--;
      setTimeout(() => this.pump(), RESEND_AFTER_MS).unref();
      return;
    }
    this.sentCount--;
    this.fail(m.request, p, new BourseError(code, m.message, m.request));
  }

  private onReportMessage(r: ExecutionReport): void {
    const p = r.request === 0 ? undefined : this.pending.get(r.request);
    if (p === undefined) {
      for (const listener of this.reportListeners) listener(r);
      return;
    }
    p.reports.push(r);
    if (r.last !== 1) return;
    this.pending.delete(r.request);
    clearTimeout(p.timer);
    this.sentCount--;
    p.resolve({ request: r.request, reports: p.reports, duplicate: p.reports.some((x) => x.kind === ReportKind.Duplicate) });
    this.pump();
  }

  private fail(request: number, p: Pending, error: Error): void {
    this.pending.delete(request);
    clearTimeout(p.timer);
    p.reject(error);
  }
}
