/**
 * The caller's side of login: fresh nonces and the signature (docs/protocol.md, "Login").
 * The only module of the protocol that touches `node:crypto`: the Session is pure and gets its
 * nonce, and the check of a signature, from its caller.
 *
 * signature = HMAC-SHA256(apiSecret, nonce (32 bytes) || keyId as a little-endian float64)
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { assert } from '../../application/assert.ts';
import { NONCE_BYTES, SIGNATURE_BYTES } from './messages.ts';

/** A fresh random nonce for one connection's Challenge. */
export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/** What is signed: the nonce, then the key id as 8 bytes of little-endian float64. */
function signedBytes(nonce: Uint8Array, keyId: number): Uint8Array {
  assert(nonce.byteLength === NONCE_BYTES, 'a nonce is 32 bytes');
  assert(Number.isSafeInteger(keyId) && keyId >= 0, 'a key id is a safe integer ≥ 0');
  const bytes = new Uint8Array(NONCE_BYTES + 8);
  bytes.set(nonce, 0);
  new DataView(bytes.buffer).setFloat64(NONCE_BYTES, keyId, true);
  return bytes;
}

/** The login signature; a text secret is keyed by its UTF-8 bytes. */
export function sign(secret: string | Uint8Array, nonce: Uint8Array, keyId: number): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update(signedBytes(nonce, keyId)).digest());
}

/** True if `signature` is the key's signature of the nonce; compares in constant time. */
export function verifySignature(secret: string | Uint8Array, nonce: Uint8Array, keyId: number, signature: Uint8Array): boolean {
  const expected = sign(secret, nonce, keyId);
  return signature.byteLength === SIGNATURE_BYTES && timingSafeEqual(expected, signature);
}
