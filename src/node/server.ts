/**
 * A node's whole server: the Node, the committed view its gateways read, and the gateways
 * themselves (REST + WebSocket, binary order entry). Start-up: open the node (snapshot +
 * replay), let the view catch up with the committed log, then open the client ports.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { KeyStore } from '../gateway/auth/key-store.ts';
import { GATEWAY_LIMITS, type GatewayContext, type GatewayLimits } from '../gateway/context.ts';
import { buildHttpGateway } from '../gateway/http/app.ts';
import { View } from '../gateway/view/view.ts';
import { silentLogger } from '../log.ts';
import { Node, type NodeOptions } from './node.ts';
import type { Subscription } from './subscribers.ts';

export interface ServerOptions extends NodeOptions {
  /** HTTP (REST + WebSocket) listen address; port 0 picks a free one. */
  http: { host: string; port: number };
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
  ) {}

  static async start(options: ServerOptions): Promise<Server> {
    if (options.adminKey.length < 16 || options.keySecret.length < 16) throw new RangeError('adminKey and keySecret must be at least 16 characters');
    const logger = options.logger ?? silentLogger;
    const node = await Node.open(options);
    const view = new View({ logger });
    const following = view.follow(node);
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
      const { app } = await buildHttpGateway(ctx);
      await app.listen({ host: options.http.host, port: options.http.port });
      logger.info({ url: `http://${options.http.host}:${(app.server.address() as AddressInfo).port}` }, 'gateway: HTTP listening');
      return new Server(node, view, following, app);
    } catch (error) {
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

  /** Stops taking requests and connections, then closes the node (drained, synced). */
  async close(): Promise<void> {
    await this.http.close();
    this.following.close();
    await this.node.close();
  }
}
