/**
 * Entries of an earlier term: a leader cut off from its followers keeps commands it could not
 * commit in its archive. Restarted with one follower, it is the only node that can win (its log
 * is the longer); its no-op commits those entries. They are not in its memory (it restarted),
 * yet a subscriber gets each of them exactly once, in order, only once committed — and then
 * goes on receiving live entries.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Command } from '../../src/application/commands.ts';
import type { Member } from '../../src/node/cluster-config.ts';
import { Node } from '../../src/node/node.ts';
import { withTempDir } from '../node/harness.ts';
import { freePorts } from '../support/process-cluster.ts';
import { until } from '../support/until.ts';

const deposit = (transfer: number): Command => ({ type: 'Deposit', transfer, account: 1, asset: 1, amount: 1 });

it('a new leader publishes the entries of an earlier term it commits, once each, in order, after they commit', async () => {
  await withTempDir(async (dir) => {
    const members: Member[] = [];
    const ports = await freePorts(3);
    for (let id = 1; id <= 3; id++) members.push({ id, host: '127.0.0.1', peerPort: ports[id - 1] });
    const open = (id: number): Promise<Node> => Node.open({ dataDir: `${dir}/node-${id}`, fsync: 'always',
      cluster: { clusterId: 'earlier-term', nodeId: id, members, secret: 'a test secret of enough length' } });
    const nodes = await Promise.all([1, 2, 3].map(open));
    await until(() => nodes.some((n) => n.isLeader), 'a leader is elected');
    const leader = nodes.find((n) => n.isLeader) as Node;
    const leaderId = nodes.indexOf(leader) + 1;
    for (const c of [{ type: 'CreateAsset', code: 'COIN', scale: 0 }, { type: 'CreateAccount' }, deposit(1)] as Command[]) await leader.submit(c);
    const committed = leader.status().commitIndex;

    // Cut off: its followers stop; five commands reach its archive but cannot commit.
    const [other, third] = nodes.filter((n) => n !== leader);
    await Promise.all([other.close(), third.close()]);
    const cutOff = [2, 3, 4, 5, 6].map((t) => leader.submit(deposit(t)).then(() => 'committed', (e: Error) => e.message));
    await until(() => leader.status().archive.syncedIndex >= committed + 5, 'the five are in its archive');
    await leader.close();
    for (const outcome of await Promise.all(cutOff)) assert.notEqual(outcome, 'committed');

    // Back with one follower: only it can win, and its no-op commits the five.
    const restarted = await open(leaderId);
    const otherId = [1, 2, 3].find((id) => id !== leaderId) as number;
    const follower = await open(otherId);
    const received: number[] = [];
    const early: number[] = [];
    // Committed: stored here and on the follower (a majority of three).
    const onQuorum = (index: number): boolean => index <= committed || restarted.status().followers.some((f) => f.match >= index);
    restarted.subscribe(1, (entry) => {
      if (!onQuorum(entry.index)) early.push(entry.index);
      received.push(entry.index);
    });
    try {
      await until(() => restarted.isLeader, 'it leads again');
      const last = await restarted.submit(deposit(7));
      await until(() => received.length > 0 && received[received.length - 1] === last.index, 'every entry is published');
      assert.deepEqual(early, [], 'no entry is published before it commits');
      assert.deepEqual(received, [...new Set(received)].sort((a, b) => a - b), 'once each, in order');
      const transfers = [...restarted.state.transfers.keys()].sort((a, b) => a - b);
      assert.deepEqual(transfers, [1, 2, 3, 4, 5, 6, 7], 'the earlier term\'s deposits are applied');
      // The earlier term's five entries are among those published (each an event entry).
      assert.equal(received.filter((i) => i > committed && i < last.index).length >= 5, true, JSON.stringify(received));
    } finally {
      await Promise.all([restarted.close(), follower.close()]);
    }
  });
});
