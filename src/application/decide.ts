/**
 * `decide`: a command and the state in, the command's events out (written to `out`). It never
 * changes the state; an invalid command yields exactly one Rejected event (followed by its
 * RequestRecorded if it carried a request id).
 */
import { decideCreateAccount, decideCreateAsset, decideTransfer } from './accounts/decide.ts';
import type { Command } from './commands.ts';
import type { EventBuffer } from './events.ts';
import { decideCreateApiKey, decideRevokeApiKey } from './keys/decide.ts';
import type { Matcher } from './matching/matcher.ts';
import { decideCreateProduct, decideUpdateProduct } from './products/decide.ts';
import { Reason } from './reasons.ts';
import { reject } from './reject.ts';
import { decideAccountCommand } from './requests/decide.ts';
import type { State } from './state.ts';

export function decide(state: State, command: Command, out: EventBuffer, matcher: Matcher): void {
  switch (command.type) {
    case 'PlaceOrder':
    case 'ModifyOrder':
    case 'CancelOrder':
    case 'CancelAll': return decideAccountCommand(state, command, out, matcher);
    case 'Deposit':
    case 'Withdraw': return decideTransfer(state, command, out);
    case 'CreateAccount': return decideCreateAccount(state, out);
    case 'CreateAsset': return decideCreateAsset(state, command, out);
    case 'CreateProduct': return decideCreateProduct(state, command, out);
    case 'UpdateProduct': return decideUpdateProduct(state, command, out);
    case 'CreateApiKey': return decideCreateApiKey(state, command, out);
    case 'RevokeApiKey': return decideRevokeApiKey(state, command, out);
    default: return reject(out, Reason.UNKNOWN_COMMAND, 0);
  }
}
