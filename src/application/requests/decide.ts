/**
 * `decide` for the commands of an account that may carry a request id (place, cancel,
 * cancel-all, modify). With an id seen before, the command answers with the first outcome
 * (RequestDuplicate) and runs nothing; otherwise it runs and its outcome is recorded
 * (RequestRecorded, written after its own events).
 */
import { COMMANDS, type CommandOf } from '../commands.ts';
import { EventCode, F, type EventBuffer } from '../events.ts';
import { headerType } from '../layout.ts';
import { decideCancel, decideCancelAll } from '../matching/cancel.ts';
import type { Matcher } from '../matching/matcher.ts';
import { decideModify } from '../matching/modify.ts';
import { decidePlace } from '../matching/place.ts';
import { Reason } from '../reasons.ts';
import { reject } from '../reject.ts';
import type { State } from '../state.ts';

export type AccountCommand = CommandOf<'PlaceOrder'> | CommandOf<'CancelOrder'> | CommandOf<'CancelAll'> | CommandOf<'ModifyOrder'>;

export function decideAccountCommand(state: State, c: AccountCommand, out: EventBuffer, matcher: Matcher): void {
  const request = c.request;
  if (request === 0) return run(state, c, out, matcher);
  const code = COMMANDS[c.type].code;
  if (!Number.isSafeInteger(request) || !Number.isSafeInteger(c.account)) return reject(out, Reason.NOT_SAFE_INTEGER, code, c.account);
  if (request < 0) return reject(out, Reason.VALUE_OUT_OF_RANGE, code, c.account);
  // Only a real trading account has ids remembered: an unknown one is rejected as usual.
  if (c.account < 1 || !state.accounts.exists(c.account)) return run(state, c, out, matcher);
  const requests = state.requests;
  const seen = requests.find(c.account, request);
  if (seen !== -1) {
    return out.requestDuplicate(c.account, request, requests.commandAt(seen), requests.orderAt(seen), requests.reasonAt(seen));
  }
  const mark = out.length;
  run(state, c, out, matcher);
  const rejected = mark < out.length && headerType(out.slots[mark]) === Rejected;
  out.requestRecorded(c.account, request, code, orderOf(out, mark), rejected ? out.slots[mark + F.Rejected.reason] : 0);
}

function run(state: State, c: AccountCommand, out: EventBuffer, matcher: Matcher): void {
  switch (c.type) {
    case 'PlaceOrder': return decidePlace(state, c, out, matcher);
    case 'ModifyOrder': return decideModify(state, c, out, matcher);
    case 'CancelOrder': return decideCancel(state, c, out);
    case 'CancelAll': return decideCancelAll(state, c, out);
  }
}

const { OrderAccepted, OrderCancelled, OrderModified, Rejected } = EventCode;

/** The order a command's first event names (0: none). */
function orderOf(out: EventBuffer, mark: number): number {
  if (mark === out.length) return 0;
  const s = out.slots;
  switch (headerType(s[mark])) {
    case Rejected: return s[mark + F.Rejected.order];
    case OrderAccepted: return s[mark + F.OrderAccepted.order];
    case OrderCancelled: return s[mark + F.OrderCancelled.order];
    case OrderModified: return s[mark + F.OrderModified.order];
    default: return 0;
  }
}
