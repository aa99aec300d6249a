/**
 * End to end, as a newcomer runs it: `bourse start` (what `npm start` runs) in a temp dir on
 * free ports; wait for `ready:`; place and cancel orders with the `bourse` CLI; check the book
 * and balances; stop with SIGTERM; start again and find everything, nothing created twice,
 * and the demo traffic trading.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';

const BIN = new URL('../../bin/bourse.js', import.meta.url).pathname;
const run = promisify(execFile);

/** A base port whose 3 HTTP, 3 binary and 3 peer ports are all free now. */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = [1, 2, 3].flatMap((k) => [base + k, base + 100 + k, base + 200 + k]);
    const free = await Promise.all(ports.map((p) => new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false)).listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    })));
    if (free.every(Boolean)) return base;
  }
}

interface Started {
  child: ChildProcess;
  output: string[];
  ready: string;
}

function start(dataDir: string, base: number, ...options: string[]): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--base-port', String(base), ...options], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready: line within 60 s:\n${output.join('\n')}`)), 60_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) {
        if (line.length > 0) output.push(line);
        if (line.startsWith('ready: ')) {
          clearTimeout(timer);
          resolve({ child, output, ready: line.slice('ready: '.length).split(' ')[0] });
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => output.push(...text.split('\n').filter((l) => l.length > 0)));
    child.once('exit', (code) => reject(new Error(`bourse start exited with ${code}:\n${output.join('\n')}`)));
  });
}

async function stop(s: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  return exited;
}

it('npm start: a local cluster with a demo market, driven by the CLI, survives a restart', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-start-'));
  const dataDir = join(dir, 'data');
  const base = await freeBase();
  let first: Started | undefined;
  let second: Started | undefined;
  try {
    first = await start(dataDir, base);
    const keyLine = first.output.find((l) => l.includes('account 1: BOURSE_API_KEY='));
    assert.ok(keyLine !== undefined, first.output.join('\n'));
    const [, key, secret] = /BOURSE_API_KEY=(\d+) BOURSE_API_SECRET=([0-9a-f]+)/.exec(keyLine) ?? [];
    const env = { ...process.env, BOURSE_URL: first.ready, BOURSE_API_KEY: key, BOURSE_API_SECRET: secret };
    const cli = async (...args: string[]): Promise<unknown> => JSON.parse((await run(process.execPath, [BIN, ...args, '--json'], { env })).stdout) as unknown;
    const placed = await cli('order', 'place', 'BTC-USD', 'buy', '0.5', '--price', '40000') as { order: { orderId: number; status: string } };
    assert.equal(placed.order.status, 'new');
    const other = await cli('order', 'place', 'BTC-USD', 'buy', '0.25', '--price', '39999.5') as { order: { orderId: number } };
    await cli('order', 'cancel', String(other.order.orderId));
    const book = await cli('book', 'BTC-USD') as { bids: string[][] };
    assert.deepEqual(book.bids, [['40000', '0.5', 1]]);
    const balances = await cli('balances') as { asset: string; available: string; held: string }[];
    // 0.5 BTC at 40,000 USD = 20,000 USD held, plus the largest taker fee (20 bps: 40 USD).
    assert.deepEqual(balances.find((b) => b.asset === 'USD'), { asset: 'USD', available: '9979960', held: '20040' });
    const status = await cli('cluster', 'status') as { role: string; lag: number }[];
    assert.deepEqual(status.map((s) => s.role).sort(), ['follower', 'follower', 'leader']);
    // A refused order: exit code 1 and one line naming the reason.
    await assert.rejects(run(process.execPath, [BIN, 'order', 'place', 'BTC-USD', 'buy', '0.00001', '--price', '40000'], { env }),
      (error: { code: number; stderr: string }) => error.code === 1 && /decimal places/.test(error.stderr) && error.stderr.trim().split('\n').length === 1);
    assert.equal(await stop(first), 0);
    first = undefined;

    // The demo traffic's keys were made on the first start and not kept then: made and kept now.
    second = await start(dataDir, base, '--demo-traffic');
    assert.ok(second.output.some((l) => l.includes('found from an earlier start')), second.output.join('\n'));
    assert.ok(!second.output.some((l) => /BOURSE_API_SECRET=[0-9a-f]{16}/.test(l)), 'keys are printed once');
    const env2 = { ...env, BOURSE_URL: second.ready };
    const orders = JSON.parse((await run(process.execPath, [BIN, 'order', 'list', '--json'], { env: env2 })).stdout) as { orderId: number }[];
    assert.deepEqual(orders.map((o) => o.orderId), [placed.order.orderId]);
    const products = JSON.parse((await run(process.execPath, [BIN, 'products', '--json'], { env: env2 })).stdout) as { symbol: string }[];
    assert.deepEqual(products.map((p) => p.symbol), ['BTC-USD', 'ETH-USD']);
    assert.match(await readFile(join(dataDir, 'node-1.json'), 'utf8'), /"secrets"/);
    const deadline = Date.now() + 30_000;
    let trades: unknown[] = [];
    while (trades.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      trades = await (await fetch(`${second.ready}/v1/products/BTC-USD/trades`)).json() as unknown[];
    }
    assert.ok(trades.length > 0, `the demo traffic trades on a later start:\n${second.output.join('\n')}`);
  } finally {
    if (first !== undefined) await stop(first);
    if (second !== undefined) await stop(second);
    await rm(dir, { recursive: true, force: true });
  }
});
