/**
 * Prometheus metrics of a node, served at /metrics: replication figures read from the node at
 * each scrape, and the gateways' own counters. One registry per node (tests run several).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.ts';
import type { NodeObserver } from '../../node/node.ts';
import type { GatewayContext } from '../context.ts';

/**
 * Commands counted by type and result where a counter's labelled `inc` per command would cost
 * the binary gateway's hot path more than the rest of its answer: counts in a small table,
 * moved to the counter at each scrape. Types and results are finite (command types, error codes).
 */
export class CommandTally {
  private readonly counts = new Map<string, Map<string, number>>();

  count(type: string, result: string): void {
    let byResult = this.counts.get(type);
    if (byResult === undefined) {
      byResult = new Map();
      this.counts.set(type, byResult);
    }
    byResult.set(result, (byResult.get(result) ?? 0) + 1);
  }

  /** Adds the counts since the last call to `counter`, under `gateway`. */
  moveTo(counter: Counter<'gateway' | 'type' | 'result'>, gateway: string): void {
    for (const [type, byResult] of this.counts) {
      for (const [result, n] of byResult) if (n > 0) counter.inc({ gateway, type, result }, n);
      byResult.clear();
    }
  }
}

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  /** Commands by gateway (rest, binary), type and result (committed, or the error code of one that did not run). */
  commands: Counter<'gateway' | 'type' | 'result'>;
  /** The binary gateway's commands, moved into `commands` at each scrape. */
  binaryCommands: CommandTally;
  wsConnections: Gauge;
  binaryConnections: Gauge;
  /** Fed by the node as things happen: made before the node opens. */
  observer: NodeObserver;
}

const ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'];
/** Seconds: 100 µs to 2.5 s. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The registry and the metrics fed by events; the node's own figures are read at each scrape once `watchNode` is called. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const fsync = new BucketHistogram('bourse_fsync_seconds', 'archive sync duration: a durable write under fsync always, an fdatasync otherwise', LATENCY_BUCKETS, registry);
  const commit = new BucketHistogram('bourse_commit_seconds', 'submit-to-commit latency of commands run by this node as leader', LATENCY_BUCKETS, registry);
  const binaryCommands = new CommandTally();
  return {
    registry,
    httpRequests: new Counter({ name: 'bourse_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    commands: new Counter({ name: 'bourse_gateway_commands_total', help: 'commands sent by the gateways, by gateway, type and result',
      labelNames: ['gateway', 'type', 'result'], registers: [registry], collect() { binaryCommands.moveTo(this, 'binary'); } }),
    binaryCommands,
    wsConnections: new Gauge({ name: 'bourse_websocket_connections', help: 'open WebSocket connections', registers: [registry] }),
    binaryConnections: new Gauge({ name: 'bourse_binary_connections', help: 'open binary order-entry connections', registers: [registry] }),
    observer: { synced: (ms) => fsync.observe(ms / 1000), committed: (ms) => commit.observe(ms / 1000) },
  };
}

/** Figures read from the node and the view at each scrape. */
export function watchNode(metrics: Metrics, ctx: GatewayContext): void {
  const registry = metrics.registry;
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
  gauge('bourse_view_holds_state', '1 while the gateways\' view holds this node\'s state (a follower keeps one state, not two)', () => (ctx.node.sharesState ? 1 : 0));
  gauge('bourse_archive_bytes', 'bytes in the archive', () => status().archive.bytes);
  gauge('bourse_queued_commands', 'commands queued and not yet run', () => status().queued);
  gauge('bourse_archive_entries', 'entries in the archive', () => status().archive.lastIndex - status().archive.firstIndex + 1);
  gauge('bourse_snapshot_age_seconds', 'time since the newest snapshot was taken or loaded', () => (Date.now() - status().snapshotAtMs) / 1000);
  gauge('bourse_snapshot_index', 'entry index of the newest snapshot taken or loaded (0: none)', () => status().snapshotIndex);
  gauge('bourse_elections_total', 'elections this node started since it opened', () => status().elections);
  new Gauge({ name: 'bourse_follower_lag_entries', help: 'entries a follower lacks (on the leader)', labelNames: ['follower'], registers: [registry],
    collect() {
      this.reset();
      for (const f of status().followers) this.set({ follower: String(f.id) }, f.lag);
    } });
}
