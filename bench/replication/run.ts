/**
 * `npm run bench -- replication`: all processes on this machine. For 0, 1, 2 and 4 replicas,
 * fsync `always` and `never`: committed commands/s (a closed loop of 4,096 clients inside the
 * leader's process) and open-loop latency at half that rate (from each command's scheduled
 * time). Then failover: kill -9 the leader, time until a new leader commits a command.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessCluster } from '../../test/support/process-cluster.ts';
import { type BenchOptions, percentile, round } from '../stats.ts';

interface Result {
  case: string;
  [figure: string]: number | string;
}

interface LoadFigures {
  ops_per_sec: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
}

async function throughput(root: string, replicas: number, fsync: string, commands: number): Promise<Result> {
  const dir = await mkdtemp(join(root, 'cluster-'));
  const cluster = await ProcessCluster.start({ dir, nodes: replicas + 1, fsync });
  try {
    const leader = await cluster.leader();
    const load = async (body: { commands: number; clients: number; rate?: number }): Promise<LoadFigures> => {
      const r = await cluster.request(leader, { op: 'load', kind: 'orders', ...body }, 120_000);
      if (!r.ok) throw new Error(`load failed: ${r.message}`);
      return r.value as LoadFigures;
    };
    const setup = await cluster.request(leader, { op: 'setup-market' }, 60_000);
    if (!setup.ok) throw new Error(`set-up failed: ${setup.message}`);
    await load({ commands: Math.round(commands / 4), clients: 1_024 });
    const closed = await load({ commands, clients: 4_096 });
    const open = await load({ commands: Math.round(commands / 2), clients: 0, rate: Math.round(closed.ops_per_sec / 2) });
    return { case: `replicas=${replicas},fsync=${fsync}`, ops_per_sec: closed.ops_per_sec, open_loop_rate: Math.round(closed.ops_per_sec / 2),
      p50_us: open.p50_us, p99_us: open.p99_us, p999_us: open.p999_us };
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** kill -9 of the leader, then the time until some node commits a command; `trials` times. */
async function failover(root: string, trials: number): Promise<Result> {
  const dir = await mkdtemp(join(root, 'failover-'));
  const cluster = await ProcessCluster.start({ dir, nodes: 3, fsync: 'always' });
  const times: number[] = [];
  try {
    await cluster.request(await cluster.leader(), { op: 'submit', command: { type: 'CreateAccount' } });
    for (let t = 0; t < trials; t++) {
      const victim = await cluster.leader();
      cluster.kill(victim);
      const killedAt = performance.now();
      let committed = false;
      while (!committed && performance.now() - killedAt < 10_000) {
        const tries = [1, 2, 3].filter((id) => cluster.alive(id))
          .map((id) => cluster.request(id, { op: 'submit', command: { type: 'CreateAccount' } }, 2_000));
        committed = (await Promise.all(tries)).some((r) => r.ok);
        if (!committed) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      times.push(performance.now() - killedAt);
      await cluster.startNode(victim);
      // Let the restarted node catch up before the next trial.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const sorted = Float64Array.from(times).sort();
  return { case: 'failover', trials, p50_ms: round(percentile(sorted, 50), 0), max_ms: round(sorted[sorted.length - 1], 0),
    election_timeout_ms: '200-400', heartbeat_ms: 50 };
}

export async function benchReplication(options: BenchOptions): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bourse-bench-replication-'));
  const commands = options.quick ? 100_000 : 400_000;
  const results: Result[] = [];
  const say = (r: Result): void => {
    results.push(r);
    if (!options.json) console.log(Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', '));
  };
  try {
    for (const fsync of ['always', 'never']) {
      for (const replicas of [0, 1, 2, 4]) say(await throughput(root, replicas, fsync, commands));
    }
    say(await failover(root, options.quick ? 6 : 20));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  if (options.json) console.log(JSON.stringify({ bench: 'replication', results }));
}
