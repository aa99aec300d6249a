/**
 * Helpers of the node tests (not a test file itself): temporary data directories, a logger
 * that records, an independent replay of an archive into a fresh engine, windows of
 * submissions, snapshot files on disk, and fixture processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Archive } from '../../src/archive/archive.ts';
import { EntryType } from '../../src/archive/format.ts';
import type { Command } from '../../src/application/commands.ts';
import { Engine } from '../../src/application/engine.ts';
import type { Event } from '../../src/application/events.ts';
import { stateHash } from '../../src/application/snapshot.ts';
import { eventsOf } from '../../src/codec/events.ts';
import type { Logger } from '../../src/log.ts';
import type { CommandResult, Node } from '../../src/node/node.ts';

/** The project's root directory (where `node --import tsx` finds its loader). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Segment size of the tests: small, so that archives roll over several segments. */
export const SMALL_SEGMENT = 256 * 1024;

/** Runs `fn` with a fresh temporary directory, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-node-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line, to check what a node said. */
export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];

  info(fields: object, message = ''): void {
    this.lines.push({ level: 'info', message, fields: fields as Record<string, unknown> });
  }

  warn(fields: object, message = ''): void {
    this.lines.push({ level: 'warn', message, fields: fields as Record<string, unknown> });
  }

  error(fields: object, message = ''): void {
    this.lines.push({ level: 'error', message, fields: fields as Record<string, unknown> });
  }

  of(level: LogLine['level']): LogLine[] {
    return this.lines.filter((l) => l.level === level);
  }

  /** The fields of the one `node: started` line. */
  started(): { snapshotIndex: number; replayed: number; lastIndex: number } {
    const lines = this.lines.filter((l) => l.message === 'node: started');
    assert.equal(lines.length, 1, 'one "node: started" line');
    return lines[0].fields as { snapshotIndex: number; replayed: number; lastIndex: number };
  }
}

/**
 * Replays an archive (opened read-only) into a fresh engine, entries [first, to]. Checks the
 * log's shape on the way: indexes gapless, terms non-decreasing, every term opening with a
 * no-op (an empty entry of type Noop), every other entry of type Events. Only the events are
 * applied: a no-op changes nothing. Written here rather than taken from src/node, so that the
 * node's own start-up is checked against an independent replay.
 */
export async function replayArchive(archiveDir: string, to?: number): Promise<{
  engine: Engine; hash: string; lastIndex: number; timestampUs: number; term: number; noops: number[]; commands: number[];
}> {
  const archive = await Archive.open({ dir: archiveDir, mode: 'read' });
  try {
    const engine = new Engine();
    const last = to ?? archive.lastIndex;
    let expected = archive.firstIndex;
    let timestampUs = 0;
    let term = 0;
    const noops: number[] = [];
    const commands: number[] = [];
    for await (const batch of archive.replay(archive.firstIndex, last)) {
      for (let k = 0; k < batch.count; k++) {
        const index = batch.index(k);
        assert.equal(index, expected, 'the archive replays its entries in order, without a gap');
        expected++;
        const type = batch.type(k);
        assert.ok(batch.term(k) >= term, `entry ${index}: terms never go back (${batch.term(k)} after ${term})`);
        const newTerm = batch.term(k) > term;
        term = batch.term(k);
        if (type === EntryType.Noop) {
          assert.ok(newTerm, `entry ${index}: a no-op opens a term`);
          assert.equal(batch.payloadBytes(k), 0, `entry ${index}: a no-op is empty`);
          noops.push(index);
          continue;
        }
        assert.equal(type, EntryType.Events, `entry ${index}: a no-op or the events of a command`);
        assert.ok(!newTerm, `entry ${index}: term ${term} opens with a no-op`);
        commands.push(index);
        const from = batch.payloadSlot(k);
        timestampUs = batch.timestampUs(k);
        engine.apply(batch.slots, from, from + batch.payloadBytes(k) / 8, timestampUs);
      }
    }
    assert.equal(expected - 1, last, `the archive holds entries up to ${last}`);
    return { engine, hash: stateHash(engine.state), lastIndex: last, timestampUs, term, noops, commands };
  } finally {
    await archive.close();
  }
}

export interface ArchivedCommand {
  index: number;
  term: number;
  timestampUs: number;
  events: Event[];
}

/** The entries of Events type of an archive (opened read-only), in index order, with their events decoded. */
export async function archivedCommands(archiveDir: string): Promise<ArchivedCommand[]> {
  const archive = await Archive.open({ dir: archiveDir, mode: 'read' });
  try {
    const out: ArchivedCommand[] = [];
    for await (const batch of archive.replay(archive.firstIndex, archive.lastIndex)) {
      for (let k = 0; k < batch.count; k++) {
        if (batch.type(k) !== EntryType.Events) continue;
        const from = batch.payloadSlot(k);
        out.push({ index: batch.index(k), term: batch.term(k), timestampUs: batch.timestampUs(k),
          events: eventsOf(batch.slots, from, from + batch.payloadBytes(k) / 8) });
      }
    }
    return out;
  } finally {
    await archive.close();
  }
}

/**
 * Checks that the archive's command entries are exactly the commands answered, in order, each
 * once — same index, term, time and events as the answer — and that every other entry is a
 * no-op. Returns the replay (see replayArchive).
 */
export async function checkArchiveHolds(archiveDir: string, results: readonly CommandResult[], what = 'the archive'): Promise<Awaited<ReturnType<typeof replayArchive>>> {
  const replay = await replayArchive(archiveDir);
  const archived = await archivedCommands(archiveDir);
  assert.deepEqual(archived.map((e) => e.index), results.map((r) => r.index), `${what}: its command entries are the commands answered, in order, each once`);
  assert.deepEqual(replay.commands, results.map((r) => r.index));
  archived.forEach((e, k) => {
    const r = results[k];
    assert.equal(e.term, r.term, `${what}: term of entry ${e.index}`);
    assert.equal(e.timestampUs, r.timestampUs, `${what}: time of entry ${e.index}`);
    assert.deepEqual(e.events, r.events, `${what}: events of entry ${e.index}`);
  });
  assert.equal(replay.noops.length + replay.commands.length, replay.lastIndex, `${what}: every other entry is a no-op`);
  return replay;
}

/** Asserts that indexes strictly increase (each command its own entry, in order). */
export function assertIncreasing(indexes: readonly number[], what: string): void {
  indexes.forEach((index, k) => {
    if (k > 0) assert.ok(index > indexes[k - 1], `${what}: index ${index} after ${indexes[k - 1]}`);
  });
}

export { prng } from '../sim/random.ts';

/**
 * Submits `commands` in windows of random size (all of a window in flight at once, then
 * awaited), checks the results of a window come back with the next indexes of the log
 * (consecutive from its last index: nothing else is appended while a term lasts), and returns
 * the results. `between` runs after each window (e.g. to take a snapshot).
 */
export async function submitInWindows(node: Node, commands: readonly Command[], random: () => number, maxWindow: number,
  between?: (done: number) => Promise<void> | void): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  let i = 0;
  while (i < commands.length) {
    const size = Math.min(commands.length - i, 1 + Math.floor(random() * maxWindow));
    const first = node.status().lastIndex + 1;
    const window = await Promise.all(commands.slice(i, i + size).map((c) => node.submit(c)));
    window.forEach((r, k) => assert.equal(r.index, first + k, 'results carry consecutive indexes'));
    if (results.length > 0) assert.ok(window[0].index > (results.at(-1) as CommandResult).index, 'indexes increase');
    results.push(...window);
    i += size;
    await between?.(i);
  }
  return results;
}

/** Snapshot files of a data directory, newest first, by index. */
export async function snapshotFiles(dataDir: string): Promise<{ index: number; name: string }[]> {
  let names: string[];
  try {
    names = await readdir(join(dataDir, 'snapshots'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.map((name) => ({ name, m: /^snapshot-(\d{20})\.snap$/.exec(name) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ index: Number((x.m as RegExpExecArray)[1]), name: x.name }))
    .sort((a, b) => b.index - a.index);
}

/** Waits until `condition` holds (polling), or fails after `ms`. */
export async function eventually(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Path of a fixture script under test/node/fixtures. */
export function fixture(name: string): string {
  return join(ROOT, 'test', 'node', 'fixtures', name);
}

/** Runs a fixture to its end in its own process; resolves with its stdout (fails on a non-zero exit). */
export function runFixture(name: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture(name), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${name} exited with ${code ?? signal}: ${err}`));
    });
  });
}
