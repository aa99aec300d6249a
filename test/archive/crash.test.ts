/**
 * A real writer process killed with SIGKILL at random moments, several times over the same
 * archive: after each kill, the reopened archive holds every index the writer reported durable
 * with its exact payload, verifies clean, and holds nothing half-written after its last entry.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Archive } from '../../src/archive/archive.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import {
  SEGMENT_BYTES, TempDirs, allZero, assertDeterministic, dataEnd, prng, randomInt, readAll, recordLocations, segmentFiles,
} from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
const ROUNDS = 6;

interface Round {
  /** lastIndex the writer found when it opened the archive. */
  readyAt: number;
  /** Indexes it printed as durable. */
  durable: number[];
}

/** Runs the writer until `ready`, lets it write for `runMs`, then SIGKILLs it. */
async function runAndKill(dir: string, seed: number, runMs: number): Promise<Round> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(seed)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  try {
    // Wait for `ready` (the open, with its recovery, is done), without hanging if it never comes.
    const deadline = Date.now() + 60_000;
    while (!out.includes('\n')) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the writer ended before it was ready: ${err}`);
      if (Date.now() > deadline) throw new Error(`the writer was not ready in time: ${err}`);
      await sleep(5);
    }
    await sleep(runMs);
  } finally {
    child.kill('SIGKILL');
  }
  const { code, signal } = await exited;
  assert.equal(signal, 'SIGKILL', `the writer ended by itself (code ${code}): ${err}`);
  // Every complete line; a line cut short by the kill (there should be none) is ignored.
  const lines = out.split('\n').slice(0, -1);
  const ready = /^ready (\d+)$/.exec(lines[0]);
  assert.ok(ready !== null, `first line: ${lines[0]}`);
  const durable = lines.slice(1).map((line) => {
    assert.match(line, /^\d+$/);
    return Number(line);
  });
  return { readyAt: Number(ready[1]), durable };
}

describe('SIGKILL of a writer with fsync always', () => {
  it(`${ROUNDS} rounds of write, kill at a random moment, recover, continue`, async (t) => {
    const dir = join(await temp.make('bourse-crash-'), 'archive');
    const rand = prng(20261127);
    let expectedStart = 0;
    let everDurable = 0;
    let maxDurable = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const runMs = randomInt(rand, 30, 300);
      const { readyAt, durable } = await runAndKill(dir, 1000 + round, runMs);
      const what = `round ${round} (killed after ${runMs} ms, ${durable.length} durable)`;
      // The writer started where the last recovery left the log.
      assert.equal(readyAt, expectedStart, what);
      for (let k = 1; k < durable.length; k++) assert.ok(durable[k] > durable[k - 1], `durable indexes increase (${what})`);
      if (durable.length > 0) {
        assert.ok(durable[0] > readyAt, what);
        maxDurable = durable.at(-1) as number;
      }
      everDurable += durable.length;

      const a = await Archive.open({ dir, segmentBytes: SEGMENT_BYTES, fsync: 'never' });
      try {
        // Everything reported durable is there (with all entries before it), payloads intact.
        assert.ok(a.lastIndex >= maxDurable, `lastIndex ${a.lastIndex} below durable ${maxDurable} (${what})`);
        assert.ok(a.tornTail === undefined || a.tornTail.index > maxDurable, `a durable entry was cut (${what})`);
        assert.equal(a.firstIndex, 1);
        assertDeterministic(await readAll(a), 1, a.lastIndex);
        expectedStart = a.lastIndex;
      } finally {
        await a.close();
      }
      // Nothing half-present after the last entry: every segment is zero after its records,
      // and the segments after the one holding the last record hold no record.
      const locations = await recordLocations(dir);
      assert.equal(locations.length, expectedStart, what);
      const files = await segmentFiles(dir);
      for (const file of files) assert.ok(await allZero(file, await dataEnd(file)), `bytes after the data of ${file} (${what})`);
      const lastFile = locations.at(-1)?.file;
      if (lastFile !== undefined) {
        for (const file of files.slice(files.indexOf(lastFile) + 1)) assert.equal(await dataEnd(file), 64, what);
      }
      const report = await verifyArchive(dir);
      assert.equal(report.clean, true, `${what}: ${JSON.stringify(report.problems)}`);
      assert.equal(report.lastIndex, expectedStart, what);
      t.diagnostic(`${what}: log 1..${expectedStart} in ${files.length} segments`);
    }
    // The rounds did write: durable entries, over several segments.
    assert.ok(everDurable > 0, 'no entry was ever reported durable');
    assert.ok(expectedStart >= maxDurable);
    assert.ok((await segmentFiles(dir)).length >= 2, 'the log spans several segments');
  });
});
