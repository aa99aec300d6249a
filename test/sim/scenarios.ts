/**
 * Scripted fault schedules for the simulator: histories too particular for random faults to
 * build often, each the shape of a known way to lose committed data.
 */
import type { Command } from '../../src/application/commands.ts';
import type { Cluster, ScriptStep } from './cluster.ts';
import type { SimNode } from './sim-node.ts';

const ENTRY: Command = { type: 'CreateAccount' };

function leaderAmong(c: Cluster, ids: number[]): SimNode | undefined {
  return ids.map((id) => c.node(id)).find((n) => n.isLeader);
}

function others(c: Cluster, ...not: number[]): number[] {
  return c.members.filter((m) => !not.includes(m));
}

/**
 * Raft's Figure 8 (5 nodes). A leader A writes x at index k on A and B only and dies. E is
 * elected without them; its no-op takes index k in a later term; E dies at once. A comes
 * back and leads again; with one entry per Append, C acknowledges x before A's no-op reaches
 * it — x is now on a majority, but of an old term: it must not count as committed. A dies;
 * E comes back, wins with C and D (its last term is newer) and overwrites k. Only a core that
 * committed x by counting loses a committed entry here.
 */
export function figure8(): ScriptStep[] {
  const s = { a: 0, b: 0, e: 0, k: 0, leaderTerm: 0 };
  return [
    { name: 'a first leader, one entry committed everywhere', until: (c) => leaderAmong(c, c.members) !== undefined,
      then: (c) => {
        const leader = leaderAmong(c, c.members) as SimNode;
        s.a = leader.id;
        c.proposeOn(leader, ENTRY);
      } },
    { name: 'the entry committed on all', until: (c) => c.nodes.every((n) => n.raft.commitIndex >= 2 && n.log.length === c.node(s.a).log.length),
      then: (c) => {
        s.b = others(c, s.a)[0];
        c.partition([s.a, s.b], others(c, s.a, s.b));
        s.k = c.proposeOn(c.node(s.a), ENTRY);
      } },
    { name: 'x on A and B', until: (c) => c.node(s.b).synced >= s.k && c.node(s.a).synced >= s.k,
      then: (c) => c.node(s.a).crash() },
    { name: 'E leads the other three', until: (c) => leaderAmong(c, others(c, s.a, s.b)) !== undefined,
      then: (c) => {
        const e = leaderAmong(c, others(c, s.a, s.b)) as SimNode;
        s.e = e.id;
        c.partition([s.a, s.b], ...others(c, s.a, s.b).map((id) => [id]));
      } },
    { name: 'E\'s no-op at k, durable', until: (c) => c.node(s.e).synced >= s.k,
      then: (c) => {
        c.node(s.e).crash();
        c.node(s.a).restart();
        const cNode = others(c, s.a, s.b, s.e)[0];
        c.partition([s.a, s.b, cNode], ...others(c, s.a, s.b, cNode).map((id) => [id]));
      } },
    { name: 'A or B leads again', until: (c) => leaderAmong(c, [s.a, s.b]) !== undefined,
      then: (c) => {
        const leader = leaderAmong(c, [s.a, s.b]) as SimNode;
        // Whichever of the two leads plays A from here on.
        if (leader.id === s.b) [s.a, s.b] = [s.b, s.a];
        s.leaderTerm = leader.raft.term;
      } },
    { name: 'A has counted C\'s acknowledgement of x, C lacks the no-op', until: (c) => {
        const cId = others(c, s.a, s.b, s.e)[0];
        const cNode = c.node(cId);
        const seenByA = c.node(s.a).raft.followers().find((f) => f.id === cId)?.match ?? 0;
        return seenByA >= s.k && cNode.log.length === s.k;
      },
      then: (c) => {
        c.partition([s.a], [s.b], others(c, s.a, s.b));
        c.node(s.a).crash();
        c.node(s.e).restart();
        c.partition([s.e, ...others(c, s.a, s.b, s.e)], [s.a], [s.b]);
      } },
    { name: 'E leads again', until: (c) => c.node(s.e).isLeader && c.node(s.e).raft.term > s.leaderTerm,
      then: () => undefined },
  ];
}
