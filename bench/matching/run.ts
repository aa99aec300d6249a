/**
 * `npm run bench -- matching`: full decide + apply (holds, fees, events) on one thread, for
 * exchange-core's mix and a deep book, with nodejs-order-book fed the same stream as the peer.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import { type BenchOptions, formatRate, percentile, round } from '../stats.ts';
import { newPeer, peerOps, runPeer } from './peer.ts';
import { type Workload, deepBook, exchangeCoreMix } from './workload.ts';

interface ScenarioResult {
  scenario: string;
  ops: number;
  ops_per_sec: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  bytes_per_order: number;
  gc_ms: number;
  peer_ops_per_sec: number;
  ratio: number;
}

function prepared(w: Workload): Engine {
  const engine = new Engine();
  let t = 1;
  for (const c of w.setup) engine.execute(c, t++);
  engine.out.reset();
  return engine;
}

function runOps(engine: Engine, ops: readonly Command[], t0: number): void {
  const out = engine.out;
  for (let i = 0; i < ops.length; i++) {
    out.length = 0;
    engine.execute(ops[i], t0 + i);
  }
}

/** Bytes the engine's order structures hold (pools at their grown capacity, indexes, levels). */
function bookBytes(engine: Engine): number {
  const { orders, levels, products } = engine.state;
  let bytes = orders.byteSize() + levels.byteSize();
  for (const p of products) if (p !== undefined) for (const side of [p.bids, p.asks, p.buyStops, p.sellStops]) bytes += side.byteSize();
  return bytes;
}

/**
 * Bytes per resting order: what the order structures grew by to hold the prefilled book,
 * counted from the structures themselves (capacity included), since a heap delta this small
 * is below the noise of V8's heap statistics.
 */
function bytesPerOrder(w: Workload): number {
  const engine = prepared(w);
  const before = bookBytes(engine);
  runOps(engine, w.prefill, 1e6);
  return (bookBytes(engine) - before) / w.resting;
}

/**
 * Throughput of one pass over the ops on a freshly prefilled engine, and its GC time. No
 * forced GC comes right before it: a full collection slows V8 for a while afterwards.
 */
async function throughput(w: Workload): Promise<{ opsPerSec: number; gcMs: number }> {
  const engine = prepared(w);
  runOps(engine, w.prefill, 1e6);
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const start = performance.now();
  runOps(engine, w.ops, 2e6);
  const seconds = (performance.now() - start) / 1e3;
  // GC entries are delivered asynchronously: let them arrive before counting.
  await new Promise((resolve) => setImmediate(resolve));
  observer.disconnect();
  return { opsPerSec: w.ops.length / seconds, gcMs };
}

/** Per-operation latency on another fresh engine (timing each op costs a little throughput). */
function latency(w: Workload): Float64Array {
  const engine = prepared(w);
  runOps(engine, w.prefill, 1e6);
  const samples = new Float64Array(w.ops.length);
  const out = engine.out;
  for (let i = 0; i < w.ops.length; i++) {
    out.length = 0;
    const t = performance.now();
    engine.execute(w.ops[i], 2e6 + i);
    samples[i] = (performance.now() - t) * 1e3;
  }
  return samples.sort();
}

/** The peer on the same stream; it is so much slower that a prefix of the ops measures it. */
function peerThroughput(w: Workload, maxOps: number): number {
  const prefill = peerOps(w.prefill, w.prefillIds);
  const ops = peerOps(w.ops.slice(0, maxOps), w.orderIds.slice(0, maxOps));
  const book = newPeer();
  runPeer(book, prefill, 0, prefill.length);
  const start = performance.now();
  runPeer(book, ops, 0, ops.length);
  return ops.length / ((performance.now() - start) / 1e3);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function scenario(w: Workload, reps: number, peerOpsMax: number): Promise<ScenarioResult> {
  const bytes = bytesPerOrder(w);
  // Warm the JIT on the whole stream first, for both engines.
  for (let i = 0; i < 3; i++) runOps(prepared(w), w.prefill.concat(w.ops), 1e6);
  peerThroughput(w, peerOpsMax);
  const ours: { opsPerSec: number; gcMs: number }[] = [];
  const peers: number[] = [];
  // Alternate the two so that a noisy moment of the machine hits both alike. The peer leaves
  // a large garbage heap behind; an untimed pass of ours absorbs its collection before each
  // timed run (a forced gc() would be worse: V8 runs slower for a while after one).
  for (let i = 0; i < reps; i++) {
    peers.push(peerThroughput(w, peerOpsMax));
    runOps(prepared(w), w.ops, 1e6);
    ours.push(await throughput(w));
  }
  const samples = latency(w);
  const opsPerSec = median(ours.map((r) => r.opsPerSec));
  const peer = median(peers);
  return {
    scenario: w.name,
    ops: w.ops.length,
    ops_per_sec: Math.round(opsPerSec),
    p50_us: round(percentile(samples, 50), 3),
    p99_us: round(percentile(samples, 99), 3),
    p999_us: round(percentile(samples, 99.9), 3),
    bytes_per_order: Math.round(bytes),
    gc_ms: round(median(ours.map((r) => r.gcMs)), 1),
    peer_ops_per_sec: Math.round(peer),
    ratio: round(opsPerSec / peer, 1),
  };
}

export async function benchMatching(options: BenchOptions): Promise<void> {
  const ops = options.quick ? 300_000 : 1_000_000;
  const reps = options.quick ? 3 : 7;
  const results: ScenarioResult[] = [];
  for (const [make, peerOpsMax] of [[exchangeCoreMix, 300_000], [deepBook, 40_000]] as const) {
    const w = make(ops);
    const r = await scenario(w, reps, peerOpsMax);
    results.push(r);
    if (!options.json) {
      console.log(
        `${r.scenario}: ${formatRate(r.ops_per_sec)} ops (median of ${reps} runs of ${r.ops} ops, ${w.resting} resting at start), ` +
          `p50 ${r.p50_us} µs, p99 ${r.p99_us} µs, p99.9 ${r.p999_us} µs, ${r.bytes_per_order} B/order, ` +
          `GC ${r.gc_ms} ms/run; peer nodejs-order-book ${formatRate(r.peer_ops_per_sec)} → ${r.ratio}×`,
      );
    }
  }
  if (options.json) console.log(JSON.stringify({ bench: 'matching', results }));
}
