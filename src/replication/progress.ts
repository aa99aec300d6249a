/** What a leader knows of one follower's log. */
export class Progress {
  /** Highest index known durable on the follower and matching the leader's log. */
  match = 0;
  /** Highest index sent (acknowledged or in flight). */
  sent: number;
  /** Next index to send when probing. */
  next: number;
  /** Probing: one Append at a time until the follower's log is found to match. */
  probing = true;
  /** A probe is in flight: wait for its answer (or the next heartbeat). */
  paused = false;
  /** Highest index the follower has said it received (matching, durable or not). */
  received = 0;
  /** Heard from within the current check-quorum period. */
  recentActive = false;
  /** Highest commit index sent to it that covers only entries it was sent with, or matches. */
  commitSent = 0;
  /** `received` at the previous heartbeat: none received since, with entries in flight, means they were lost. */
  receivedAtHeartbeat = 0;

  constructor(next: number) {
    this.next = next;
    this.sent = next - 1;
  }
}
