/**
 * Order entry in a cluster of three real Servers in this process, on loopback: a follower sends
 * clients to the leader's order-entry port; the leader takes the orders; a leader that loses its
 * followers sends its clients off too, to no one in particular until an election ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Reason } from '../../../src/application/reasons.ts';
import { RestClient } from '../../../src/client/rest-client.ts';
import { PROTOCOL_VERSION, ReportKind } from '../../../src/gateway/binary/messages.ts';
import type { Member } from '../../../src/node/cluster-config.ts';
import type { Server } from '../../../src/node/server.ts';
import { HOST, InProcessServers } from '../../support/in-process-servers.ts';
import { until } from '../../support/until.ts';
import { ADMIN_KEY, expectStatus } from '../support.ts';
import { TestClient, place } from './client.ts';

let cluster: InProcessServers;
let members: readonly Member[];
let servers: Map<number, Server>;

/** The leader's id, once every running node knows it. */
async function agreedLeader(): Promise<number> {
  return (await cluster.leader()).node.nodeId;
}

before(async () => {
  cluster = await InProcessServers.start('binary-test', { binary: true });
  ({ members, servers } = cluster);
});

after(async () => {
  await cluster.closeAll();
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
      await cluster.close(id);
    }
    await until(() => !server.node.isLeader, 'it steps down');
    client.send(place(2, { product: 1, side: 0, price: 100, qty: 100 }));
    assert.deepEqual(await client.closedBy(), [{ type: 'Redirect', leaderId: 0, host: '', port: 0 }]);
  });
});
