/**
 * The outcome of one command in its committed entry: for a command with a request id, its
 * RequestRecorded (first run) or RequestDuplicate (a retry: the first outcome, nothing ran);
 * otherwise the Rejected event if there is one.
 */
import type { Event } from '../application/events.ts';

export interface Outcome {
  /** The order placed, cancelled or modified (0: none). */
  order: number;
  /** 0: accepted; else the Reason code. */
  reason: number;
  /** A retried request id: nothing ran now, this is the first outcome. */
  duplicate: boolean;
}

export function outcomeOf(events: readonly Event[], account: number, request: number): Outcome {
  for (const e of events) {
    if ((e.type === 'RequestRecorded' || e.type === 'RequestDuplicate') && e.account === account && e.request === request) {
      return { order: e.order, reason: e.reason, duplicate: e.type === 'RequestDuplicate' };
    }
  }
  const rejected = events.find((e) => e.type === 'Rejected');
  return { order: 0, reason: rejected?.type === 'Rejected' ? rejected.reason : 0, duplicate: false };
}
