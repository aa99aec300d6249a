/**
 * `npm run bench -- gateway`: a 3-node cluster of `bourse node` processes (2 replicas, fsync
 * `always`) on this machine, loaded from this process over loopback. Binary order entry: 8
 * connections, each its own account, pipelined up to the server's in-flight limit — committed
 * orders/s in a closed loop, then open-loop latency at 25, 50 and 75% of that rate (from each
 * order's scheduled time to its last report, so queueing shows; measured after a second at the
 * rate), each with the leader's own commit latency and what the nodes' syncs and collection
 * pauses took meanwhile (histogram-figures.ts) and how many nodes finished a snapshot, which
 * shares the cores and the disk (snapshot-figures.ts). Every binary phase gives each process's
 * CPU time per order and the cores kept busy (cpu-figures.ts): an open loop forms smaller
 * batches than the closed one, each with its wake-ups, syscalls and durable writes, so an order
 * costs more there and a share of the closed loop's rate keeps a larger share of the cores
 * busy. REST: the same with signed requests. Then, with the cluster stopped, the peer of the 50 %
 * phase's latency: the disk alone, three appenders at that phase's bytes per second
 * (disk-floor.ts).
 * Buyers and sellers meet at one price, so half the orders trade and the book stays small.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrderConnection } from '../../src/client/order-connection.ts';
import { RestClient, type RestCredentials } from '../../src/client/rest-client.ts';
import type { MessageOf, ServerMessage } from '../../src/gateway/binary/messages.ts';
import { setUpMarket } from '../../test/gateway/support.ts';
import { ADMIN_KEY, ServerCluster, type ServerMember } from '../../test/support/server-cluster.ts';
import { type BenchOptions, latencyFigures, round } from '../stats.ts';
import { cpuFigures, cpuMark } from './cpu-figures.ts';
import { bucketsOf, histogramFigures } from './histogram-figures.ts';
import { diskFloor } from './disk-floor.ts';
import { type Exposition, firstValues, scrape } from './scrape.ts';
import { snapshotIndexes, snapshotsTaken } from './snapshot-figures.ts';

interface Result {
  case: string;
  [figure: string]: number | string;
}

const PRICE = 10_000;
/** Binary connections, each a trader of its own account, as firms connect. */
const CONNECTIONS = 8;
const NODES = 3;
const WARM_UP_ORDERS = 300_000;
/** Each open-loop phase runs this long at its rate before it measures. */
const SETTLE_SECONDS = 1;
/** Request ids never repeat for an account: each connection ever opened takes its own range. */
const REQUESTS_PER_CONNECTION = 100_000_000;
let connectionsOpened = 0;
/** REST request ids start far above the binary connections' ranges. */
const REST_REQUESTS = 8_000_000_000_000_000;

/** One connection's orders: all buys or all sells at PRICE, one lot each. */
class Trader {
  private nextRequest = 1 + connectionsOpened++ * REQUESTS_PER_CONNECTION;
  /** Request -> its scheduled time (ms). */
  private readonly sentAt = new Map<number, number>();
  inFlight = 0;
  /** Set when the bench ends the connection itself. */
  ending = false;
  /** The CancelAll under way, if any. */
  private cancelled: { request: number; resolve: () => void } | undefined;

  connection!: OrderConnection;

  constructor(
    private readonly side: number,
    private readonly onDone: (request: number, scheduledMs: number) => void,
  ) {}

  order(scheduledMs: number): MessageOf<'PlaceOrder'> {
    const request = this.nextRequest++;
    this.sentAt.set(request, scheduledMs);
    this.inFlight++;
    return { type: 'PlaceOrder', request, product: 1, side: this.side, orderType: 1, tif: 1, price: PRICE, qty: 1, quoteBudget: 0,
      stopPrice: 0, clientOrderId: 0, postOnly: 0, stp: 1 };
  }

  /** Cancels the trader's resting orders: a phase leaves its imbalance of buys and sells in the book, and accounts have an open-order limit. */
  cancelAll(): Promise<void> {
    const request = this.nextRequest++;
    return new Promise((resolve) => {
      this.cancelled = { request, resolve };
      this.connection.send({ type: 'CancelAll', request, product: 1 });
    });
  }


  receive(m: ServerMessage): void {
    if (m.type === 'Error') throw new Error(`the server refused request ${m.request}: ${m.message}`);
    if (m.type !== 'ExecutionReport' || m.request === 0 || m.last !== 1) return;
    if (m.request === this.cancelled?.request) return this.cancelled.resolve();
    const at = this.sentAt.get(m.request);
    if (at === undefined) return;
    this.sentAt.delete(m.request);
    this.inFlight--;
    this.onDone(m.request, at);
  }
}

/** A trader per connection, each its own account (keys[i]); even ones buy, odd ones sell. */
async function traders(leader: ServerMember, keys: RestCredentials[], onDone: (request: number, scheduledMs: number) => void): Promise<Trader[]> {
  const list: Trader[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const key = keys[i];
    const trader = new Trader(i % 2, onDone);
    trader.connection = await OrderConnection.open(leader.host, leader.binaryPort, { keyId: key.keyId, secret: Buffer.from(key.secret, 'hex') }, {
      message: (m) => trader.receive(m),
      closed: (reason) => {
        if (!trader.ending) throw new Error(`a bench connection closed: ${reason}`);
      },
    }, 5_000);
    list.push(trader);
  }
  return list;
}

async function endAll(list: Trader[]): Promise<void> {
  await Promise.all(list.map((t) => t.cancelAll()));
  for (const t of list) {
    t.ending = true;
    t.connection.end('done');
  }
}

/** Latency samples in ms to the µs figures. */
function latencies(samplesMs: number[]): ReturnType<typeof latencyFigures> {
  return latencyFigures(Float64Array.from(samplesMs, (ms) => ms * 1000));
}

/** Every connection keeps its window full until `total` orders are done. */
async function binaryMax(leader: ServerMember, keys: RestCredentials[], total: number): Promise<number> {
  let done = 0;
  let sent = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let refill = false;
  const list = await traders(leader, keys, () => {
    if (++done === total) finish();
    if (!refill) {
      refill = true;
      setImmediate(fill);
    }
  });
  // One write per connection per turn: the window's free slots in one batch.
  const fill = (): void => {
    refill = false;
    const now = performance.now();
    for (const t of list) {
      const batch: MessageOf<'PlaceOrder'>[] = [];
      while (t.inFlight < t.connection.maxInFlight && sent < total) {
        batch.push(t.order(now));
        sent++;
      }
      t.connection.sendAll(batch);
    }
  };
  const start = performance.now();
  fill();
  await finished;
  const seconds = (performance.now() - start) / 1000;
  await endAll(list);
  return total / seconds;
}

/**
 * Orders at `rate`/s, each sent at its scheduled time (or as soon as its connection has room).
 * The first SETTLE_SECONDS run at the rate unmeasured: the phase before leaves work behind (the
 * followers' backlog, a full old generation to collect), which is not a property of this rate.
 */
async function binaryOpenLoop(leader: ServerMember, keys: RestCredentials[], rate: number, seconds: number): Promise<{ orders: number; ops_per_sec: number; p50_us: number; p99_us: number; p999_us: number }> {
  const total = Math.round(rate * (SETTLE_SECONDS + seconds));
  const samples: number[] = [];
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const list = await traders(leader, keys, (_request, scheduledMs) => {
    if (scheduledMs >= measuredFromMs) samples.push(performance.now() - scheduledMs);
    if (++done === total) finish();
  });
  const start = performance.now();
  const measuredFromMs = start + SETTLE_SECONDS * 1000;
  let sent = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * rate));
    const batches = list.map(() => [] as MessageOf<'PlaceOrder'>[]);
    for (let k = 0; sent < due && k < list.length * 1_000; k++) {
      const i = sent % list.length;
      if (list[i].inFlight >= list[i].connection.maxInFlight) break;
      batches[i].push(list[i].order(start + (sent / rate) * 1000));
      sent++;
    }
    list.forEach((t, i) => t.connection.sendAll(batches[i]));
    if (sent === total) clearInterval(timer);
  }, 1);
  await finished;
  const elapsed = (performance.now() - measuredFromMs) / 1000;
  await endAll(list);
  return { orders: total, ops_per_sec: round(samples.length / elapsed, 0), ...latencies(samples) };
}

/** `concurrency` signed REST clients, each placing its next order once the last is answered. */
async function restLoad(url: string, keys: RestCredentials[], total: number, concurrency: number, rate = 0): Promise<{ ops_per_sec: number; p50_us: number; p99_us: number; p999_us: number }> {
  const clients = keys.map((key) => new RestClient(url, { key }));
  const samples: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (w: number): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const scheduled = rate > 0 ? start + (i / rate) * 1000 : performance.now();
      const wait = scheduled - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const side = w % 2;
      const r = await clients[side].request('POST', '/v1/orders', { requestId: REST_REQUESTS + i + (rate > 0 ? 10_000_000 : 0), symbol: 'BTC-USD', side: side === 0 ? 'buy' : 'sell', type: 'limit', price: '100', quantity: '0.0001' });
      if (r.status !== 201) throw new Error(`REST order refused: ${r.status} ${JSON.stringify(r.body)}`);
      samples.push(performance.now() - scheduled);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { ops_per_sec: round(total / ((performance.now() - start) / 1000), 0), ...latencies(samples) };
}

/** The leader's commit latency, the nodes' syncs and collection pauses in a phase (histogram-figures.ts). */
function tailFigures(before: Exposition[], after: Exposition[]): Record<string, number> {
  return {
    ...histogramFigures('commit', bucketsOf(before, 'bourse_commit_seconds'), bucketsOf(after, 'bourse_commit_seconds')),
    ...histogramFigures('fsync', bucketsOf(before, 'bourse_fsync_seconds'), bucketsOf(after, 'bourse_fsync_seconds')),
    ...histogramFigures('gc_pause', bucketsOf(before, 'bourse_gc_pause_seconds'), bucketsOf(after, 'bourse_gc_pause_seconds')),
  };
}

/** The disk-floor peer at the 50 % phase's rate and entry size, beside that phase's p99. */
async function floorFigures(floor: { rate: number; entryBytes: number; p99_us: number }, seconds: number): Promise<Result> {
  const floorDir = await mkdtemp(join(tmpdir(), 'bourse-bench-floor-'));
  try {
    const figures = await diskFloor(floorDir, NODES, floor.rate * floor.entryBytes, floor.entryBytes, seconds);
    return { case: 'disk_floor_50pct', entries_per_sec: floor.rate, entry_bytes: floor.entryBytes, processes: NODES, ...figures,
      binary_p99_over_floor_p99: round(floor.p99_us / Math.max(1, figures.p99_us), 1) };
  } finally {
    await rm(floorDir, { recursive: true, force: true });
  }
}

export async function benchGateway(options: BenchOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-bench-gateway-'));
  // One client address and a few keys carry the whole load: lift the per-address and per-key limits.
  const cluster = await ServerCluster.start({ dir, nodes: NODES, fsync: 'always',
    limits: { addressRatePerSec: 10_000_000, addressBurst: 10_000_000, keyRatePerSec: 10_000_000, keyBurst: 10_000_000 } });
  const results: Result[] = [];
  const seconds = options.quick ? 3 : 8;
  /** What the disk-floor peer needs of the 50 % phase. */
  let floor: { rate: number; entryBytes: number; p99_us: number } | undefined;
  const say = (r: Result): void => {
    results.push(r);
    if (!options.json) console.log(Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', '));
  };
  try {
    const leader = cluster.members[(await cluster.leader()) - 1];
    const url = cluster.url(leader.id);
    const keys = await setUpMarket(new RestClient(url, { adminKey: ADMIN_KEY }), { btc: '100000', usd: '1000000000' }, CONNECTIONS);
    const total = options.quick ? 100_000 : 400_000;
    // Past the first 262,144 orders the node's and the view's bounded rings (recent request ids,
    // finished orders, fills) are full and each order also evicts: the steady state, measured.
    await binaryMax(leader, keys, WARM_UP_ORDERS);
    const urls = cluster.members.map((m) => cluster.url(m.id));
    let before = await scrape(urls);
    const cpuBefore = cpuMark(before);
    const max = await binaryMax(leader, keys, total);
    let after = await scrape(urls);
    say({ case: 'binary_max', ops_per_sec: round(max, 0), connections: CONNECTIONS, replicas: 2, fsync: 'always',
      ...cpuFigures(cpuBefore, cpuMark(after), leader.id - 1, total), ...tailFigures(before, after) });
    for (const share of [25, 50, 75]) {
      const rate = Math.round((max * share) / 100);
      before = await scrape(urls);
      const phaseCpu = cpuMark(before);
      const figures = await binaryOpenLoop(leader, keys, rate, seconds);
      after = await scrape(urls);
      say({ case: `binary_${share}pct`, offered_per_sec: rate, ...figures, ...cpuFigures(phaseCpu, cpuMark(after), leader.id - 1, figures.orders),
        ...tailFigures(before, after),
        snapshots: snapshotsTaken(snapshotIndexes(before), snapshotIndexes(after)) });
      if (share === 50) {
        const leaderIndex = leader.id - 1;
        const entryBytes = Math.round(firstValues(after, 'bourse_archive_bytes', 0)[leaderIndex] / firstValues(after, 'bourse_archive_entries', 1)[leaderIndex]);
        floor = { rate, entryBytes, p99_us: figures.p99_us };
      }
    }
    const rest = await restLoad(url, keys, options.quick ? 10_000 : 40_000, 64);
    say({ case: 'rest_max', ops_per_sec: rest.ops_per_sec, concurrency: 64 });
    const restRate = Math.round(rest.ops_per_sec / 2);
    say({ case: 'rest_50pct', offered_per_sec: restRate, ...(await restLoad(url, keys, restRate * (options.quick ? 3 : 8), 256, restRate)) });
  } finally {
    await cluster.stop();
  }
  try {
    // With the cluster stopped, the disk alone at the 50 % phase's bytes per second (disk-floor.ts).
    // Its files are removed after, not before: freeing their gigabytes keeps the disk busy
    // discarding them for seconds, and a floor measured then gave ten times its p99.
    if (floor !== undefined) say(await floorFigures(floor, seconds));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (options.json) console.log(JSON.stringify({ bench: 'gateway', results }));
}
