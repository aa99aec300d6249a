/** Why a node refused or failed a command: a stable code and a sentence. */
export type NodeErrorCode =
  | 'OVERLOADED'
  | 'CLOSED'
  | 'FAILED'
  | 'SNAPSHOT_FAILED'
  | 'NOTHING_TO_DO'
  /** This node does not lead: send to `leader` (unknown while an election runs). Retry. */
  | 'NOT_LEADER'
  /** This node stopped leading before the command committed: its outcome is unknown. Retry it with its request id. */
  | 'LEADERSHIP_LOST';

export interface LeaderHint {
  leaderId: number;
  host?: string;
  httpPort?: number;
  binaryPort?: number;
}

export class NodeError extends Error {
  override name = 'NodeError';

  constructor(
    readonly code: NodeErrorCode,
    message: string,
    /** For NOT_LEADER: where the leader is, as far as this node knows. */
    readonly leader?: LeaderHint,
  ) {
    super(`${code}: ${message}`);
  }
}
