/** `decide` for creating and revoking API keys (admin commands). */
import { COMMANDS, type CommandOf } from '../commands.ts';
import { EVENTS, EVENT_VERSION, type EventBuffer } from '../events.ts';
import { writeRecord } from '../layout.ts';
import { LIMITS } from '../limits.ts';
import { Reason } from '../reasons.ts';
import { reject } from '../reject.ts';
import type { State } from '../state.ts';

export function decideCreateApiKey(state: State, c: CommandOf<'CreateApiKey'>, out: EventBuffer): void {
  const code = COMMANDS.CreateApiKey.code;
  const S = Number.isSafeInteger;
  if (!S(c.account) || !S(c.salt1) || !S(c.salt2)) return reject(out, Reason.NOT_SAFE_INTEGER, code, c.account);
  if (c.salt1 < 0 || c.salt2 < 0) return reject(out, Reason.VALUE_OUT_OF_RANGE, code, c.account);
  if (!state.accounts.exists(c.account)) return reject(out, Reason.UNKNOWN_ACCOUNT, code, c.account);
  // The fee account only ever receives fees: nobody signs in as it.
  if (c.account === 0) return reject(out, Reason.SYSTEM_ACCOUNT, code, c.account);
  if (state.apiKeys.count >= LIMITS.apiKeys) return reject(out, Reason.LIMIT_REACHED, code, c.account);
  writeRecord(out, EVENTS.ApiKeyCreated, EVENT_VERSION, { key: state.apiKeys.count + 1, account: c.account, salt1: c.salt1, salt2: c.salt2 });
}

export function decideRevokeApiKey(state: State, c: CommandOf<'RevokeApiKey'>, out: EventBuffer): void {
  const code = COMMANDS.RevokeApiKey.code;
  if (!Number.isSafeInteger(c.key)) return reject(out, Reason.NOT_SAFE_INTEGER, code);
  if (!state.apiKeys.active(c.key)) return reject(out, Reason.UNKNOWN_API_KEY, code);
  writeRecord(out, EVENTS.ApiKeyRevoked, EVENT_VERSION, { key: c.key, account: state.apiKeys.account[c.key] });
}
