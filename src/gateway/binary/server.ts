/**
 * The binary order-entry server (docs/protocol.md): a TCP listener whose connections each run a
 * Session. Shared by all of them: one timer (heartbeats, timeouts, deadlines), one flush per
 * event-loop turn (each connection's frames of the turn leave in one write), the node, the
 * committed view (the source of every report) and the API keys.
 *
 * Bounded: connections (one more is told OVERLOADED and closed), bytes queued per connection (a
 * slow reader is disconnected), requests in flight per connection (the Session throttles), the
 * time a closed connection lingers and the time a shutdown waits for answers.
 */
import { type AddressInfo, type Server as NetServer, type Socket, createServer } from 'node:net';
import { type Logger, silentLogger } from '../../log.ts';
import type { Member } from '../../node/cluster-config.ts';
import type { LeaderHint } from '../../node/errors.ts';
import type { Node } from '../../node/node.ts';
import type { KeyStore } from '../auth/key-store.ts';
import type { View } from '../view/view.ts';
import { verifySignature } from './auth.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { encodeFrame } from './encode.ts';
import { ErrorCode } from './errors.ts';
import { type BinaryLimits, binaryLimits } from './limits.ts';

export interface BinaryGatewayOptions {
  node: Pick<Node, 'send' | 'isLeader' | 'status'>;
  view: View;
  keys: KeyStore;
  /** The cluster's members: where a follower sends clients (their host and binaryPort). */
  members?: readonly Member[];
  limits?: Partial<BinaryLimits>;
  logger?: Logger;
  /** Told the number of open connections when it changes (a metrics gauge). */
  connectionsGauge?: { set(value: number): void };
  /** Told each command's type and result: `committed`, or the code of the error that stopped it. */
  commands?: { count(type: string, result: string): void };
}

export class BinaryGateway {
  private readonly node: Pick<Node, 'isLeader' | 'status'>;
  private readonly limits: BinaryLimits;
  private readonly logger: Logger;
  private readonly members: readonly Member[];
  private readonly gauge: { set(value: number): void } | undefined;
  /** What the connections share. */
  private readonly host: ConnectionHost;
  private readonly server: NetServer;
  private readonly connections = new Map<Socket, Connection>();
  /** Sockets this side ended, with when: destroyed if the client has not closed its side by lingerMs. */
  private readonly lingering = new Map<Socket, number>();
  private readonly dirty = new Set<Connection>();
  private flushScheduled = false;
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;
  /** Set on shutdown: connections still waiting for answers then are terminated. */
  private drainDeadlineMs = Infinity;

  private constructor(options: BinaryGatewayOptions) {
    const { node, view, keys } = options;
    this.node = node;
    this.limits = binaryLimits(options.limits);
    this.logger = options.logger ?? silentLogger;
    this.members = options.members ?? [];
    this.gauge = options.connectionsGauge;
    this.host = {
      node, view, limits: this.limits, logger: this.logger,
      verify: (keyId, nonce, signature) => {
        const c = keys.credentials(keyId);
        return c !== undefined && verifySignature(c.secret, nonce, keyId, signature) ? c.account : undefined;
      },
      // A product's tick and lot sizes never change: today's state converts any entry's ticks and lots.
      unitsOf: (product) => view.state.product(product),
      leader: () => this.leader(),
      counted: (type, result) => options.commands?.count(type, result),
      dirty: (connection) => this.markDirty(connection),
      end: (socket) => this.end(socket),
    };
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.timer = setInterval(() => this.tick(), this.limits.tickMs);
    this.timer.unref();
  }

  /** A gateway listening on host:port (port 0: a free one). */
  static async listen(options: BinaryGatewayOptions, host: string, port: number): Promise<BinaryGateway> {
    const gateway = new BinaryGateway(options);
    try {
      await new Promise<void>((resolve, reject) => {
        gateway.server.once('error', reject);
        gateway.server.listen(port, host, () => {
          gateway.server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      clearInterval(gateway.timer);
      throw error;
    }
    gateway.server.on('error', (error) => gateway.logger.error({ error: error.message }, 'gateway: binary listener failed'));
    gateway.logger.info({ host, port: gateway.port }, 'gateway: binary order entry listening');
    return gateway;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops taking connections; each connection gets the answers of its requests in flight (at
   * most drainMs), then SHUTTING_DOWN and a close. Resolves once every socket is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** The leader as this node knows it: where a follower sends clients. */
  private leader(): LeaderHint {
    const leaderId = this.node.status().leaderId;
    const m = this.members.find((x) => x.id === leaderId);
    return m === undefined ? { leaderId: 0 } : { leaderId, host: m.host, binaryPort: m.binaryPort };
  }

  private markDirty(connection: Connection): void {
    this.dirty.add(connection);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private end(socket: Socket): void {
    socket.end();
    this.lingering.set(socket, performance.now());
  }

  private async shutDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.drainDeadlineMs = performance.now() + this.limits.drainMs;
    for (const c of this.connections.values()) c.drain();
    // Bounded: the tick terminates what is still draining at the deadline, and destroys what lingers.
    await closed;
    clearInterval(this.timer);
  }

  private accept(socket: Socket): void {
    // A client that resets its connection is its own business; 'close' follows.
    socket.on('error', () => undefined);
    socket.once('close', () => this.lingering.delete(socket));
    if (this.connections.size >= this.limits.maxConnections) {
      socket.resume();
      socket.write(encodeFrame({
        type: 'Error', code: ErrorCode.OVERLOADED, request: 0,
        message: `the server has its ${this.limits.maxConnections} connections; retry later`,
      }));
      this.end(socket);
      return;
    }
    const connection = new Connection(socket, this.host, performance.now());
    this.connections.set(socket, connection);
    this.gauge?.set(this.connections.size);
    socket.on('data', (chunk: Buffer) => connection.receive(chunk, performance.now()));
    socket.once('close', () => {
      connection.closed();
      this.connections.delete(socket);
      this.gauge?.set(this.connections.size);
    });
    if (!this.node.isLeader) connection.redirectNow(this.leader());
  }

  private flush(): void {
    this.flushScheduled = false;
    // Bounded by the connections; one that becomes dirty while flushing others is flushed in this pass too.
    for (const c of this.dirty) {
      this.dirty.delete(c);
      c.flush();
    }
  }

  private tick(): void {
    const nowMs = performance.now();
    const deadline = nowMs >= this.drainDeadlineMs;
    for (const c of this.connections.values()) {
      if (deadline) c.terminate(ErrorCode.SHUTTING_DOWN, 'the server is shutting down');
      c.tick(nowMs);
    }
    for (const [socket, endedMs] of this.lingering) {
      if (nowMs - endedMs >= this.limits.lingerMs) socket.destroy();
    }
  }
}
