/**
 * `npm run bench -- archive`: group-commit appends of ~100-byte entries with fsync `always`
 * at batch sizes 1, 64 and 1,024, each beside the raw limit (write + fdatasync of the same
 * bytes on a preallocated file); then replay of a long history, decoding only and applying.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Archive } from '../../src/archive/archive.ts';
import { EntryType, recordBytes } from '../../src/archive/format.ts';
import { Engine } from '../../src/application/engine.ts';
import { type BenchOptions, formatRate, percentile, round } from '../stats.ts';
import { writeHistory } from './history.ts';
import { rawWritesPerSec } from './raw.ts';

const PAYLOAD_BYTES = 56; // + 48 bytes of record header = 104-byte records
const RECORD_BYTES = recordBytes(PAYLOAD_BYTES);

interface Result {
  case: string;
  entries: number;
  entries_per_sec: number;
  mb_per_sec: number;
  fsyncs_per_sec?: number;
  p50_us?: number;
  p99_us?: number;
  raw_limit_entries_per_sec?: number;
  raw_limit_ratio?: number;
}

/**
 * Appends `entries` entries in appends of `batch` entries, pipelined: a new append is made
 * every event-loop turn while fewer than `inflight` are unacknowledged (as a node keeps
 * processing commands while its fsync runs). Latency: from an append to its durability.
 */
async function appendCase(dir: string, batch: number, entries: number, inflight: number): Promise<Result> {
  const archive = await Archive.open({ dir, fsync: 'always' });
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(42);
  // Warm up: the first segment made and one entry synced before the clock starts.
  archive.add(1, 1, EntryType.Events, 1, payload);
  await archive.flush();
  entries += 1;
  const latencies = new Float64Array(Math.ceil(entries / batch));
  let appends = 0;
  let outstanding = 0;
  let index = 1;
  let wake: (() => void) | undefined;
  const syncsBefore = archive.syncs;
  const start = performance.now();
  while (index < entries) {
    while (outstanding >= inflight) await new Promise<void>((resolve) => (wake = resolve));
    const n = Math.min(batch, entries - index);
    for (let k = 0; k < n; k++) archive.add(++index, 1, EntryType.Events, index, payload);
    const t = performance.now();
    const slot = appends++;
    outstanding++;
    void archive.flush().then(() => {
      latencies[slot] = (performance.now() - t) * 1e3;
      outstanding--;
      wake?.();
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
  await archive.flush();
  const seconds = (performance.now() - start) / 1e3;
  const fsyncs = archive.syncs - syncsBefore;
  await archive.close();
  entries -= 1;
  const sorted = latencies.subarray(0, appends).sort();
  return {
    case: `append_batch_${batch}`,
    entries,
    entries_per_sec: Math.round(entries / seconds),
    mb_per_sec: round((entries * RECORD_BYTES) / seconds / 1e6, 1),
    fsyncs_per_sec: Math.round(fsyncs / seconds),
    p50_us: round(percentile(sorted, 50), 0),
    p99_us: round(percentile(sorted, 99), 0),
  };
}

async function replayCases(dir: string, entries: number): Promise<Result[]> {
  await writeHistory(dir, entries);
  const archive = await Archive.open({ dir, mode: 'read' });
  const bytes = archive.stats().bytes;
  try {
    let count = 0;
    let checksum = 0;
    let start = performance.now();
    for await (const batch of archive.replay(1)) {
      for (let k = 0; k < batch.count; k++) checksum += batch.type(k) + batch.slots[batch.payloadSlot(k)];
      count += batch.count;
    }
    const decode = (performance.now() - start) / 1e3;
    if (count !== entries || checksum === 0) throw new Error(`replay read ${count} of ${entries} entries`);
    const engine = new Engine();
    start = performance.now();
    for await (const batch of archive.replay(1)) {
      for (let k = 0; k < batch.count; k++) {
        const from = batch.payloadSlot(k);
        engine.apply(batch.slots, from, from + batch.payloadBytes(k) / 8, batch.timestampUs(k));
      }
    }
    const apply = (performance.now() - start) / 1e3;
    return [
      { case: 'replay_decode', entries, entries_per_sec: Math.round(entries / decode), mb_per_sec: round(bytes / decode / 1e6, 1) },
      { case: 'replay_apply', entries, entries_per_sec: Math.round(entries / apply), mb_per_sec: round(bytes / apply / 1e6, 1) },
    ];
  } finally {
    await archive.close();
  }
}

export async function benchArchive(options: BenchOptions): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bourse-bench-archive-'));
  const q = options.quick;
  const cases: [batch: number, entries: number, inflight: number, rawWrites: number][] = [
    [1, q ? 2_000 : 10_000, 256, q ? 1_000 : 3_000],
    [64, q ? 100_000 : 1_000_000, 64, q ? 500 : 2_000],
    [1024, q ? 200_000 : 1_000_000, 8, q ? 200 : 500],
  ];
  const results: Result[] = [];
  try {
    for (const [batch, entries, inflight, rawWrites] of cases) {
      const r = await appendCase(join(root, `append-${batch}`), batch, entries, inflight);
      const raw = (await rawWritesPerSec(root, batch * RECORD_BYTES, rawWrites)) * batch;
      r.raw_limit_entries_per_sec = Math.round(raw);
      r.raw_limit_ratio = round(r.entries_per_sec / raw, 2);
      results.push(r);
      await rm(join(root, `append-${batch}`), { recursive: true, force: true });
      if (!options.json) {
        console.log(`${r.case}: ${formatRate(r.entries_per_sec)} entries durable (${r.entries}), ${r.mb_per_sec} MB/s, ` +
          `${r.fsyncs_per_sec} fsyncs/s, append-to-durable p50 ${r.p50_us} µs p99 ${r.p99_us} µs; ` +
          `raw write+fdatasync of ${batch * RECORD_BYTES} B: ${formatRate(raw)} entries → ${r.raw_limit_ratio}×`);
      }
    }
    for (const r of await replayCases(join(root, 'history'), q ? 1_000_000 : 10_000_000)) {
      results.push(r);
      if (!options.json) console.log(`${r.case}: ${formatRate(r.entries_per_sec)} entries (${r.entries}), ${r.mb_per_sec} MB/s`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  if (options.json) console.log(JSON.stringify({ bench: 'archive', results }));
}
