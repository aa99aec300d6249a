/**
 * A node's whole server: the Node, the committed view its gateways read, and the gateways
 * themselves (REST + WebSocket, binary order entry). Start-up: open the node (snapshot +
 * replay), let the view catch up with the committed log, then open the client ports.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { KeyStore } from '../gateway/auth/key-store.ts';
import type { BinaryLimits } from '../gateway/binary/limits.ts';
import { BinaryGateway } from '../gateway/binary/server.ts';
import { GATEWAY_LIMITS, type GatewayContext, type GatewayLimits } from '../gateway/context.ts';
import { buildHttpGateway } from '../gateway/http/app.ts';
import { createMetrics } from '../gateway/http/metrics.ts';
import { View } from '../gateway/view/view.ts';
import { silentLogger } from '../log.ts';
import { Node, type NodeOptions } from './node.ts';
import type { Subscription } from './subscribers.ts';

export interface ServerOptions extends NodeOptions {
  /** HTTP (REST + WebSocket) listen address; port 0 picks a free one. */
  http: { host: string; port: number };
  /** Binary order-entry listen address (docs/protocol.md); port 0 picks a free one. None: no binary gateway. */
  binary?: { host: string; port: number; limits?: Partial<BinaryLimits> };
  /** Operators' key for /v1/admin; never logged. */
  adminKey: string;
  /** The cluster's secret for deriving API key secrets: the same on every node; never logged. */
  keySecret: string;
  limits?: Partial<GatewayLimits>;
}

export class Server {
  private constructor(
    readonly node: Node,
    readonly view: View,
    private readonly following: Subscription,
    /** The HTTP gateway (its inject() serves in-process requests). */
    readonly http: FastifyInstance,
    /** The binary order-entry gateway, if the options asked for one. */
    readonly binary: BinaryGateway | undefined,
  ) {}

  static async start(options: ServerOptions): Promise<Server> {
    if (options.adminKey.length < 16 || options.keySecret.length < 16) throw new RangeError('adminKey and keySecret must be at least 16 characters');
    const logger = options.logger ?? silentLogger;
    const metrics = createMetrics();
    const node = await Node.open({ ...options, observer: metrics.observer });
    const view = new View({ logger });
    const following = view.follow(node);
    let http: FastifyInstance | undefined;
    try {
      await following.caughtUp;
      const members = options.cluster?.members ?? [];
      const ctx: GatewayContext = {
        node, view, logger, keys: new KeyStore(view.state.apiKeys, options.keySecret), adminKey: options.adminKey,
        keySecret: options.keySecret, limits: { ...GATEWAY_LIMITS, ...options.limits }, nowMs: () => Date.now(),
        memberUrl: (id) => {
          const m = members.find((x) => x.id === id);
          return m?.httpPort === undefined ? undefined : `http://${m.host}:${m.httpPort}`;
        },
      };
      const { app } = await buildHttpGateway(ctx, metrics);
      http = app;
      await app.listen({ host: options.http.host, port: options.http.port });
      logger.info({ url: `http://${options.http.host}:${(app.server.address() as AddressInfo).port}` }, 'gateway: HTTP listening');
      const b = options.binary;
      const binary = b === undefined ? undefined : await BinaryGateway.listen({
        node, view, keys: ctx.keys, members, limits: b.limits, logger, connectionsGauge: metrics.binaryConnections,
        commands: metrics.binaryCommands,
      }, b.host, b.port);
      return new Server(node, view, following, app, binary);
    } catch (error) {
      await http?.close();
      following.close();
      await node.close();
      throw error;
    }
  }

  /** The HTTP base URL clients use. */
  get httpUrl(): string {
    const a = this.http.server.address() as AddressInfo;
    return `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** The binary order-entry port, if there is a binary gateway. */
  get binaryPort(): number | undefined {
    return this.binary?.port;
  }

  /**
   * Stops taking requests and connections (binary sessions get their answers in flight, then
   * SHUTTING_DOWN), then closes the node (drained, synced).
   */
  async close(): Promise<void> {
    await this.binary?.close();
    await this.http.close();
    this.following.close();
    await this.node.close();
  }
}
