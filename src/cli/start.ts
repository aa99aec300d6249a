/**
 * `bourse start` (what `npm start` runs): a local cluster of three `bourse node` processes on
 * 127.0.0.1 — the same code and config files as a real deployment — with a demo market set
 * up through the admin API on first start. Node k serves HTTP on base+k, binary order entry
 * on base+100+k and peers on base+200+k. A node that dies is started again; Ctrl-C stops all
 * three cleanly, and the next start resumes from their archives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { RestClient } from '../client/rest-client.ts';
import { setUpDemo, trafficKeys } from './demo.ts';
import { startDemoTraffic } from './demo-traffic.ts';
import { nodeProcessArgs } from './node-process.ts';

const NODES = 3;
const RESTART_AFTER_MS = 1_000;

interface Secrets {
  cluster: string;
  admin: string;
  apiKeys: string;
}

/** The local cluster's secrets: made on first start, kept beside the data (owner-only). */
async function localSecrets(dir: string): Promise<Secrets> {
  const secretsDir = join(dir, 'secrets');
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  const secrets = {} as Secrets;
  for (const name of ['cluster', 'admin', 'apiKeys'] as const) {
    const file = join(secretsDir, name);
    if (!existsSync(file)) {
      await writeFile(file, randomBytes(24).toString('hex'), { mode: 0o600 });
      await chmod(file, 0o600);
    }
    secrets[name] = (await readFile(file, 'utf8')).trim();
  }
  return secrets;
}

function members(basePort: number): { id: number; host: string; peerPort: number; httpPort: number; binaryPort: number }[] {
  return Array.from({ length: NODES }, (_, i) => ({
    id: i + 1, host: '127.0.0.1', httpPort: basePort + i + 1, binaryPort: basePort + 100 + i + 1, peerPort: basePort + 200 + i + 1,
  }));
}

async function writeConfigs(dir: string, basePort: number): Promise<string[]> {
  const files: string[] = [];
  for (const m of members(basePort)) {
    const file = join(dir, `node-${m.id}.json`);
    await writeFile(file, `${JSON.stringify({
      clusterId: 'local', nodeId: m.id, members: members(basePort), dataDir: `node-${m.id}`, listen: { host: '127.0.0.1' },
      fsync: 'always', secrets: { cluster: { file: 'secrets/cluster' }, admin: { file: 'secrets/admin' }, apiKeys: { file: 'secrets/apiKeys' } },
    }, null, 2)}\n`);
    files.push(file);
  }
  return files;
}

/** The node every running node agrees leads, and has its gateways up. */
async function findLeader(basePort: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const m of members(basePort)) {
      const url = `http://127.0.0.1:${m.httpPort}`;
      const r = await new RestClient(url, {}, 1_000).request('GET', '/v1/cluster').catch(() => undefined);
      if (r?.status === 200 && (r.body as { role: string }).role === 'leader') return url;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no leader within ${timeoutMs / 1000} s`);
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run a local three-node cluster with a demo market (what npm start runs)')
    .option('--data-dir <dir>', 'where the nodes keep their data', './data')
    .option('--base-port <port>', 'node k: HTTP base+k, binary base+100+k, peers base+200+k', '8000')
    .option('--demo-traffic', 'add a market maker and a taker so the book moves')
    .action(async (options: { dataDir: string; basePort: string; demoTraffic?: boolean }) => {
      const basePort = Number(options.basePort);
      if (!Number.isInteger(basePort) || basePort < 1 || basePort + 200 + NODES > 65_535) {
        console.error('bourse start: --base-port must be an integer from 1 to 65329');
        process.exit(2);
      }
      const dir = resolve(options.dataDir);
      await mkdir(dir, { recursive: true });
      const secrets = await localSecrets(dir);
      const configs = await writeConfigs(dir, basePort);
      const children = new Map<number, ChildProcess>();
      let stopping = false;
      const launch = (id: number): void => {
        const child = spawn(process.execPath, nodeProcessArgs(configs[id - 1]), { stdio: 'inherit' });
        children.set(id, child);
        child.on('exit', (code, signal) => {
          if (stopping) return;
          console.error(`bourse start: node ${id} exited (${signal ?? `code ${code}`}); starting it again in ${RESTART_AFTER_MS} ms`);
          setTimeout(() => launch(id), RESTART_AFTER_MS);
        });
      };
      for (let id = 1; id <= NODES; id++) launch(id);
      let stopTraffic = (): void => undefined;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        stopTraffic();
        console.error(`bourse start: ${signal}: stopping the nodes`);
        const exits = [...children.values()].map((child) => new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }));
        void Promise.all(exits).then(() => process.exit(0));
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      const leader = await findLeader(basePort, 60_000);
      const admin = new RestClient(leader, { adminKey: secrets.admin });
      const demo = await setUpDemo(admin);
      for (const line of demo.printed) console.log(line);
      console.log(`ready: ${leader} (admin key in ${join(dir, 'secrets', 'admin')})`);
      console.log(`  try: BOURSE_URL=${leader} BOURSE_API_KEY=<key> BOURSE_API_SECRET=<secret> npx bourse order place BTC-USD buy 0.01 --price 50000`);
      if (options.demoTraffic === true) {
        const keys = await trafficKeys(admin, join(dir, 'secrets', 'demo-traffic.json'), demo.traffic);
        if (stopping) return;
        stopTraffic = startDemoTraffic(members(basePort).map((m) => ({ host: m.host, binaryPort: m.binaryPort, httpUrl: `http://127.0.0.1:${m.httpPort}` })), keys);
      }
    });
}
