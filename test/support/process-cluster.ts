/**
 * A cluster of real node processes on loopback (test/support/node-process.ts), for failure
 * tests and benchmarks: start, request, kill -9, restart, find the leader, stop.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { join } from 'node:path';
import type { Member } from '../../src/node/cluster-config.ts';
import type { ProcessConfig, Reply, Request } from './node-process.ts';

type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * `count` distinct ports free on 127.0.0.1 right now. All are held open until the last is
 * picked: one closed before the next was picked could come back as the next, and two nodes of
 * one cluster given the same port left one of them unable to start.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      held.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return held.map((server) => (server.address() as AddressInfo).port);
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * Starts every node; if one does not start, stops the others before throwing its error, so
 * that no process outlives a cluster that never was.
 */
export async function startAll(ids: readonly number[], start: (id: number) => Promise<void>, stop: () => Promise<void>): Promise<void> {
  const failed = (await Promise.allSettled(ids.map(start))).find((r) => r.status === 'rejected');
  if (failed === undefined) return;
  await stop();
  throw failed.reason;
}

/** Stops child processes: SIGTERM (a clean close) when `graceful`, else kill -9; resolves once all exited. */
export async function stopProcesses(children: readonly ChildProcess[], graceful: boolean): Promise<void> {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
  })));
}

interface Running {
  child: ChildProcess;
  pending: Map<number, (reply: Reply) => void>;
}

export interface ClusterSettings {
  dir: string;
  nodes: number;
  fsync: string;
  electionTimeoutMs?: [number, number];
  heartbeatMs?: number;
  verbose?: boolean;
  /** Write a CPU profile of each node into this directory (on a graceful stop). */
  profileDir?: string;
  cacheEntries?: number;
}

export class ProcessCluster {
  readonly members: Member[] = [];
  private readonly running = new Map<number, Running>();
  private nextId = 1;

  private constructor(private readonly settings: ClusterSettings) {}

  static async start(settings: ClusterSettings): Promise<ProcessCluster> {
    const c = new ProcessCluster(settings);
    const ports = await freePorts(settings.nodes);
    for (let id = 1; id <= settings.nodes; id++) c.members.push({ id, host: '127.0.0.1', peerPort: ports[id - 1] });
    await startAll(c.members.map((m) => m.id), (id) => c.startNode(id), () => c.stop());
    return c;
  }

  config(id: number): ProcessConfig {
    return {
      dataDir: join(this.settings.dir, `node-${id}`), fsync: this.settings.fsync, verbose: this.settings.verbose,
      cacheEntries: this.settings.cacheEntries,
      cluster: { clusterId: 'test-cluster', nodeId: id, members: this.members, secret: 'a test secret of enough length',
        electionTimeoutMs: this.settings.electionTimeoutMs, heartbeatMs: this.settings.heartbeatMs },
    };
  }

  /** Starts (or restarts) node `id` on its data directory; resolves once it is serving. */
  async startNode(id: number): Promise<void> {
    const child = fork(new URL('./node-process.ts', import.meta.url), [JSON.stringify(this.config(id))], {
      execArgv: ['--import', 'tsx', ...(this.settings.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(this.settings.profileDir, `node-${id}`)])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pending = new Map<number, (reply: Reply) => void>();
    this.running.set(id, { child, pending });
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: Reply | { ready: true }) => {
        if ('ready' in m) return resolve();
        pending.get(m.id)?.(m);
        pending.delete(m.id);
      });
      child.once('exit', (code) => {
        for (const settle of pending.values()) settle({ id: 0, ok: false, code: 'EXITED', message: `node ${id} exited (${code})` });
        pending.clear();
        if (this.running.get(id)?.child === child) this.running.delete(id);
        reject(new Error(`node ${id} exited before it was ready`));
      });
    });
  }

  alive(id: number): boolean {
    return this.running.has(id);
  }

  /** Sends a request to node `id`; a dead or dying node answers EXITED. */
  request(id: number, body: RequestBody, timeoutMs = 10_000): Promise<Reply> {
    const r = this.running.get(id);
    if (r === undefined) return Promise.resolve({ id: 0, ok: false, code: 'EXITED', message: `node ${id} is not running` });
    const requestId = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        r.pending.delete(requestId);
        resolve({ id: requestId, ok: false, code: 'TIMEOUT', message: `node ${id} did not answer in ${timeoutMs} ms` });
      }, timeoutMs);
      r.pending.set(requestId, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      r.child.send({ ...body, id: requestId }, (error) => {
        if (error !== null && r.pending.delete(requestId)) {
          clearTimeout(timer);
          resolve({ id: requestId, ok: false, code: 'EXITED', message: error.message });
        }
      });
    });
  }

  /** kill -9. */
  kill(id: number): void {
    this.running.get(id)?.child.kill('SIGKILL');
    this.running.delete(id);
  }

  /** The node all running nodes agree leads, once they do (polling). */
  async leader(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const id of this.running.keys()) {
        const r = await this.request(id, { op: 'status' });
        if (r.ok && (r.value as { role: string }).role === 'leader') return id;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  /** Stops every node: SIGTERM (a clean close) when `graceful`, else kill -9. */
  async stop(graceful = false): Promise<void> {
    const children = [...this.running.values()].map((r) => r.child);
    this.running.clear();
    await stopProcesses(children, graceful);
  }
}
