/**
 * A cluster of real `bourse node --config` processes on loopback — the deployment entry point,
 * gateways included — for failover tests and benchmarks: start, find the leader over REST,
 * kill -9, restart, stop. Secrets reach the processes through environment variables.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeProcessArgs } from '../../src/cli/node-process.ts';
import { RestClient } from '../../src/client/rest-client.ts';
import { freePorts, startAll, stopProcesses } from './process-cluster.ts';

export const CLUSTER_SECRET = 'cluster-secret-for-tests-only';
export const ADMIN_KEY = 'admin-key-for-tests-only';
export const KEY_SECRET = 'api-key-secret-for-tests-only';

export interface ServerMember {
  id: number;
  host: string;
  peerPort: number;
  httpPort: number;
  binaryPort: number;
}

export interface ServerClusterSettings {
  dir: string;
  nodes: number;
  fsync: string;
  /** Print the nodes' logs (debugging). */
  verbose?: boolean;
  /** Write each node's CPU profile here when it exits (profiling a benchmark). */
  profileDir?: string;
  /** Gateway limits for the nodes' configs. */
  limits?: Record<string, number>;
}

export class ServerCluster {
  readonly members: ServerMember[] = [];
  private readonly running = new Map<number, ChildProcess>();

  private constructor(private readonly settings: ServerClusterSettings) {}

  static async start(settings: ServerClusterSettings): Promise<ServerCluster> {
    const cluster = new ServerCluster(settings);
    const ports = await freePorts(3 * settings.nodes);
    for (let id = 1; id <= settings.nodes; id++) {
      const [peerPort, httpPort, binaryPort] = ports.slice(3 * (id - 1), 3 * id);
      cluster.members.push({ id, host: '127.0.0.1', peerPort, httpPort, binaryPort });
    }
    await startAll(cluster.members.map((m) => m.id), (id) => cluster.startNode(id), () => cluster.stop());
    return cluster;
  }

  url(id: number): string {
    return `http://127.0.0.1:${this.members[id - 1].httpPort}`;
  }

  /** Starts node `id` (again) and waits until its HTTP gateway answers. */
  async startNode(id: number): Promise<void> {
    const config = {
      clusterId: 'test', nodeId: id, members: this.members, dataDir: join(this.settings.dir, `node-${id}`),
      listen: { host: '127.0.0.1' }, fsync: this.settings.fsync, limits: this.settings.limits ?? {}, logLevel: this.settings.verbose === true ? 'info' : 'warn',
      secrets: { cluster: { env: 'BOURSE_CLUSTER_SECRET' }, admin: { env: 'BOURSE_ADMIN_KEY' }, apiKeys: { env: 'BOURSE_API_KEY_SECRET' } },
    };
    const file = join(this.settings.dir, `node-${id}.json`);
    await writeFile(file, JSON.stringify(config));
    const profile = this.settings.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', this.settings.profileDir];
    const child = spawn(process.execPath, [...profile, ...nodeProcessArgs(file)], {
      env: { ...process.env, BOURSE_CLUSTER_SECRET: CLUSTER_SECRET, BOURSE_ADMIN_KEY: ADMIN_KEY, BOURSE_API_KEY_SECRET: KEY_SECRET },
      stdio: ['ignore', this.settings.verbose === true ? 'inherit' : 'ignore', 'inherit'],
    });
    this.running.set(id, child);
    const deadline = Date.now() + 20_000;
    const client = new RestClient(this.url(id), {}, 1_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`node ${id} exited with ${child.exitCode} while starting`);
      const r = await client.request('GET', '/healthz').catch(() => undefined);
      if (r?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`node ${id} did not start within 20 s`);
  }

  alive(id: number): boolean {
    return this.running.has(id);
  }

  /** The process id of node `id`, if it runs. */
  pid(id: number): number | undefined {
    return this.running.get(id)?.pid;
  }

  /** kill -9: no clean close, no flush. */
  async kill(id: number): Promise<void> {
    const child = this.running.get(id);
    if (child === undefined) return;
    this.running.delete(id);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** The node running nodes report as leader, once one does (polling their /v1/cluster). */
  async leader(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const id of this.running.keys()) {
        const r = await new RestClient(this.url(id), {}, 1_000).request('GET', '/v1/cluster').catch(() => undefined);
        if (r?.status === 200 && (r.body as { role: string }).role === 'leader') return id;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  /** Stops every node: SIGTERM (a clean close) when `graceful`, else kill -9. */
  async stop(graceful = false): Promise<void> {
    const children = [...this.running.values()];
    this.running.clear();
    await stopProcesses(children, graceful);
  }
}
