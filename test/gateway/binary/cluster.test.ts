/**
 * Order entry in a cluster of three real Servers in this process, on loopback: a follower sends
 * clients to the leader's order-entry port; the leader takes the orders; a leader that loses its
 * followers sends its clients off too, to no one in particular until an election ends.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Reason } from '../../../src/application/reasons.ts';
import { RestClient } from '../../../src/client/rest-client.ts';
import { PROTOCOL_VERSION, ReportKind } from '../../../src/gateway/binary/messages.ts';
import type { Member } from '../../../src/node/cluster-config.ts';
import { Server } from '../../../src/node/server.ts';
import { freePorts } from '../../support/process-cluster.ts';
import { ADMIN_KEY, KEY_SECRET, expectStatus } from '../support.ts';
import { TestClient, place } from './client.ts';

const HOST = '127.0.0.1';

let dir: string;
const members: Member[] = [];
const servers = new Map<number, Server>();

async function until(ok: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The leader's id, once every running node knows it. */
async function agreedLeader(): Promise<number> {
  let leader = 0;
  await until(() => {
    leader = [...servers].find(([, s]) => s.node.isLeader)?.[0] ?? 0;
    return leader !== 0 && [...servers.values()].every((s) => s.node.status().leaderId === leader);
  }, 'a leader is elected and known');
  return leader;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bourse-binary-cluster-'));
  const ports = await freePorts(9);
  for (let id = 1; id <= 3; id++) {
    const [peerPort, httpPort, binaryPort] = ports.slice(3 * (id - 1), 3 * id);
    members.push({ id, host: HOST, peerPort, httpPort, binaryPort });
  }
  await Promise.all(members.map(async (m) => {
    servers.set(m.id, await Server.start({
      dataDir: join(dir, `node-${m.id}`), fsync: 'never', adminKey: ADMIN_KEY, keySecret: KEY_SECRET,
      http: { host: HOST, port: m.httpPort as number }, binary: { host: HOST, port: m.binaryPort as number },
      // Slow elections: a test machine under load does not depose a leader in the middle of a test.
      cluster: { clusterId: 'binary-test', nodeId: m.id, members, secret: 'a cluster secret for tests only', electionTimeoutMs: [1_000, 2_000], heartbeatMs: 100 },
    }));
  }));
});

after(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('binary order entry in a cluster', () => {
  it("a follower answers with a Redirect to the leader's host and order-entry port, and closes", async () => {
    const leader = await agreedLeader();
    const leaderPort = servers.get(leader)?.binaryPort;
    assert.equal(leaderPort, members[leader - 1].binaryPort, 'the Server listens on its member\'s binaryPort');
    for (const m of members.filter((x) => x.id !== leader)) {
      const c = await TestClient.connect(servers.get(m.id)?.binaryPort as number);
      c.send({ type: 'Hello', protocolVersion: PROTOCOL_VERSION });
      assert.deepEqual(await c.closedBy(), [{ type: 'Redirect', leaderId: leader, host: HOST, port: leaderPort }]);
    }
  });

  it('the client that follows the Redirect signs in at the leader and its orders run there', async () => {
    const leader = await agreedLeader();
    const follower = members.find((m) => m.id !== leader) as Member;
    const redirect = (await (await TestClient.connect(follower.binaryPort as number)).closedBy())[0];
    assert.ok(redirect.type === 'Redirect');
    const admin = new RestClient(`http://${HOST}:${members[leader - 1].httpPort}`, { adminKey: ADMIN_KEY });
    await expectStatus(admin.request('POST', '/v1/admin/accounts'), 201);
    const key = await expectStatus(admin.request('POST', '/v1/admin/api-keys', { accountId: 1 }), 201);
    const { client, account } = await TestClient.login(redirect.port, key.keyId as number, key.secret as string);
    assert.equal(account, 1);
    client.send(place(1, { product: 1, side: 0, price: 100, qty: 100 }));
    const [rejected] = await client.answer(1);
    assert.deepEqual([rejected.kind, rejected.reason], [ReportKind.Rejected, Reason.UNKNOWN_PRODUCT]);
    client.send(place(1, { product: 1, side: 0, price: 100, qty: 100 }));
    assert.equal((await client.answer(1))[0].kind, ReportKind.Duplicate);
    client.close();
  });

  it('a leader that loses its followers redirects its clients at their next order, to no one known yet', async () => {
    const leader = await agreedLeader();
    const server = servers.get(leader) as Server;
    const admin = new RestClient(`http://${HOST}:${members[leader - 1].httpPort}`, { adminKey: ADMIN_KEY });
    const key = await expectStatus(admin.request('POST', '/v1/admin/api-keys', { accountId: 1 }), 201);
    const { client } = await TestClient.login(server.binaryPort as number, key.keyId as number, key.secret as string);
    for (const id of members.map((m) => m.id).filter((id) => id !== leader)) {
      await servers.get(id)?.close();
      servers.delete(id);
    }
    await until(() => !server.node.isLeader, 'it steps down');
    client.send(place(2, { product: 1, side: 0, price: 100, qty: 100 }));
    assert.deepEqual(await client.closedBy(), [{ type: 'Redirect', leaderId: 0, host: '', port: 0 }]);
  });
});
