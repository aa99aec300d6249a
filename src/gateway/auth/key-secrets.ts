/**
 * API key secrets are derived, never stored: secret = HMAC-SHA256(cluster key secret,
 * "bourse-api-key:" key ":" salt1 ":" salt2). The replicated state holds only the key id, its
 * account and the random salts, so neither an archive nor a snapshot lets anyone sign in; the
 * cluster key secret comes from the node's configuration and is never logged or replicated.
 */
import { createHmac, randomInt } from 'node:crypto';

/** Salts are random integers below 2^48 - 1 (randomInt's range; safe in the engine's slots): two give about 96 random bits. */
const SALT_LIMIT = 2 ** 48 - 1;

export function newSalts(): { salt1: number; salt2: number } {
  return { salt1: randomInt(SALT_LIMIT), salt2: randomInt(SALT_LIMIT) };
}

export function deriveKeySecret(clusterKeySecret: string, key: number, salt1: number, salt2: number): Buffer {
  return createHmac('sha256', clusterKeySecret).update(`bourse-api-key:${key}:${salt1}:${salt2}`).digest();
}
