/**
 * API keys: each bound to one account. The engine keeps no secret: a key's secret is derived
 * outside it from a cluster secret and the key's id and salts, so the replicated state (and
 * every archive and snapshot) holds nothing that lets anyone sign in. Ids count from 1.
 */
import { assert } from '../assert.ts';
import { grow } from '../grow.ts';

export class ApiKeys {
  account = new Float64Array(64);
  salt1 = new Float64Array(64);
  salt2 = new Float64Array(64);
  /** 1 once revoked: a revoked key never comes back. */
  revoked = new Uint8Array(64);
  /** Keys created so far; key ids are 1..count. */
  count = 0;

  add(key: number, account: number, salt1: number, salt2: number): void {
    assert(key === this.count + 1, 'API keys out of sequence');
    if (key === this.account.length) {
      const capacity = key * 2;
      this.account = grow(this.account, capacity);
      this.salt1 = grow(this.salt1, capacity);
      this.salt2 = grow(this.salt2, capacity);
      this.revoked = grow(this.revoked, capacity);
    }
    this.account[key] = account;
    this.salt1[key] = salt1;
    this.salt2[key] = salt2;
    this.count = key;
  }

  /** Is `key` an existing key that is not revoked? */
  active(key: number): boolean {
    return Number.isSafeInteger(key) && key >= 1 && key <= this.count && this.revoked[key] === 0;
  }

  revoke(key: number): void {
    assert(this.active(key), 'revoking an inactive API key');
    this.revoked[key] = 1;
  }
}
