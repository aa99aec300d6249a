/**
 * Prometheus metrics of a node, served at /metrics: replication figures read from the node at
 * each scrape, and the gateways' own counters. One registry per node (tests run several).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayContext } from '../context.ts';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  commands: Counter<'type' | 'result'>;
  wsConnections: Gauge;
  binaryConnections: Gauge;
}

const ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'];

export function createMetrics(ctx: GatewayContext): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const status = (): ReturnType<GatewayContext['node']['status']> => ctx.node.status();
  new Gauge({ name: 'bourse_role', help: 'this node\'s role: 1 for the current one', labelNames: ['role'], registers: [registry],
    collect() {
      const role = status().role;
      for (const r of ROLES) this.set({ role: r }, r === role ? 1 : 0);
    } });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  };
  gauge('bourse_term', 'current replication term', () => status().term);
  gauge('bourse_commit_index', 'highest committed entry index', () => status().commitIndex);
  gauge('bourse_last_index', 'highest entry index in this node\'s log', () => status().lastIndex);
  gauge('bourse_applied_index', 'highest entry index applied to the state', () => status().applied);
  gauge('bourse_view_index', 'highest committed entry index in the gateways\' view', () => ctx.view.lastIndex);
  gauge('bourse_archive_bytes', 'bytes in the archive', () => status().archive.bytes);
  gauge('bourse_queued_commands', 'commands queued and not yet run', () => status().queued);
  new Gauge({ name: 'bourse_follower_lag_entries', help: 'entries a follower lacks (on the leader)', labelNames: ['follower'], registers: [registry],
    collect() {
      this.reset();
      for (const f of status().followers) this.set({ follower: String(f.id) }, f.lag);
    } });
  return {
    registry,
    httpRequests: new Counter({ name: 'bourse_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    commands: new Counter({ name: 'bourse_gateway_commands_total', help: 'commands sent by the gateways, by type and result', labelNames: ['type', 'result'], registers: [registry] }),
    wsConnections: new Gauge({ name: 'bourse_websocket_connections', help: 'open WebSocket connections', registers: [registry] }),
    binaryConnections: new Gauge({ name: 'bourse_binary_connections', help: 'open binary order-entry connections', registers: [registry] }),
  };
}
