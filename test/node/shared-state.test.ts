/**
 * A follower's view holds the follower's state (node/read-model.ts), in a cluster of three real
 * Servers in this process, on loopback: a follower applies each committed entry once, through its
 * view, and its state stays the leader's, request ids included; the follower that comes to lead
 * takes a copy, so that its state may run ahead while its view stays at the commit index; a
 * follower whose view stops takes a copy too.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { stateHash } from '../../src/application/snapshot.ts';
import type { CommandResult } from '../../src/node/node.ts';
import type { Server } from '../../src/node/server.ts';
import { commandStream } from '../support/command-stream.ts';
import { InProcessServers } from '../support/in-process-servers.ts';
import { until } from '../support/until.ts';

const NO_REQUESTS = { requests: false };

let cluster: InProcessServers;

function followers(leader: Server): Server[] {
  return [...cluster.servers.values()].filter((s) => s !== leader);
}

/**
 * Every running node, and its view, has applied what the leader committed (the last entry
 * carries events, so a view's index reaches it). A view that does not share its node's state
 * is a subscriber: the leader's may still be reading the archive when the node has applied all
 * (its cache is small), and under load that took a quarter of a second.
 */
async function settled(leader: Server): Promise<void> {
  const commit = leader.node.status().commitIndex;
  const done = (s: Server): boolean => s.node.status().applied >= commit && s.view.lastIndex >= commit;
  await until(() => [...cluster.servers.values()].every(done), 'every node and view applied the commits', 15_000);
}

// A cache smaller than a turn's entries: a follower may apply (through its view) entries it reads back from the archive.
before(async () => {
  cluster = await InProcessServers.start('shared-test', { cacheEntries: 64 });
});

after(async () => {
  await cluster.closeAll();
});

afterEach(() => {
  // A view fed twice (shared and subscribed) refuses the repeat, which a node logs as a failed subscriber.
  assert.deepEqual(cluster.errors(), [], 'nothing failed');
});

describe("a follower's view holds its state", () => {
  const commands = commandStream(7, 400);
  const results: CommandResult[] = [];

  it("each follower's view holds the follower's state, which is the leader's, request ids included", async () => {
    const leader = await cluster.leader();
    results.push(...await Promise.all(commands.map((c) => leader.node.submit(c))));
    await settled(leader);
    assert.notEqual(leader.view.state, leader.node.state, "the leader's state runs ahead of its view's");
    const hash = leader.node.stateHash();
    for (const f of followers(leader)) {
      assert.equal(f.view.state, f.node.state, `node ${f.node.nodeId}: one state`);
      assert.equal(f.node.stateHash(), hash, `node ${f.node.nodeId}: the leader's state`);
      assert.ok(f.node.state.requests.size > 0, 'request ids applied through the view');
    }
    assert.equal(leader.view.state.requests.size, 0, "the leader's view keeps no request ids");
    assert.equal(stateHash(leader.view.state, NO_REQUESTS), stateHash(leader.node.state, NO_REQUESTS));
  });

  it('the follower that comes to lead copies the state: a retried request id gets its first outcome, its view follows the commits', async () => {
    const old = await cluster.leader();
    await cluster.close(old.node.nodeId);
    const leader = await cluster.leader();
    assert.notEqual(leader.view.state, leader.node.state, 'the new leader has a state of its own');
    assert.equal(leader.view.state.requests.size, 0, 'and its view no request ids');
    const other = followers(leader)[0];
    assert.equal(other.view.state, other.node.state, 'the other follower still shares');

    const k = commands.findIndex((c) => 'request' in c && c.request > 0 && c.type === 'PlaceOrder');
    const first = results[k].events.find((e) => e.type === 'RequestRecorded');
    assert.ok(first !== undefined && first.type === 'RequestRecorded');
    const retry = await leader.node.submit(commands[k]);
    assert.deepEqual(retry.events, [{ ...first, type: 'RequestDuplicate' }]);

    // Commands made against another history: they run (or are refused) all the same.
    for (const c of commandStream(8, 50).slice(-50)) await leader.node.submit(c);
    await settled(leader);
    assert.equal(stateHash(leader.view.state, NO_REQUESTS), stateHash(leader.node.state, NO_REQUESTS), 'the view is at the commit index');
    assert.equal(other.node.stateHash(), leader.node.stateHash(), "the follower's state is the new leader's");
  });

  it('a follower whose view stops following takes a copy of the state, and keeps its request ids', async () => {
    const leader = await cluster.leader();
    const follower = followers(leader)[0];
    const hash = follower.node.stateHash();
    await cluster.close(follower.node.nodeId);
    assert.notEqual(follower.view.state, follower.node.state);
    assert.equal(follower.node.stateHash(), hash, 'the same state, request ids included');
    assert.equal(follower.view.state.requests.size, 0);
  });
});
