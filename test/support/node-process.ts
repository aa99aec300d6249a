/**
 * A node in a process of its own, driven over the IPC channel (until the gateways exist):
 * `node --import tsx test/support/node-process.ts '<config JSON>'`.
 *
 * Requests (each with an id): submit a command; status; the state hash; a balance; a load run
 * generated inside this process (so that a benchmark measures replication, not IPC).
 */
import type { Command } from '../../src/application/commands.ts';
import type { Logger } from '../../src/log.ts';
import type { ClusterOptions } from '../../src/node/cluster-config.ts';
import { NodeError } from '../../src/node/errors.ts';
import { Node } from '../../src/node/node.ts';
import { command as marketCommand } from '../../bench/archive/history.ts';
import { setupCommands } from '../../bench/matching/workload.ts';

export interface ProcessConfig {
  dataDir: string;
  fsync: string;
  cluster: ClusterOptions;
  /** Log lines to stderr. */
  verbose?: boolean;
  cacheEntries?: number;
}

export type Request =
  | { id: number; op: 'submit'; command: Command }
  | { id: number; op: 'status' }
  | { id: number; op: 'hash' }
  | { id: number; op: 'balance'; account: number; asset: number }
  | { id: number; op: 'transfers' }
  | { id: number; op: 'setup-market' }
  | { id: number; op: 'load'; commands: number; clients: number; rate?: number; kind?: 'deposits' | 'orders' };

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; code: string; message: string; leaderId?: number };

const config = JSON.parse(process.argv[2]) as ProcessConfig;
const logger: Logger = config.verbose === true
  ? {
    info: (o, m) => process.stderr.write(`${JSON.stringify({ node: config.cluster.nodeId, level: 'info', msg: m, ...o })}\n`),
    warn: (o, m) => process.stderr.write(`${JSON.stringify({ node: config.cluster.nodeId, level: 'warn', msg: m, ...o })}\n`),
    error: (o, m) => process.stderr.write(`${JSON.stringify({ node: config.cluster.nodeId, level: 'error', msg: m, ...o })}\n`),
  }
  : { info: () => undefined, warn: () => undefined, error: (o, m) => process.stderr.write(`${JSON.stringify({ node: config.cluster.nodeId, msg: m, ...o })}\n`) };

const node = await Node.open({ dataDir: config.dataDir, fsync: config.fsync, cluster: config.cluster, logger, snapshot: { everyEntries: 0 },
  cacheEntries: config.cacheEntries });

function reply(r: Reply): void {
  process.send?.(r);
}

function failure(id: number, error: unknown): Reply {
  if (error instanceof NodeError) return { id, ok: false, code: error.code, message: error.message, leaderId: error.leader?.leaderId };
  return { id, ok: false, code: 'ERROR', message: (error as Error).message };
}

/** A deposit of 1 USD-unit per command to account 1 (transfer ids from `base`): cheap, checkable. */
function loadCommand(i: number, base: number): Command {
  return { type: 'Deposit', transfer: base + i, account: 1 + (i % 4), asset: 2, amount: 1 };
}

/** Market commands continue where the previous load stopped (its orders stay open). */
let marketNext = 0;

async function load(commands: number, clients: number, rate: number | undefined, kind: 'deposits' | 'orders'): Promise<unknown> {
  const base = Date.now() * 1000;
  const market = marketNext;
  if (kind === 'orders') marketNext += commands;
  const next = (i: number): Command => (kind === 'orders' ? marketCommand(market + i) : loadCommand(i, base));
  const latencies = new Float64Array(commands);
  let sent = 0;
  let done = 0;
  const start = performance.now();
  if (rate === undefined) {
    const client = async (): Promise<void> => {
      for (let i = sent++; i < commands; i = sent++) {
        const t = performance.now();
        await node.submit(next(i));
        latencies[done++] = (performance.now() - t) * 1e3;
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
  } else {
    // Open loop: each command has a scheduled time; its latency counts from that time.
    await new Promise<void>((resolve, reject) => {
      const tick = (): void => {
        const due = Math.min(commands, Math.floor(((performance.now() - start) / 1e3) * rate));
        for (; sent < due; sent++) {
          const i = sent;
          const scheduled = start + (i / rate) * 1e3;
          node.submit(next(i)).then(() => {
            latencies[i] = (performance.now() - scheduled) * 1e3;
            if (++done === commands) resolve();
          }, reject);
        }
        if (sent < commands) setImmediate(tick);
      };
      tick();
    });
  }
  const seconds = (performance.now() - start) / 1e3;
  const sorted = latencies.subarray(0, done).sort();
  const pct = (p: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
  return { ops_per_sec: Math.round(commands / seconds), p50_us: pct(50), p99_us: pct(99), p999_us: pct(99.9) };
}

process.on('message', (r: Request) => {
  const run = async (): Promise<unknown> => {
    switch (r.op) {
      case 'submit': {
        const e = await node.submit(r.command);
        return { index: e.index, events: e.events };
      }
      case 'status': return node.status();
      case 'hash': return { hash: node.stateHash(), applied: node.status().applied, failure: node.status().failure };
      case 'balance': {
        const a = node.state.accounts;
        return a.exists(r.account) ? a.available[r.account * a.stride + r.asset] : undefined;
      }
      case 'transfers': return [...node.state.transfers.keys()];
      case 'setup-market': {
        for (const c of setupCommands(200)) await node.submit(c);
        return node.status().commitIndex;
      }
      case 'load': return load(r.commands, r.clients, r.rate, r.kind ?? 'deposits');
    }
  };
  run().then((value) => reply({ id: r.id, ok: true, value }), (error: unknown) => reply(failure(r.id, error)));
});

process.on('SIGTERM', () => {
  void node.close().then(() => process.exit(0));
});
process.send?.({ ready: true });
