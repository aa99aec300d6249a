/**
 * `npm run bench -- node`: one node, fsync `always`. Committed commands/s and submit-to-commit
 * latency in a closed loop and at open-loop offered rates (latency from each command's
 * scheduled send time, so queueing shows); start-up time over long archives with and without
 * a recent snapshot, and the replay apply rate; the longest stall while a snapshot is written.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node/node.ts';
import { Archive } from '../../src/archive/archive.ts';
import { Engine } from '../../src/application/engine.ts';
import { encodeSnapshot } from '../../src/application/snapshot.ts';
import { replayInto } from '../../src/node/replay.ts';
import { writeSnapshot } from '../../src/node/snapshot-store.ts';
import { command, writeHistory } from '../archive/history.ts';
import { setupCommands } from '../matching/workload.ts';
import { type BenchOptions, latencyFigures, round } from '../stats.ts';

interface Result {
  case: string;
  [figure: string]: number | string;
}

const CLIENTS = 4_096;

async function freshNode(dir: string): Promise<{ node: Node; next: () => number }> {
  const node = await Node.open({ dataDir: dir, fsync: 'always', snapshot: { everyEntries: 0 } });
  await Promise.all(setupCommands(200).map((c) => node.submit(c)));
  let i = 0;
  return { node, next: () => i++ };
}

/** CLIENTS concurrent clients, each submitting its next command when the last one commits. */
async function closedLoop(dir: string, total: number): Promise<Result> {
  const { node, next } = await freshNode(dir);
  const latencies = new Float64Array(total);
  let done = 0;
  const client = async (): Promise<void> => {
    for (let i = next(); i < total; i = next()) {
      const t = performance.now();
      await node.submit(command(i));
      latencies[done++] = (performance.now() - t) * 1e3;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = (performance.now() - start) / 1e3;
  await node.close();
  return { case: 'commit_closed_loop', clients: CLIENTS, ops_per_sec: Math.round(total / seconds), ...latencyFigures(latencies.subarray(0, done)) };
}

/**
 * Commands offered at `rate` per second whatever the node does: each has a scheduled time,
 * and its latency runs from that time to its commit. One the node refuses (its queue full:
 * OVERLOADED) is counted, not waited for.
 */
async function openLoop(dir: string, rate: number, seconds: number, label: string): Promise<Result> {
  const { node } = await freshNode(dir);
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  let sent = 0;
  let committed = 0;
  let refused = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1e3) * rate));
      for (; sent < due; sent++) {
        const scheduled = start + (sent / rate) * 1e3;
        node.submit(command(sent)).then(() => {
          latencies[committed++] = (performance.now() - scheduled) * 1e3;
          if (committed + refused === total) resolve();
        }, () => {
          if (committed + ++refused === total) resolve();
        });
      }
      if (sent < total) setImmediate(tick);
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1e3;
  await node.close();
  return { case: `commit_open_loop_${label}`, offered_per_sec: rate, ops_per_sec: Math.round(committed / elapsed), refused,
    ...latencyFigures(latencies.subarray(0, committed)) };
}

/** The longest gap between 1 ms timer ticks while a snapshot is written under open-loop load. */
async function snapshotStall(dir: string, entries: number): Promise<Result> {
  const { node } = await freshNode(dir);
  for (let i = 0; i < entries; i += 4_096) {
    await Promise.all(Array.from({ length: Math.min(4_096, entries - i) }, (_, k) => node.submit(command(i + k))));
  }
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  let i = entries;
  let stop = false;
  const load = (async () => {
    while (!stop) await Promise.all(Array.from({ length: 256 }, () => node.submit(command(i++))));
  })();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const baseline = maxGap;
  maxGap = 0;
  const result = await node.snapshot();
  stop = true;
  await load;
  clearInterval(timer);
  await node.close();
  return { case: 'snapshot_stall', max_ms: round(maxGap, 2), baseline_max_ms: round(baseline, 2), snapshot_index: result.index, snapshot_ms: Math.round(result.ms) };
}

/** Writes the snapshot of entry `index` of the archive in `dir`, as a node would have. */
async function snapshotAt(dir: string, index: number): Promise<void> {
  const archive = await Archive.open({ dir: join(dir, 'archive'), mode: 'read' });
  try {
    const engine = new Engine();
    const term = await replayInto(engine, archive, 1, index);
    await writeSnapshot(join(dir, 'snapshots'), { index, term, timestampUs: engine.state.timestampUs }, encodeSnapshot(engine.state));
  } finally {
    await archive.close();
  }
}

/** Start-up over an archive of `entries` entries, without and then with a recent snapshot. */
async function startup(dir: string, entries: number, label: string): Promise<Result[]> {
  await writeHistory(join(dir, 'archive'), entries);
  let start = performance.now();
  let node = await Node.open({ dataDir: dir, snapshot: { everyEntries: 0 } });
  const cold = (performance.now() - start) / 1e3;
  await node.close();
  await snapshotAt(dir, entries - 1_000);
  start = performance.now();
  node = await Node.open({ dataDir: dir, snapshot: { everyEntries: 0 } });
  const warm = (performance.now() - start) / 1e3;
  await node.close();
  return [
    { case: `startup_${label}_no_snapshot`, seconds: round(cold, 2), entries },
    { case: `startup_${label}_with_snapshot`, seconds: round(warm, 2), entries, replayed: 1_000 },
    { case: 'replay_apply', entries_per_sec: Math.round(entries / cold), entries, note: 'start-up without snapshot: open + verify + apply' },
  ];
}

export async function benchNode(options: BenchOptions): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bourse-bench-node-'));
  const q = options.quick;
  const results: Result[] = [];
  const say = (r: Result): void => {
    results.push(r);
    if (!options.json) console.log(Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', '));
  };
  let n = 0;
  const dir = (): string => join(root, `run-${n++}`);
  try {
    const closed = await closedLoop(dir(), q ? 300_000 : 1_000_000);
    say(closed);
    const max = Number(closed.ops_per_sec);
    for (const [share, label] of [[0.25, '25pct'], [0.5, '50pct'], [0.75, '75pct']] as const) {
      say(await openLoop(dir(), Math.round(max * share), q ? 1 : 3, label));
    }
    say(await snapshotStall(dir(), q ? 200_000 : 1_000_000));
    for (const r of await startup(dir(), 1_000_000, '1M')) say(r);
    if (!q) for (const r of await startup(dir(), 10_000_000, '10M')) say(r);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  if (options.json) console.log(JSON.stringify({ bench: 'node', results }));
}
