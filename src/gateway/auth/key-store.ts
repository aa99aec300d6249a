/**
 * The API keys a gateway accepts: those of the committed state (a key whose creation has not
 * committed yet might never exist), so every node of the cluster accepts the same keys.
 */
import type { ApiKeys } from '../../application/keys/api-keys.ts';
import { deriveKeySecret } from './key-secrets.ts';

export interface Credentials {
  account: number;
  secret: Buffer;
}

export class KeyStore {
  constructor(
    /** The committed state's keys (a view's). */
    private readonly keys: ApiKeys,
    private readonly clusterKeySecret: string,
  ) {}

  /** The account and secret of an active key. */
  credentials(key: number): Credentials | undefined {
    if (!this.keys.active(key)) return undefined;
    const k = this.keys;
    return { account: k.account[key], secret: deriveKeySecret(this.clusterKeySecret, key, k.salt1[key], k.salt2[key]) };
  }
}
