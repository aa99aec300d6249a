/** Applying the events of assets, accounts and transfers. */
import { assert } from '../assert.ts';
import { F } from '../events.ts';
import { unpackString } from '../layout.ts';
import type { State } from '../state.ts';

export function applyAssetCreated(state: State, s: Float64Array, p: number): void {
  const f = F.AssetCreated;
  const id = s[p + f.asset];
  const code = unpackString(s, p + f.code);
  assert(id === state.assets.count + 1 && code !== undefined, 'AssetCreated out of sequence');
  state.assets.add(id, code, s[p + f.scale]);
  state.accounts.ensureAsset(id);
}

export function applyAccountCreated(state: State, s: Float64Array, p: number): void {
  assert(s[p + F.AccountCreated.account] === state.accounts.count, 'AccountCreated out of sequence');
  state.accounts.add();
}

export function applyTransfer(state: State, s: Float64Array, p: number, kind: number, sign: 1 | -1): void {
  const f = F.Deposited;
  const transfer = s[p + f.transfer];
  const account = s[p + f.account];
  const assetId = s[p + f.asset];
  const amount = s[p + f.amount];
  const asset = state.assets.get(assetId);
  assert(asset !== undefined && state.accounts.exists(account), 'transfer of an unknown asset or account');
  const accounts = state.accounts;
  const at = account * accounts.stride + assetId;
  accounts.available[at] += sign * amount;
  asset.supply += sign * amount;
  assert(accounts.available[at] >= 0, 'withdrawal below zero');
  state.transfers.set(transfer, { kind, account, asset: assetId, amount });
}
