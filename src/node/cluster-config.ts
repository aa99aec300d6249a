/**
 * The cluster a node belongs to. Without one, a node is a cluster of one (no replicas): the
 * same consensus path, electing itself at once.
 */
export interface Member {
  id: number;
  host: string;
  /** Port of the peer transport. */
  peerPort: number;
  /** Client-facing ports, for telling clients where the leader is. */
  httpPort?: number;
  binaryPort?: number;
}

export interface ClusterOptions {
  clusterId: string;
  nodeId: number;
  members: Member[];
  /** The shared secret peers prove at connect (HMAC); never logged. */
  secret: string;
  /** Election timeout range in ms (each timeout random within it). Default [200, 400]. */
  electionTimeoutMs?: [number, number];
  /** Default 50 ms. */
  heartbeatMs?: number;
  /** `quorum` (default): a majority stores an entry before it commits; `all`: every member. */
  commitPolicy?: 'quorum' | 'all';
}

export const TICK_MS = 10;

/** Why the cluster options are unusable, or undefined. */
export function clusterProblem(c: ClusterOptions): string | undefined {
  if (typeof c.clusterId !== 'string' || c.clusterId.length === 0) return 'clusterId must be a non-empty string';
  if (c.members.length < 1 || c.members.length > 7) return 'members must list 1 to 7 nodes (0 to 6 replicas)';
  const ids = new Set(c.members.map((m) => m.id));
  if (ids.size !== c.members.length || [...ids].some((id) => !Number.isSafeInteger(id) || id < 1)) {
    return 'member ids must be distinct positive integers';
  }
  if (!ids.has(c.nodeId)) return `nodeId ${c.nodeId} is not one of the members`;
  if (c.members.length > 1 && (typeof c.secret !== 'string' || c.secret.length < 16)) return 'secret must be at least 16 characters';
  const [min, max] = c.electionTimeoutMs ?? [200, 400];
  const heartbeat = c.heartbeatMs ?? 50;
  if (!(heartbeat >= TICK_MS && min > heartbeat * 2 && max >= min)) {
    return 'timeouts must satisfy heartbeatMs >= 10 and electionTimeoutMs[0] > 2 × heartbeatMs <= electionTimeoutMs[1]';
  }
  return undefined;
}
