/** What the gateways of a node share: the node, its committed view, keys and limits. */
import type { Logger } from '../log.ts';
import type { Node } from '../node/node.ts';
import type { KeyStore } from './auth/key-store.ts';
import type { View } from './view/view.ts';

export interface GatewayLimits {
  /** Largest request body (REST) in bytes. */
  maxBodyBytes: number;
  /** Per API key: signed requests per second sustained, and the burst. */
  keyRatePerSec: number;
  keyBurst: number;
  /** Per API key: commands submitted and not yet answered. */
  keyInFlight: number;
  /** Per client address, for public reads. */
  addressRatePerSec: number;
  addressBurst: number;
  /** WebSocket: bytes queued for one client beyond which it is disconnected (a slow consumer). */
  wsMaxBufferedBytes: number;
  /** WebSocket: subscriptions per connection, and connections per node. */
  wsMaxSubscriptions: number;
  wsMaxConnections: number;
  /** Largest WebSocket message from a client, in bytes. */
  wsMaxMessageBytes: number;
}

export const GATEWAY_LIMITS: Readonly<GatewayLimits> = {
  maxBodyBytes: 16_384,
  keyRatePerSec: 2_000,
  keyBurst: 4_000,
  keyInFlight: 1_024,
  addressRatePerSec: 1_000,
  addressBurst: 2_000,
  wsMaxBufferedBytes: 4 * 1024 * 1024,
  wsMaxSubscriptions: 64,
  wsMaxConnections: 10_000,
  wsMaxMessageBytes: 4_096,
};

export interface GatewayContext {
  node: Node;
  view: View;
  keys: KeyStore;
  /** Operators' key for /v1/admin (a bearer token); never logged. */
  adminKey: string;
  /** The cluster's secret API key secrets are derived from (see auth/key-secrets.ts); never logged. */
  keySecret: string;
  /** The HTTP base URL of a member of the cluster, for redirects. */
  memberUrl: (nodeId: number) => string | undefined;
  limits: GatewayLimits;
  logger: Logger;
  /** Milliseconds since the epoch (signed requests' timestamps are checked against it). */
  nowMs: () => number;
}
