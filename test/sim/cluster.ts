/**
 * A deterministic simulation of a Bourse cluster: 3 or 5 nodes, simulated time in 1 ms
 * steps, a faulty network and disks, crashes and restarts, and clients running real trading
 * commands with retries. One seed decides everything; a failing seed replays exactly.
 *
 * Checked along the way: at most one leader per term; logs that hold the same (index, term)
 * agree on everything before it; a committed entry is never lost or changed; every node has
 * the same state hash at the same (index, term); every command acknowledged to a client is
 * applied exactly once; once faults heal, a leader is elected and commits in bounded time.
 */
import type { Command } from '../../src/application/commands.ts';
import { OrderType, Stp, TimeInForce } from '../../src/application/matching/order-types.ts';
import { ProductStatus } from '../../src/application/products/status.ts';
import { eventsOf } from '../../src/codec/events.ts';
import type { Message } from '../../src/replication/messages.ts';
import { type RaftConfig, Role } from '../../src/replication/raft.ts';
import { SimDisk, type SimEntry } from './disk.ts';
import { SimNetwork } from './network.ts';
import { SimRandom } from './random.ts';
import { type Bugs, SimNode } from './sim-node.ts';

/** A scripted schedule: each step waits for its condition, then acts (see scenarios.ts). */
export interface ScriptStep {
  name: string;
  until: (c: Cluster) => boolean;
  then: (c: Cluster) => void;
}

export interface SimOptions {
  seed: number;
  nodes: 3 | 5;
  /** Scripted faults instead of random ones (no clients either): the script proposes. */
  script?: ScriptStep[];
  maxAppendEntries?: number;
  /** Simulated time with faults, then the same again healed. */
  faultyMs?: number;
  commitPolicy?: 'quorum' | 'all';
  bugs?: Bugs;
}

export interface SimResult {
  seed: number;
  violation?: string;
  /** A scripted run whose schedule could not be set up: the step it waited for in vain. */
  unreached?: string;
  stats: { committed: number; acked: number; leaders: number; crashes: number; elections: number };
}

const TICK_MS = 10;
const CLIENT_TIMEOUT_MS = 800;
const HEAL_DEADLINE_MS = 5_000;

class Violation extends Error {}

interface Pending {
  command: Command;
  node: number;
  sentAt: number;
  index: number;
  term: number;
  /** Deposits are idempotent (transfer id): they are retried until acknowledged. */
  retry: boolean;
}

class Client {
  pending: Pending | undefined;
  leaderGuess: number;
  seq = 0;
  constructor(readonly id: number, leaderGuess: number) {
    this.leaderGuess = leaderGuess;
  }
}

export class Cluster {
  readonly rng: SimRandom;
  readonly network: SimNetwork;
  readonly nodes: SimNode[] = [];
  readonly members: number[];
  now = 0;
  private readonly leaderOfTerm = new Map<number, number>();
  /** The committed log as any node has reported it: index -> entry (by identity). */
  private readonly committed: SimEntry[] = [];
  private readonly clients: Client[] = [];
  private setupDone = false;
  private setupQueue: Command[];
  /** Acknowledged deposits (transfer id -> amount) and acknowledged commands' indexes. */
  private readonly ackedDeposits = new Map<number, number>();
  private readonly acked: { index: number; entry: SimEntry }[] = [];
  readonly stats = { committed: 0, acked: 0, leaders: 0, crashes: 0, elections: 0 };
  private restarts: { at: number; node: SimNode }[] = [];
  private readonly intensity: { faultsPerMs: number; submitRate: number; earlyLeaderCrash: number };
  private scheduled: { at: number; run: () => void }[] = [];
  /** After the faults heal, clients finish what they have in flight and start nothing new. */
  private quiescing = false;

  constructor(private readonly options: SimOptions) {
    this.rng = new SimRandom(options.seed);
    this.network = new SimNetwork(this.rng);
    this.members = Array.from({ length: options.nodes }, (_, i) => i + 1);
    // Small appends split a new leader's no-op from the older entries before it: the window
    // that the rule "commit only by counting entries of the current term" exists for.
    const maxAppendEntries = options.maxAppendEntries ?? this.rng.pick([1, 4, 32]);
    const maxInflightEntries = maxAppendEntries * this.rng.pick([1, 8]);
    for (const id of this.members) {
      const config: RaftConfig = {
        id, members: this.members, electionTicks: [15, 30], heartbeatTicks: 5, commitPolicy: options.commitPolicy ?? 'quorum',
        maxInflightEntries, maxAppendEntries, seed: options.seed,
      };
      this.nodes.push(new SimNode(id, config, new SimDisk(), this.rng, options.bugs ?? {}));
    }
    this.setupQueue = setupCommands();
    // Each seed draws its own intensity: some runs are calm, some churn hard (divergent tails
    // in several terms are what the subtle bugs need).
    this.intensity = {
      faultsPerMs: this.rng.pick([1 / 800, 1 / 400, 1 / 150]),
      submitRate: this.rng.pick([0.01, 0.03, 0.1]),
      earlyLeaderCrash: this.rng.pick([0, 0.2, 0.5]),
    };
    for (let c = 0; c < 4; c++) this.clients.push(new Client(c + 1, this.rng.pick(this.members)));
  }

  run(): SimResult {
    if (this.options.script !== undefined) return this.runScript(this.options.script);
    const faultyMs = this.options.faultyMs ?? 6_000;
    try {
      for (; this.now < faultyMs; this.now++) {
        this.maybeFault();
        this.step();
      }
      this.healAll();
      this.quiescing = true;
      const healedAt = this.now;
      let settled = false;
      for (; this.now < faultyMs + HEAL_DEADLINE_MS * 2; this.now++) {
        this.step();
        if (!settled && this.settled()) settled = true;
        if (settled && this.now - healedAt > 1_000) break;
      }
      if (!settled || this.now - healedAt > HEAL_DEADLINE_MS) {
        throw new Violation(`no leader committing within ${HEAL_DEADLINE_MS} ms of the faults healing: ${this.describe()}`);
      }
      this.finalChecks();
    } catch (error) {
      if (error instanceof Violation || error instanceof Error) {
        if (process.env.SIM_STACK === "1") console.error(error);
        return { seed: this.options.seed, violation: `${error.message} (at ${this.now} ms)`, stats: this.stats };
      }
      throw error;
    }
    return { seed: this.options.seed, stats: this.stats };
  }

  /**
   * Runs a script: each step's condition is awaited (at most 3 s each), then its action. A step
   * that never comes is not a violation: the schedule did not happen (reported as `unreached`).
   */
  private runScript(steps: ScriptStep[]): SimResult {
    this.setupDone = true;
    this.quiescing = true;
    try {
      for (const step of steps) {
        const deadline = this.now + 3_000;
        while (!step.until(this)) {
          if (this.now >= deadline) return { seed: this.options.seed, unreached: `${step.name}: ${this.describe()}`, stats: this.stats };
          this.step();
          this.now++;
        }
        step.then(this);
      }
      for (const end = this.now + 2_000; this.now < end; this.now++) this.step();
      this.checkLogs();
    } catch (error) {
      if (error instanceof Error) return { seed: this.options.seed, violation: `${error.message} (at ${this.now} ms)`, stats: this.stats };
      throw error;
    }
    return { seed: this.options.seed, stats: this.stats };
  }

  /** On `node` (a leader): a client command proposed directly. Returns its index. */
  proposeOn(node: SimNode, command: Command): number {
    const outbox = { send: (m: Message, entries: SimEntry[]): void => this.network.send(this.now, m, entries) };
    return node.propose(command, this.now * 1000, outbox, this.now);
  }

  /** Only these groups can talk, each within itself; what is in flight between groups is lost. */
  partition(...groups: number[][]): void {
    this.network.heal();
    for (const x of this.members) {
      for (const y of this.members) {
        if (x !== y && !groups.some((g) => g.includes(x) && g.includes(y))) this.network.block(x, y);
      }
    }
    this.network.dropBlocked();
  }

  node(id: number): SimNode {
    return this.nodes[id - 1];
  }

  /** One millisecond: deliveries, disk syncs, ticks, clients, checks. */
  private step(): void {
    const outbox = { send: (m: Message, entries: SimEntry[]): void => this.network.send(this.now, m, entries) };
    for (const envelope of this.network.due(this.now)) {
      const node = this.nodes[envelope.message.to - 1];
      if (node.alive) node.receive(envelope.message, envelope.entries, outbox, this.now);
    }
    for (const node of this.nodes) if (node.alive) node.advance(outbox, this.now);
    if (this.now % TICK_MS === 0) for (const node of this.nodes) if (node.alive) node.tick(outbox, this.now);
    for (const r of this.restarts.filter((x) => x.at <= this.now)) {
      r.node.restart();
    }
    this.restarts = this.restarts.filter((x) => x.at > this.now);
    const due = this.scheduled.filter((x) => x.at <= this.now);
    this.scheduled = this.scheduled.filter((x) => x.at > this.now);
    for (const d of due) d.run();
    this.observeLeaders();
    this.observeCommits();
    this.runClients(outbox);
    if (this.now % 50 === 0) this.checkLogs();
  }

  // ---- faults --------------------------------------------------------------------------

  private maybeFault(): void {
    if (!this.rng.chance(this.intensity.faultsPerMs)) return;
    const alive = this.nodes.filter((n) => n.alive);
    const roll = this.rng.next();
    if (roll < 0.35 && alive.length > 0) {
      const node = this.rng.chance(0.5) ? alive.find((n) => n.isLeader) ?? this.rng.pick(alive) : this.rng.pick(alive);
      node.crash();
      this.stats.crashes++;
      this.restarts.push({ at: this.now + this.rng.int(50, 1_500), node });
    } else if (roll < 0.55) {
      // A symmetric partition of the cluster in two.
      this.network.heal();
      const cut = this.rng.int(1, this.members.length - 1);
      const shuffled = [...this.members].sort(() => this.rng.next() - 0.5);
      const a = shuffled.slice(0, cut);
      for (const x of a) for (const y of this.members) if (!a.includes(y)) { this.network.block(x, y); this.network.block(y, x); }
    } else if (roll < 0.65) {
      const leader = this.nodes.find((n) => n.isLeader);
      this.network.heal();
      if (leader !== undefined) this.network.isolate(leader.id, this.members);
    } else if (roll < 0.75) {
      // One-way: a node can send but not hear (or the reverse).
      this.network.heal();
      const x = this.rng.pick(this.members);
      for (const y of this.members) {
        if (y === x) continue;
        if (this.rng.chance(0.5)) this.network.block(x, y);
        else this.network.block(y, x);
      }
    } else if (roll < 0.9) {
      this.network.faults = { lossRate: this.rng.next() * 0.3, duplicateRate: this.rng.next() * 0.2, maxDelayMs: this.rng.int(2, 40) };
    } else {
      this.network.heal();
    }
  }

  private crashLeaderOf(term: number): void {
    const node = this.nodes.find((n) => n.isLeader && n.raft.term === term);
    if (node === undefined || this.quiescing) return;
    node.crash();
    this.stats.crashes++;
    this.restarts.push({ at: this.now + this.rng.int(20, 600), node });
  }

  private healAll(): void {
    this.scheduled = [];
    this.network.heal();
    for (const r of this.restarts) r.node.restart();
    this.restarts = [];
    for (const n of this.nodes) if (!n.alive) n.restart();
  }

  private settled(): boolean {
    const leader = this.nodes.find((n) => n.isLeader);
    if (leader === undefined || !this.setupDone) return false;
    const commit = leader.raft.commitIndex;
    return commit === leader.log.length && this.nodes.every((n) => n.alive && n.raft.commitIndex >= commit && n.applied >= commit)
      && this.clients.every((c) => c.pending === undefined);
  }

  /** The cluster in one line, for failure messages. */
  describe(): string {
    const nodes = this.nodes.map((n) => `${n.id}:${n.alive ? ['', 'F', 'P', 'C', 'L'][n.raft.role] : 'dead'} t${n.raft.term} lead${n.raft.leaderId} ` +
      `c${n.raft.commitIndex} log${n.log.length} synced${n.synced} applied${n.applied}`);
    const clients = this.clients.map((c) => (c.pending === undefined ? '-' : `${c.pending.command.type}@${c.pending.node}#${c.pending.index}`));
    return `[${nodes.join('; ')}] setup ${this.setupDone ? 'done' : this.setupQueue.length} clients [${clients.join(' ')}]`;
  }

  // ---- invariants ----------------------------------------------------------------------

  private observeLeaders(): void {
    for (const node of this.nodes) {
      if (!node.isLeader) continue;
      const term = node.raft.term;
      const known = this.leaderOfTerm.get(term);
      if (known === undefined) {
        this.leaderOfTerm.set(term, node.id);
        this.stats.leaders++;
        node.catchUpAsLeader();
        // The adversary: a new leader sometimes dies while its first appends are in flight —
        // the window where counting old-term entries toward commit would go wrong.
        if (!this.quiescing && this.rng.chance(this.intensity.earlyLeaderCrash)) {
          this.scheduled.push({ at: this.now + this.rng.int(2, 40), run: () => this.crashLeaderOf(term) });
        }
      } else if (known !== node.id) {
        throw new Violation(`two leaders in term ${term}: nodes ${known} and ${node.id}`);
      }
    }
  }

  private observeCommits(): void {
    for (const node of this.nodes) {
      if (!node.alive) continue;
      const commit = Math.min(node.raft.commitIndex, node.log.length);
      for (let i = 1; i <= commit; i++) {
        const entry = node.log[i - 1];
        const known = this.committed[i - 1];
        if (known === undefined) {
          if (i !== this.committed.length + 1) throw new Violation(`commit of ${i} before ${this.committed.length + 1}`);
          this.committed.push(entry);
          this.stats.committed++;
        } else if (known !== entry) {
          throw new Violation(`committed entry ${i} differs on node ${node.id} (term ${entry.term} vs ${known.term})`);
        }
      }
    }
  }

  /** Log matching, and state hashes at the same (index, term). */
  private checkLogs(): void {
    const alive = this.nodes.filter((n) => n.alive);
    for (let a = 0; a < alive.length; a++) {
      for (let b = a + 1; b < alive.length; b++) {
        const x = alive[a].log;
        const y = alive[b].log;
        let diverged = false;
        for (let i = 0; i < Math.min(x.length, y.length); i++) {
          if (x[i].term === y[i].term) {
            if (diverged || x[i] !== y[i]) {
              throw new Violation(`logs of nodes ${alive[a].id} and ${alive[b].id} hold (${i + 1}, ${x[i].term}) with different histories`);
            }
          } else {
            diverged = true;
          }
        }
        for (const [key, hash] of alive[a].hashes) {
          const other = alive[b].hashes.get(key);
          if (other !== undefined && other !== hash) throw new Violation(`state hash differs at ${key} between nodes ${alive[a].id} and ${alive[b].id}`);
        }
      }
    }
  }

  private finalChecks(): void {
    this.checkLogs();
    const leader = this.nodes.find((n) => n.isLeader) as SimNode;
    for (let i = 0; i < this.committed.length; i++) {
      if (leader.log[i] !== this.committed[i]) throw new Violation(`the leader lost committed entry ${i + 1}`);
    }
    // Every acknowledged command is in the committed log at its index.
    for (const a of this.acked) {
      if (this.committed[a.index - 1] !== a.entry) throw new Violation(`acknowledged entry ${a.index} is not the committed one`);
    }
    // Every acknowledged deposit took effect exactly once.
    const deposited = new Map<number, number>();
    for (const entry of this.committed) {
      for (const e of eventsOf(entry.slots, 0, entry.slots.length)) {
        if (e.type === 'Deposited') deposited.set(e.transfer, (deposited.get(e.transfer) ?? 0) + 1);
      }
    }
    for (const [transfer] of this.ackedDeposits) {
      if (deposited.get(transfer) !== 1) throw new Violation(`deposit ${transfer} applied ${deposited.get(transfer) ?? 0} times`);
    }
  }

  // ---- clients -------------------------------------------------------------------------

  private runClients(outbox: { send: (m: Message, entries: SimEntry[]) => void }): void {
    if (!this.setupDone) {
      this.runSetup(outbox);
      return;
    }
    for (const client of this.clients) {
      const p = client.pending;
      if (p === undefined) {
        if (!this.quiescing && this.rng.chance(this.intensity.submitRate)) this.submit(client, this.nextCommand(client), outbox);
        continue;
      }
      if (this.ackedNow(p)) {
        this.ack(p);
        client.pending = undefined;
      } else if (this.now - p.sentAt > CLIENT_TIMEOUT_MS) {
        client.pending = undefined;
        if (p.retry) this.submit(client, p.command, outbox);
      }
    }
  }

  private setupClient = new Client(0, 1);

  private runSetup(outbox: { send: (m: Message, entries: SimEntry[]) => void }): void {
    const c = this.setupClient;
    const p = c.pending;
    if (p !== undefined) {
      if (this.ackedNow(p)) {
        c.pending = undefined;
        this.setupQueue.shift();
        if (this.setupQueue.length === 0) this.setupDone = true;
      } else if (this.now - p.sentAt > CLIENT_TIMEOUT_MS) {
        c.pending = undefined;
      }
      return;
    }
    if (this.now % 5 === 0) this.submit(c, this.setupQueue[0], outbox);
  }

  /** A command reaches the node the client believes leads; a follower redirects. */
  private submit(client: Client, command: Command, outbox: { send: (m: Message, entries: SimEntry[]) => void }): void {
    let node = this.nodes[client.leaderGuess - 1];
    if (!node.isLeader) {
      const leaderId = node.alive ? node.raft.leaderId : 0;
      client.leaderGuess = leaderId !== 0 ? leaderId : this.rng.pick(this.members);
      node = this.nodes[client.leaderGuess - 1];
      if (!node.isLeader) return;
    }
    const index = node.propose(command, this.now * 1000, outbox, this.now);
    client.pending = { command, node: node.id, sentAt: this.now, index, term: node.raft.term,
      retry: command.type === 'Deposit' || client === this.setupClient };
  }

  /** Acknowledged when the node that took it has committed that index in that term. */
  private ackedNow(p: Pending): boolean {
    const node = this.nodes[p.node - 1];
    if (!node.alive || node.raft.term !== p.term || node.raft.role !== Role.Leader) return false;
    return node.raft.commitIndex >= p.index && node.log[p.index - 1]?.term === p.term;
  }

  private ack(p: Pending): void {
    const node = this.nodes[p.node - 1];
    this.acked.push({ index: p.index, entry: node.log[p.index - 1] });
    this.stats.acked++;
    if (p.command.type === 'Deposit') this.ackedDeposits.set(p.command.transfer, p.command.amount);
  }

  private nextCommand(client: Client): Command {
    client.seq++;
    const account = client.id;
    const roll = this.rng.next();
    if (roll < 0.3) {
      return { type: 'Deposit', transfer: client.id * 1_000_000 + client.seq, account, asset: this.rng.int(1, 2), amount: this.rng.int(1, 5_000_000) };
    }
    if (roll < 0.85) {
      return {
        type: 'PlaceOrder', request: 0, account, product: 1, clientOrderId: client.seq, side: this.rng.int(0, 1), orderType: OrderType.Limit,
        tif: this.rng.chance(0.2) ? TimeInForce.IOC : TimeInForce.GTC, postOnly: 0, stp: Stp.CancelNewest,
        price: this.rng.int(95, 105) * 100, qty: this.rng.int(1, 5) * 100, quoteBudget: 0, stopPrice: 0,
      };
    }
    return { type: 'CancelAll', request: 0, account, product: 1 };
  }
}

function setupCommands(): Command[] {
  const commands: Command[] = [
    { type: 'CreateAsset', code: 'BTC', scale: 8 },
    { type: 'CreateAsset', code: 'USD', scale: 6 },
    {
      type: 'CreateProduct', symbol: 'BTC-USD', base: 1, quote: 2, priceScale: 2, qtyScale: 4, tickSize: 1, lotSize: 1, minQty: 1,
      maxQty: 1_000_000, minNotional: 0, makerBps: 5, takerBps: 20, protectionTicks: 100, status: ProductStatus.Trading,
    },
  ];
  for (let a = 1; a <= 4; a++) commands.push({ type: 'CreateAccount' });
  for (let a = 1; a <= 4; a++) {
    commands.push({ type: 'Deposit', transfer: a, account: a, asset: 1, amount: 1_000_000_000 });
    commands.push({ type: 'Deposit', transfer: 100 + a, account: a, asset: 2, amount: 10_000_000_000 });
  }
  return commands;
}
