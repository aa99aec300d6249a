/**
 * `decide`: a command and the state in, the command's events out (written to `out`). It never
 * changes the state; an invalid command yields exactly one Rejected event.
 */
import { decideCreateAccount, decideCreateAsset, decideTransfer } from './accounts/decide.ts';
import type { Command } from './commands.ts';
import type { EventBuffer } from './events.ts';
import { decideCancel, decideCancelAll } from './matching/cancel.ts';
import type { Matcher } from './matching/matcher.ts';
import { decideModify } from './matching/modify.ts';
import { decidePlace } from './matching/place.ts';
import { decideCreateProduct, decideUpdateProduct } from './products/decide.ts';
import { Reason } from './reasons.ts';
import { reject } from './reject.ts';
import type { State } from './state.ts';

export function decide(state: State, command: Command, out: EventBuffer, matcher: Matcher): void {
  switch (command.type) {
    case 'PlaceOrder': return decidePlace(state, command, out, matcher);
    case 'ModifyOrder': return decideModify(state, command, out, matcher);
    case 'CancelOrder': return decideCancel(state, command, out);
    case 'CancelAll': return decideCancelAll(state, command, out);
    case 'Deposit':
    case 'Withdraw': return decideTransfer(state, command, out);
    case 'CreateAccount': return decideCreateAccount(state, out);
    case 'CreateAsset': return decideCreateAsset(state, command, out);
    case 'CreateProduct': return decideCreateProduct(state, command, out);
    case 'UpdateProduct': return decideUpdateProduct(state, command, out);
    default: return reject(out, Reason.UNKNOWN_COMMAND, 0);
  }
}
