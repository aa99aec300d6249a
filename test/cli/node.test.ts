/**
 * `bourse node`: a bad config exits 2 naming the key; a start the archive refuses exits 1 with a
 * log line saying why. It runs with the V8 flags that `bourse start` and the test clusters give
 * a node process, and bin/bourse.js's first line carries the same; every thread of a running
 * node is in the batch scheduling class.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { BIN, NODE_V8_FLAGS, nodeProcessArgs } from '../../src/cli/node-process.ts';
import { ServerCluster } from '../support/server-cluster.ts';
import { threadSchedules } from '../support/thread-schedules.ts';

const run = promisify(execFile);

it('bin/bourse.js runs with the V8 flags of a node process, and this node accepts them', async () => {
  const [first] = (await readFile(BIN, 'utf8')).split('\n');
  assert.equal(first, `#!/usr/bin/env -S node ${NODE_V8_FLAGS.join(' ')}`);
  const { stdout } = await run(BIN, ['--help']);
  assert.match(stdout, /^Usage: bourse/);
});

it('bourse node refuses a bad config (exit 2) and an unusable archive (exit 1), saying why', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-node-cli-'));
  try {
    const config = {
      clusterId: 'test', nodeId: 1, members: [{ id: 1, host: '127.0.0.1', peerPort: 1, httpPort: 2, binaryPort: 3 }],
      dataDir: 'data', listen: { host: '127.0.0.1' },
      secrets: { cluster: { env: 'T_CLUSTER' }, admin: { env: 'T_ADMIN' }, apiKeys: { env: 'T_KEYS' } },
    };
    const env = { ...process.env, T_CLUSTER: 'cluster-secret-0123456789', T_ADMIN: 'admin-key-0123456789', T_KEYS: 'key-secret-0123456789' };
    const file = join(dir, 'node.json');
    await writeFile(file, JSON.stringify({ ...config, fsync: 'sometimes' }));
    await assert.rejects(run(process.execPath, nodeProcessArgs(file), { env }),
      (e: { code: number; stderr: string }) => e.code === 2 && /fsync: always, never or interval/.test(e.stderr));
    // An archive directory holding something that is not an archive: refused before any port opens.
    await mkdir(join(dir, 'data', 'archive'), { recursive: true });
    await writeFile(join(dir, 'data', 'archive', 'notes.txt'), 'not a segment');
    await writeFile(file, JSON.stringify(config));
    await assert.rejects(run(process.execPath, nodeProcessArgs(file), { env }), (e: { code: number; stdout: string }) => {
      const line = e.stdout.split('\n').find((l) => l.includes('node: could not start'));
      return e.code === 1 && line !== undefined && /"error":"NOT_AN_ARCHIVE: /.test(line) && !line.includes(env.T_ADMIN);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('a running node has every thread in the batch scheduling class (the normal one where chrt is missing)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bourse-node-sched-'));
  const cluster = await ServerCluster.start({ dir, nodes: 1, fsync: 'always' });
  try {
    const chrt = spawnSync('chrt', ['--version']).status === 0;
    const node = chrt ? '3/0' : '0/0';
    const schedules = [...threadSchedules(cluster.pid(1) as number).values()].map((s) => `${s.policy}/${s.nice}`);
    assert.ok(schedules.length > 1, `${schedules.length} threads`);
    assert.deepEqual(schedules.filter((s) => s !== node), [], `no thread in another class: ${schedules.join(' ')}`);
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
