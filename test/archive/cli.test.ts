/**
 * `bourse archive verify|inspect|stats` run as the real command (node bin/bourse.js): exit
 * codes (0 clean, 1 problems, 2 unreadable), the summary and JSON reports, entries printed as
 * JSON lines with decoded engine events, and stats.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Archive } from '../../src/archive/archive.ts';
import { EntryType } from '../../src/archive/format.ts';
import { writeMeta } from '../../src/archive/meta.ts';
import type { VerifyReport } from '../../src/archive/verify.ts';
import { engineLog, type EngineLog } from './engine-log.ts';
import {
  SEGMENT_BYTES, TempDirs, copyDir, dirFingerprint, flipBit, locationOf, recordLocations, segmentFiles, writeBytes,
} from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'bourse.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bourse(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'archive', ...args], { cwd: ROOT, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(new Error(`bourse ${args.join(' ')} did not run: ${error.message}`));
        return;
      }
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

let log: EngineLog;
let clean: string;
let torn: string;
let corrupt: string;
let corruptAt: { file: string; offset: number; index: number };
let tornAt: { file: string; offset: number; index: number };
let count: number;

before(async () => {
  const root = await temp.make('bourse-cli-');
  clean = join(root, 'clean');
  torn = join(root, 'torn');
  corrupt = join(root, 'corrupt');
  log = engineLog(900);
  // Entry 1: a no-op; then one entry per command, each synced before the next (watermarks).
  const a = await Archive.open({ dir: clean, segmentBytes: SEGMENT_BYTES, fsync: 'always' });
  a.add(1, 1, EntryType.Noop, 1, new Uint8Array(0));
  await a.flush();
  for (let k = 0; k < log.entries.length; k++) {
    const e = log.entries[k];
    a.add(k + 2, k < 300 ? 1 : 2, EntryType.Events, e.timestampUs, e.payload);
    if (k % 2 === 0) await a.flush();
  }
  await a.close();
  count = log.entries.length + 1;
  await writeMeta(clean, { currentTerm: 2, votedFor: 3 });
  assert.ok((await segmentFiles(clean)).length >= 2);

  await copyDir(clean, torn);
  const last = locationOf(await recordLocations(torn), count);
  await writeBytes(last.file, last.offset + 20, new Uint8Array(last.length - 20));
  tornAt = { file: last.file, offset: last.offset, index: count };

  await copyDir(clean, corrupt);
  const victim = locationOf(await recordLocations(corrupt), 100);
  await flipBit(victim.file, victim.offset + 60, 3);
  corruptAt = { file: victim.file, offset: victim.offset, index: 100 };
});

describe('bourse archive verify', () => {
  it('clean: exit 0 and a summary line; torn and corrupt: exit 1 naming file, offset, index (and nothing changed); missing: exit 2', async () => {
    const missing = join(clean, '..', 'no-such-dir');
    const tornBefore = await dirFingerprint(torn);
    const [ok, tornRun, corruptRun, missingRun] = await Promise.all([
      bourse('verify', clean), bourse('verify', torn), bourse('verify', corrupt), bourse('verify', missing),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout,
      `clean: ${count} entries, index 1..${count}, terms 1..2 (1 changes), ` +
      `${(await recordLocations(clean)).reduce((s, l) => s + l.length, 0)} bytes in ${(await segmentFiles(clean)).length} segments\n`);

    assert.equal(tornRun.code, 1, tornRun.stderr);
    assert.equal(await dirFingerprint(torn), tornBefore, 'verify changed a torn archive');
    assert.match(tornRun.stdout, new RegExp(`^NOT CLEAN: ${count - 1} entries, index 1\\.\\.${count - 1},`));
    assert.match(tornRun.stdout, /\ntorn-tail: /);
    for (const part of [`file ${tornAt.file}`, `offset ${tornAt.offset}`, `index ${tornAt.index}`]) assert.ok(tornRun.stdout.includes(part), part);

    assert.equal(corruptRun.code, 1, corruptRun.stderr);
    assert.match(corruptRun.stdout, /^NOT CLEAN: /);
    assert.match(corruptRun.stdout, /\ncorruption: BAD_RECORD: /);
    for (const part of [`file ${corruptAt.file}`, `offset ${corruptAt.offset}`, `index ${corruptAt.index}`]) {
      assert.ok(corruptRun.stdout.includes(part), `${part} in ${corruptRun.stdout}`);
    }

    assert.equal(missingRun.code, 2);
    assert.equal(missingRun.stdout, '');
    assert.match(missingRun.stderr, /NOT_AN_ARCHIVE/);
  });

  it('--json prints the report; a directory that is not an archive exits 2; a gap exits 1', async () => {
    const notArchive = join(clean, '..', 'not-archive');
    await mkdir(notArchive);
    await writeFile(join(notArchive, 'README'), 'hello');
    const gap = join(clean, '..', 'gap');
    await copyDir(clean, gap);
    const files = await segmentFiles(gap);
    assert.ok(files.length >= 3, `${files.length} segments`);
    await rm(files[1]);
    const [ok, bad, other, gapRun] = await Promise.all([
      bourse('verify', '--json', clean), bourse('verify', corrupt, '--json'), bourse('verify', '--json', notArchive), bourse('verify', gap),
    ]);
    assert.equal(ok.code, 0);
    const r = JSON.parse(ok.stdout) as VerifyReport;
    assert.equal(r.clean, true);
    assert.equal(r.entries, count);
    assert.equal(r.firstIndex, 1);
    assert.equal(r.lastIndex, count);
    assert.deepEqual(r.terms, { first: 1, last: 2, changes: 1 });
    assert.deepEqual(r.entryTypes, { Noop: 1, Events: count - 1 });
    assert.deepEqual(r.problems, []);

    assert.equal(bad.code, 1);
    const b = JSON.parse(bad.stdout) as VerifyReport;
    assert.equal(b.clean, false);
    assert.equal(b.lastIndex, 99);
    assert.deepEqual(b.problems.map((p) => [p.kind, p.code, p.file, p.offset, p.index]),
      [['corruption', 'BAD_RECORD', corruptAt.file, corruptAt.offset, corruptAt.index]]);

    assert.equal(other.code, 2);
    assert.match(other.stderr, /NOT_AN_ARCHIVE.*README/);

    assert.equal(gapRun.code, 1);
    assert.match(gapRun.stdout, /corruption: GAP: /);
    assert.ok(gapRun.stdout.includes(basename(files[2])));
  });
});

describe('bourse archive inspect and stats', () => {
  it('inspect --from N --limit M prints exactly M JSON lines whose events decode to the engine\'s', async () => {
    const [mid, first, end, none] = await Promise.all([
      bourse('inspect', clean, '--from', '250', '--limit', '40'),
      bourse('inspect', clean, '--limit', '3'),
      bourse('inspect', clean, '--from', String(count - 2), '--limit', '10'),
      bourse('inspect', clean, '--from', String(count + 1)),
    ]);
    for (const run of [mid, first, end, none]) assert.equal(run.code, 0, run.stderr);
    const lines = (run: Run): Record<string, unknown>[] => {
      assert.ok(run.stdout === '' || run.stdout.endsWith('\n'));
      return run.stdout.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const check = (entry: Record<string, unknown>, index: number): void => {
      assert.equal(entry.index, index);
      if (index === 1) {
        assert.deepEqual(entry, { index: 1, term: 1, type: 'Noop', timestampUs: 1, events: [] });
        return;
      }
      const e = log.entries[index - 2];
      assert.equal(entry.type, 'Events');
      assert.equal(entry.term, index - 2 < 300 ? 1 : 2);
      assert.equal(entry.timestampUs, e.timestampUs);
      assert.deepEqual(entry.events, JSON.parse(JSON.stringify(e.events)));
      assert.equal(entry.error, undefined);
    };
    const m = lines(mid);
    assert.equal(m.length, 40);
    m.forEach((entry, k) => check(entry, 250 + k));
    assert.ok(m.some((entry) => (entry.events as { type: string }[]).some((ev) => ev.type === 'Trade')), 'trades are printed');
    const f = lines(first);
    assert.equal(f.length, 3);
    f.forEach((entry, k) => check(entry, 1 + k));
    const e = lines(end);
    assert.equal(e.length, 3);
    e.forEach((entry, k) => check(entry, count - 2 + k));
    assert.equal(none.stdout, '');
  });

  it('stats prints JSON with the index range, sizes and the durable term and vote', async () => {
    const [ok, tornStats] = await Promise.all([bourse('stats', clean), bourse('stats', torn)]);
    assert.equal(ok.code, 0, ok.stderr);
    const s = JSON.parse(ok.stdout) as Record<string, unknown>;
    assert.equal(s.firstIndex, 1);
    assert.equal(s.lastIndex, count);
    assert.equal(s.segments, (await segmentFiles(clean)).length);
    assert.equal(s.bytes, (await recordLocations(clean)).reduce((sum, l) => sum + l.length, 0));
    assert.equal(s.lastTerm, 2);
    assert.equal(s.currentTerm, 2);
    assert.equal(s.votedFor, 3);
    assert.equal(s.tornTail, null);
    // A torn archive (read-only: nothing is cut) shows the torn tail it would cut.
    assert.equal(tornStats.code, 0, tornStats.stderr);
    const t = JSON.parse(tornStats.stdout) as { lastIndex: number; tornTail: { file: string; offset: number; index: number } };
    assert.equal(t.lastIndex, count - 1);
    assert.deepEqual([t.tornTail.file, t.tornTail.offset, t.tornTail.index], [tornAt.file, tornAt.offset, tornAt.index]);
  });
});
