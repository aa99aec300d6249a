/** Applying RequestRecorded: the outcome is remembered for retries (RequestDuplicate changes nothing). */
import { F } from '../events.ts';
import type { State } from '../state.ts';

export function applyRequestRecorded(state: State, s: Float64Array, p: number): void {
  const f = F.RequestRecorded;
  state.requests.record(s[p + f.account], s[p + f.request], s[p + f.command], s[p + f.order], s[p + f.reason], state.timestampUs);
}
