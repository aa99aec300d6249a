/** Applying the events of API keys. */
import { assert } from '../assert.ts';
import { F } from '../events.ts';
import type { State } from '../state.ts';

export function applyApiKeyCreated(state: State, s: Float64Array, p: number): void {
  const f = F.ApiKeyCreated;
  const account = s[p + f.account];
  assert(state.accounts.exists(account) && account !== 0, 'API key of an unknown account');
  state.apiKeys.add(s[p + f.key], account, s[p + f.salt1], s[p + f.salt2]);
}

export function applyApiKeyRevoked(state: State, s: Float64Array, p: number): void {
  state.apiKeys.revoke(s[p + F.ApiKeyRevoked.key]);
}
