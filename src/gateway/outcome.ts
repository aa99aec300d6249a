/**
 * The outcome of one command in its committed entry: for a command with a request id, its
 * RequestRecorded (first run) or RequestDuplicate (a retry: the first outcome, nothing ran);
 * otherwise the Rejected event if there is one. Read from the entry's event records in place:
 * this runs for every command a gateway answers, and decoding every event would not.
 */
import { EventCode, F } from '../application/events.ts';
import { headerSlots, headerType } from '../application/layout.ts';
import type { CommittedEntry } from '../node/subscribers.ts';

export interface Outcome {
  /** The order placed, cancelled or modified (0: none). */
  order: number;
  /** 0: accepted; else the Reason code. */
  reason: number;
  /** A retried request id: nothing ran now, this is the first outcome. */
  duplicate: boolean;
}

const { RequestRecorded, RequestDuplicate, Rejected } = EventCode;
const R = F.RequestRecorded;

export function outcomeOf(entry: Pick<CommittedEntry, 'slots' | 'from' | 'to'>, account: number, request: number): Outcome {
  const s = entry.slots;
  let rejectedReason = 0;
  // Bounded by the entry's records; each is at least its header.
  for (let p = entry.from; p < entry.to; p += headerSlots(s[p])) {
    const type = headerType(s[p]);
    if ((type === RequestRecorded || type === RequestDuplicate) && s[p + R.account] === account && s[p + R.request] === request) {
      return { order: s[p + R.order], reason: s[p + R.reason], duplicate: type === RequestDuplicate };
    }
    if (type === Rejected && rejectedReason === 0) rejectedReason = s[p + F.Rejected.reason];
  }
  return { order: 0, reason: rejectedReason, duplicate: false };
}
