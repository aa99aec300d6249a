/**
 * A node's configuration file (YAML or JSON; docs/config.md lists every key): validated at
 * start with a message naming the bad key. Secrets come from a file or an environment
 * variable, never from the file itself, and are never logged.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LARGEST_MESSAGE_BYTES } from '../gateway/binary/messages.ts';
import type { ServerOptions } from './server.ts';

const Port = z.int().min(1).max(65_535);
const Host = z.string().min(1).max(253);

/** `{ file: path }` or `{ env: NAME }`: where a secret is read from. */
const Secret = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }),
]);

export const NodeConfig = z.strictObject({
  clusterId: z.string().min(1).max(64),
  nodeId: z.int().positive(),
  members: z.array(z.strictObject({ id: z.int().positive(), host: Host, peerPort: Port, httpPort: Port, binaryPort: Port })).min(1).max(7),
  dataDir: z.string().min(1),
  /** Addresses to listen on; ports default to this member's. */
  listen: z.strictObject({ host: Host.default('0.0.0.0') }).default({ host: '0.0.0.0' }),
  fsync: z.string().regex(/^(always|never|interval:\d{1,6})$/, 'always, never or interval:<ms>').default('always'),
  commitPolicy: z.enum(['quorum', 'all']).default('quorum'),
  electionTimeoutMs: z.tuple([z.int().min(20), z.int().min(20)]).default([200, 400]),
  heartbeatMs: z.int().min(10).default(50),
  snapshot: z.strictObject({
    everyEntries: z.int().min(0).default(1_000_000),
    everyMs: z.int().min(0).default(600_000),
    keep: z.int().min(1).max(100).default(3),
  }).default({ everyEntries: 1_000_000, everyMs: 600_000, keep: 3 }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** The node process's CPU scheduling class (src/cli/node-process.ts useBatchScheduling). */
  scheduling: z.enum(['batch', 'normal']).default('batch'),
  /** Gateway limits (src/gateway/context.ts GATEWAY_LIMITS): any subset. */
  limits: z.strictObject({
    maxBodyBytes: z.int().min(1_024).optional(),
    keyRatePerSec: z.int().min(1).optional(),
    keyBurst: z.int().min(1).optional(),
    keyInFlight: z.int().min(1).optional(),
    addressRatePerSec: z.int().min(1).optional(),
    addressBurst: z.int().min(1).optional(),
    wsMaxBufferedBytes: z.int().min(1_024).optional(),
    wsMaxSubscriptions: z.int().min(1).optional(),
    wsMaxConnections: z.int().min(1).optional(),
    wsMaxMessageBytes: z.int().min(256).optional(),
  }).default({}),
  /** Binary order-entry limits (src/gateway/binary/limits.ts BINARY_LIMITS): any subset. */
  binaryLimits: z.strictObject({
    maxConnections: z.int().min(1).optional(),
    maxQueuedBytes: z.int().min(65_536).optional(),
    maxInFlight: z.int().min(1).max(65_536).optional(),
    heartbeatIntervalMs: z.int().min(100).optional(),
    maxFrameBytes: z.int().min(LARGEST_MESSAGE_BYTES).max(1024 * 1024).optional(),
  }).default({}),
  secrets: z.strictObject({ cluster: Secret, admin: Secret, apiKeys: Secret }),
});

/** The keys of `limits` set in the file (zod leaves the others undefined). */
function given<T extends object>(limits: T): Partial<T> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type NodeConfig = z.output<typeof NodeConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads, parses and validates a config file; relative paths in it are relative to the file. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): { config: NodeConfig; secrets: { cluster: string; admin: string; apiKeys: string } } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  const parsed = NodeConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`config ${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const config = parsed.data;
  const base = dirname(resolve(path));
  config.dataDir = resolve(base, config.dataDir);
  if (!config.members.some((m) => m.id === config.nodeId)) throw new ConfigError(`config ${path}: nodeId: ${config.nodeId} is not one of the members`);
  const secret = (name: keyof NodeConfig['secrets']): string => {
    const where = config.secrets[name];
    let value: string | undefined;
    if ('env' in where) value = env[where.env];
    else {
      try {
        value = readFileSync(resolve(base, where.file), 'utf8').trim();
      } catch (error) {
        throw new ConfigError(`config ${path}: secrets.${name}: cannot read ${where.file}: ${(error as Error).message}`);
      }
    }
    if (value === undefined || value.length < 16) throw new ConfigError(`config ${path}: secrets.${name}: the secret must be at least 16 characters`);
    return value;
  };
  return { config, secrets: { cluster: secret('cluster'), admin: secret('admin'), apiKeys: secret('apiKeys') } };
}

/** The Server options a config describes. */
export function serverOptions(config: NodeConfig, secrets: { cluster: string; admin: string; apiKeys: string }): ServerOptions {
  const self = config.members.find((m) => m.id === config.nodeId);
  if (self === undefined) throw new ConfigError(`nodeId ${config.nodeId} is not one of the members`);
  return {
    dataDir: config.dataDir,
    fsync: config.fsync,
    snapshot: config.snapshot,
    cluster: {
      clusterId: config.clusterId, nodeId: config.nodeId, secret: secrets.cluster, members: config.members,
      electionTimeoutMs: config.electionTimeoutMs, heartbeatMs: config.heartbeatMs, commitPolicy: config.commitPolicy,
    },
    http: { host: config.listen.host, port: self.httpPort },
    binary: { host: config.listen.host, port: self.binaryPort, limits: given(config.binaryLimits) },
    adminKey: secrets.admin,
    keySecret: secrets.apiKeys,
    limits: given(config.limits),
  };
}
