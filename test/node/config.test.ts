/** Config files: defaults, secrets from files and the environment, and errors that name the key. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig, serverOptions } from '../../src/node/config.ts';

const VALID = `
clusterId: test
nodeId: 2
members:
  - { id: 1, host: 10.0.0.1, peerPort: 8201, httpPort: 8001, binaryPort: 8101 }
  - { id: 2, host: 10.0.0.2, peerPort: 8201, httpPort: 8001, binaryPort: 8101 }
dataDir: data
secrets:
  cluster: { file: cluster.secret }
  admin: { env: TEST_ADMIN_KEY }
  apiKeys: { env: TEST_KEY_SECRET }
`;

describe('node config', () => {
  let dir: string;
  const env = { TEST_ADMIN_KEY: 'admin-key-0123456789', TEST_KEY_SECRET: 'key-secret-0123456789' };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bourse-config-'));
    await writeFile(join(dir, 'cluster.secret'), 'cluster-secret-0123456789\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (text: string, e: NodeJS.ProcessEnv = env): Promise<ReturnType<typeof loadConfig>> => {
    const file = join(dir, 'node.yaml');
    await writeFile(file, text);
    return loadConfig(file, e);
  };

  it('fills defaults, resolves paths and reads secrets', async () => {
    const { config, secrets } = await load(VALID);
    assert.equal(config.fsync, 'always');
    assert.equal(config.commitPolicy, 'quorum');
    assert.deepEqual(config.electionTimeoutMs, [200, 400]);
    assert.equal(config.scheduling, 'batch');
    assert.equal(config.dataDir, join(dir, 'data'));
    assert.deepEqual(secrets, { cluster: 'cluster-secret-0123456789', admin: env.TEST_ADMIN_KEY, apiKeys: env.TEST_KEY_SECRET });
    const options = serverOptions(config, secrets);
    assert.deepEqual(options.http, { host: '0.0.0.0', port: 8001 });
    assert.equal(options.cluster?.nodeId, 2);
    assert.deepEqual([options.limits, options.binary?.limits], [{}, {}], 'no limits given: the gateways\' defaults');
  });

  it('takes gateway and binary limits, any subset', async () => {
    const { config, secrets } = await load(`${VALID}limits: { keyInFlight: 64 }\nbinaryLimits: { maxInFlight: 128, maxConnections: 500 }\n`);
    const options = serverOptions(config, secrets);
    assert.deepEqual(options.limits, { keyInFlight: 64 });
    assert.deepEqual(options.binary, { host: '0.0.0.0', port: 8101, limits: { maxInFlight: 128, maxConnections: 500 } });
  });

  it('refuses a bad file with one message naming the key', async () => {
    const cases: [string, RegExp][] = [
      [VALID.replace('nodeId: 2', 'nodeId: 9'), /nodeId: 9 is not one of the members/],
      [VALID.replace('nodeId: 2', 'nodeId: two'), /nodeId: /],
      [VALID.replace('httpPort: 8001, binaryPort: 8101 }\n  - { id: 2', 'httpPort: 99999, binaryPort: 8101 }\n  - { id: 2'), /members\.0\.httpPort/],
      [`${VALID}fsync: sometimes\n`, /fsync: always, never or interval/],
      [`${VALID}scheduling: realtime\n`, /scheduling/],
      [`${VALID}colour: blue\n`, /colour/],
      [`${VALID}binaryLimits: { maxInFlight: 0 }\n`, /binaryLimits\.maxInFlight/],
      [`${VALID}binaryLimits: { maxFrameBytes: 16 }\n`, /binaryLimits\.maxFrameBytes/],
      [VALID.replace('admin: { env: TEST_ADMIN_KEY }', 'admin: hunter2'), /secrets\.admin/],
      [VALID.replace('cluster.secret', 'missing.secret'), /secrets\.cluster: cannot read missing\.secret/],
      ['clusterId: [', /not valid YAML/],
    ];
    for (const [text, message] of cases) {
      await assert.rejects(load(text), (error: Error) => error instanceof ConfigError && message.test(error.message), String(message));
    }
    await assert.rejects(load(VALID, { TEST_ADMIN_KEY: 'short' }), /secrets\.admin: the secret must be at least 16 characters/);
  });
});
