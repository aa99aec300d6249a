/** `decide` for assets, accounts, deposits and withdrawals. */
import { COMMANDS, type CommandOf } from '../commands.ts';
import { EVENTS, EVENT_VERSION, type EventBuffer } from '../events.ts';
import { isValidName, writeRecord } from '../layout.ts';
import { LIMITS, MAX_SAFE } from '../limits.ts';
import { Reason } from '../reasons.ts';
import { reject } from '../reject.ts';
import type { State } from '../state.ts';

export function decideCreateAsset(state: State, c: CommandOf<'CreateAsset'>, out: EventBuffer): void {
  const code = COMMANDS.CreateAsset.code;
  if (!Number.isSafeInteger(c.scale)) return reject(out, Reason.NOT_SAFE_INTEGER, code);
  if (typeof c.code !== 'string' || !isValidName(c.code) || c.scale < 0 || c.scale > LIMITS.scale) {
    return reject(out, Reason.INVALID_ASSET, code);
  }
  if (state.assets.findCode(c.code) !== undefined) return reject(out, Reason.DUPLICATE_ASSET, code);
  if (state.assets.count >= LIMITS.assets) return reject(out, Reason.LIMIT_REACHED, code);
  writeRecord(out, EVENTS.AssetCreated, EVENT_VERSION, { asset: state.assets.count + 1, scale: c.scale, code: c.code });
}

export function decideCreateAccount(state: State, out: EventBuffer): void {
  if (state.accounts.count >= LIMITS.accounts) return reject(out, Reason.LIMIT_REACHED, COMMANDS.CreateAccount.code);
  writeRecord(out, EVENTS.AccountCreated, EVENT_VERSION, { account: state.accounts.count });
}

type Transfer = CommandOf<'Deposit'> | CommandOf<'Withdraw'>;

/** A deposit or withdrawal; a repeated transfer id answers with the first transfer and changes nothing. */
export function decideTransfer(state: State, c: Transfer, out: EventBuffer): void {
  const reason = transfer(state, c, out);
  if (reason !== 0) reject(out, reason, COMMANDS[c.type].code, c.account, 0, 0, c.transfer);
}

/** Writes the transfer's event, or returns why it is rejected. */
function transfer(state: State, c: Transfer, out: EventBuffer): number {
  const S = Number.isSafeInteger;
  if (!S(c.transfer)) return Reason.NOT_SAFE_INTEGER;
  if (c.transfer <= 0) return Reason.VALUE_OUT_OF_RANGE;
  // A repeat answers with the first transfer whatever its other fields say.
  const first = state.transfers.get(c.transfer);
  if (first !== undefined) {
    writeRecord(out, EVENTS.TransferDuplicate, EVENT_VERSION, { transfer: c.transfer, ...first });
    return 0;
  }
  if (!S(c.account) || !S(c.asset) || !S(c.amount)) return Reason.NOT_SAFE_INTEGER;
  if (c.amount <= 0) return Reason.VALUE_OUT_OF_RANGE;
  if (!state.accounts.exists(c.account)) return Reason.UNKNOWN_ACCOUNT;
  const asset = state.assets.get(c.asset);
  if (asset === undefined) return Reason.UNKNOWN_ASSET;
  if (state.transfers.size >= LIMITS.transfers) return Reason.LIMIT_REACHED;
  const accounts = state.accounts;
  const available = accounts.available[c.account * accounts.stride + c.asset];
  if (c.type === 'Deposit') {
    // Every balance of an asset is part of its supply: bounding the supply bounds them all.
    if (asset.supply + c.amount > MAX_SAFE) return Reason.VALUE_OUT_OF_RANGE;
  } else if (available < c.amount) {
    return Reason.INSUFFICIENT_FUNDS;
  }
  writeRecord(out, c.type === 'Deposit' ? EVENTS.Deposited : EVENTS.Withdrawn, EVENT_VERSION, c);
  return 0;
}
