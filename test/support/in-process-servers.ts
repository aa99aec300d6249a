/**
 * Three real Servers in this process, on loopback, for the tests of a cluster's gateways and
 * nodes: distinct ports, fsync `never`, slow elections (a test machine under load does not
 * depose a leader in the middle of a test).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Member } from '../../src/node/cluster-config.ts';
import { Server } from '../../src/node/server.ts';
import { ADMIN_KEY, KEY_SECRET } from '../gateway/support.ts';
import { type LogLine, RecordingLogger } from '../node/harness.ts';
import { freePorts } from './process-cluster.ts';
import { until } from './until.ts';

export const HOST = '127.0.0.1';

export class InProcessServers {
  readonly servers = new Map<number, Server>();
  /** What every Server logged. */
  readonly logger = new RecordingLogger();

  private constructor(
    readonly dir: string,
    readonly members: readonly Member[],
  ) {}

  /** With `binary`, each Server has an order-entry port too; `cacheEntries` bounds each node's entry cache. */
  static async start(clusterId: string, options: { binary?: boolean; cacheEntries?: number } = {}): Promise<InProcessServers> {
    const dir = await mkdtemp(join(tmpdir(), `bourse-${clusterId}-`));
    const ports = await freePorts(9);
    const members: Member[] = [1, 2, 3].map((id) => ({
      id, host: HOST, peerPort: ports[3 * id - 3], httpPort: ports[3 * id - 2], binaryPort: options.binary === true ? ports[3 * id - 1] : undefined,
    }));
    const cluster = new InProcessServers(dir, members);
    await Promise.all(members.map(async (m) => {
      cluster.servers.set(m.id, await Server.start({
        dataDir: join(dir, `node-${m.id}`), fsync: 'never', adminKey: ADMIN_KEY, keySecret: KEY_SECRET, cacheEntries: options.cacheEntries,
        logger: cluster.logger,
        http: { host: HOST, port: m.httpPort as number }, binary: m.binaryPort === undefined ? undefined : { host: HOST, port: m.binaryPort },
        cluster: { clusterId, nodeId: m.id, members, secret: 'a cluster secret for tests only', electionTimeoutMs: [1_000, 2_000], heartbeatMs: 100 },
      }));
    }));
    return cluster;
  }

  /** The leader, once every running Server knows it. */
  async leader(): Promise<Server> {
    let leader: Server | undefined;
    await until(() => {
      leader = [...this.servers.values()].find((s) => s.node.isLeader);
      return leader !== undefined && [...this.servers.values()].every((s) => s.node.status().leaderId === leader?.node.nodeId);
    }, 'a leader is elected and known', 15_000);
    return leader as Server;
  }

  /** Closes Server `id`; it no longer counts. */
  async close(id: number): Promise<void> {
    await this.servers.get(id)?.close();
    this.servers.delete(id);
  }

  /** The error lines logged so far. */
  errors(): LogLine[] {
    return this.logger.of('error');
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.close()));
    this.servers.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}
