/**
 * Crash safety under load: a real child process (fixtures/load-writer.ts) runs a node with
 * fsync `always`, many deposits in flight, each with a unique transfer id and an amount of 1,
 * and prints the id of each one acknowledged. It is killed with SIGKILL at a random moment
 * and restarted with fresh ids, round after round, on the same data directory. After each
 * kill: every acknowledged deposit is in the reopened state exactly once (its transfer is
 * there, and each account's balance is the number of its transfers: nothing applied twice),
 * the archive verifies clean, and the state hash equals that of a full replay of the archive
 * computed in another process (fixtures/replay-hash.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { EventCode } from '../../src/application/events.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import { Node } from '../../src/node/node.ts';
import { ROOT, RecordingLogger, fixture, prng, runFixture, withTempDir } from './harness.ts';

const ROUNDS = 6;
const ACCOUNTS = 5;
/** Transfer ids of round r start at r × ID_STRIDE + 1: every run uses fresh ones. */
const ID_STRIDE = 10_000_000;

interface Run {
  acked: number[];
  killedAfterMs: number;
}

/** Starts the writer, kills it `delayMs` after it is ready, and returns what it acknowledged. */
function runAndKill(dataDir: string, firstId: number, delayMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture('load-writer.ts'), dataDir, String(firstId), String(ACCOUNTS)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let readyAt = 0;
    let stderr = '';
    // If it never gets ready, it is killed all the same and the run fails below.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      const lines = buffered.split('\n');
      // A last line without its newline is incomplete: it waits for the rest (or is dropped).
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') {
          readyAt = performance.now();
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        } else if (line.startsWith('ack ')) {
          acked.push(Number(line.slice(4)));
        } else {
          reject(new Error(`unexpected output from the writer: ${line}`));
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (readyAt === 0) reject(new Error(`the writer never got ready (exit ${code ?? signal}): ${stderr}`));
      else if (signal !== 'SIGKILL') reject(new Error(`the writer ended by itself (exit ${code ?? signal}): ${stderr}`));
      else resolve({ acked, killedAfterMs: Math.round(performance.now() - readyAt) });
    });
  });
}

it(`kill -9 under load, ${ROUNDS} rounds: nothing acknowledged is lost, nothing is applied twice`, async () => {
  const seed = Date.now() >>> 0;
  const random = prng(seed);
  await withTempDir(async (dir) => {
    const acked = new Set<number>();
    const rounds: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const firstId = round * ID_STRIDE + 1;
      const run = await runAndKill(dir, firstId, 50 + Math.floor(random() * 351));
      for (const id of run.acked) {
        assert.ok(id >= firstId && id < firstId + ID_STRIDE, `round ${round} acknowledged a fresh id (${id})`);
        assert.ok(!acked.has(id), `id ${id} acknowledged twice`);
        acked.add(id);
      }
      const context = `seed ${seed}, round ${round} (killed ${run.killedAfterMs} ms after ready, ${run.acked.length} acknowledged)`;
      rounds.push(context);

      const logger = new RecordingLogger();
      const node = await Node.open({ dataDir: dir, segmentBytes: 64 * 1024, logger });
      let hash: string;
      let lastIndex: number;
      try {
        const state = node.state;
        assert.equal(state.assets.count, 1, context);
        assert.equal(state.accounts.count, ACCOUNTS + 1, context);
        for (const id of acked) {
          const t = state.transfers.get(id);
          assert.ok(t !== undefined, `${context}: acknowledged deposit ${id} is missing`);
          assert.deepEqual(t, { kind: EventCode.Deposited, account: 1 + (id % ACCOUNTS), asset: 1, amount: 1 }, context);
        }
        // Deposits are the only transfers and each is 1: an account holds exactly its count.
        const perAccount = new Array<number>(ACCOUNTS + 1).fill(0);
        for (const t of state.transfers.values()) perAccount[t.account]++;
        const { accounts } = state;
        for (let a = 0; a <= ACCOUNTS; a++) {
          assert.equal(accounts.available[a * accounts.stride + 1], perAccount[a], `${context}: account ${a} balance vs its transfers`);
          assert.equal(accounts.held[a * accounts.stride + 1], 0, context);
        }
        assert.equal(state.assets.list[0].supply, state.transfers.size, `${context}: supply is the number of deposits`);
        assert.ok(state.transfers.size >= acked.size, context);
        hash = node.stateHash();
        lastIndex = node.status().lastIndex;
        assert.equal(logger.started().snapshotIndex, node.status().snapshotIndex, context);
      } finally {
        await node.close();
      }
      const report = await verifyArchive(join(dir, 'archive'));
      assert.ok(report.clean, `${context}: ${JSON.stringify(report.problems)}`);
      assert.equal(report.lastIndex, lastIndex, context);
      const replayed = JSON.parse(await runFixture('replay-hash.ts', [join(dir, 'archive')])) as { hash: string; lastIndex: number };
      assert.deepEqual(replayed, { hash, lastIndex }, `${context}: a full replay in another process reaches the reopened state`);
    }
    // Kills must land while deposits are being acknowledged, or the rounds prove little.
    assert.ok(acked.size >= 100, `too few deposits acknowledged: ${rounds.join('; ')}`);
  });
});
