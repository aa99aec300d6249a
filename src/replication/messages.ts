/**
 * The messages between consensus cores. An Append carries entry metadata only (count, and —
 * on the receiving side — each entry's term); the transport carries the entries' payloads
 * beside it, taken from and written to the archives.
 */
export const MessageType = {
  PreVote: 1,
  PreVoteResponse: 2,
  Vote: 3,
  VoteResponse: 4,
  Append: 5,
  AppendResponse: 6,
  Commit: 7,
} as const;

export interface VoteRequest {
  type: typeof MessageType.PreVote | typeof MessageType.Vote;
  term: number;
  from: number;
  to: number;
  lastIndex: number;
  lastTerm: number;
}

export interface VoteResponse {
  type: typeof MessageType.PreVoteResponse | typeof MessageType.VoteResponse;
  term: number;
  from: number;
  to: number;
  granted: boolean;
}

/** What a leader's Append and Commit both say: its log up to prevIndex, and its commit index. */
interface FromLeader {
  term: number;
  from: number;
  to: number;
  prevIndex: number;
  prevTerm: number;
  commit: number;
}

/** Entries prevIndex+1 .. prevIndex+count of the leader's log (none: a heartbeat). */
export interface Append extends FromLeader {
  type: typeof MessageType.Append;
  count: number;
  /** The entries' terms; filled in by the receiving side from the payloads. */
  terms?: readonly number[];
}

export interface AppendResponse {
  type: typeof MessageType.AppendResponse;
  term: number;
  from: number;
  to: number;
  success: boolean;
  /**
   * On success, the follower's last index both durable and known to match this leader.
   * On failure, a hint: the leader should retry with prevIndex at or below it.
   */
  index: number;
  /**
   * On success, the follower's last index known to match this leader, durable or not: what it
   * has received. Entries sent past it were lost; entries up to it are only waiting for a disk.
   */
  received: number;
}

/**
 * The leader's commit index, told to a follower known to hold the entries up to prevIndex (a
 * commit that no new entries are going out to carry). Never answered: the leader learns
 * nothing from an answer, and the answers were half the messages a follower sent.
 */
export interface Commit extends FromLeader {
  type: typeof MessageType.Commit;
}

export type Message = VoteRequest | VoteResponse | Append | AppendResponse | Commit;
