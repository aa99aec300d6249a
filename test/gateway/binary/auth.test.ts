/** Login signatures: the documented formula, constant-time verification, fresh nonces. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../../src/application/assert.ts';
import { newNonce, sign, verifySignature } from '../../../src/gateway/binary/auth.ts';
import { runs } from '../../arbitraries.ts';

const nonceArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const keyArb = fc.maxSafeNat();

describe('login signatures', () => {
  it('are HMAC-SHA256(secret, nonce || keyId as little-endian float64)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), nonceArb, keyArb, (secret, nonce, keyId) => {
        const keyBytes = Buffer.alloc(8);
        keyBytes.writeDoubleLE(keyId);
        const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(nonce).update(keyBytes).digest();
        assert.deepEqual(Buffer.from(sign(secret, nonce, keyId)), expected);
      }),
      runs(200),
    );
  });

  it('verify their own signature and nothing else: another secret, nonce, key, a flipped bit, a cut', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), nonceArb, keyArb, fc.nat({ max: 255 }), (secret, nonce, keyId, bit) => {
        const signature = sign(secret, nonce, keyId);
        assert.ok(verifySignature(secret, nonce, keyId, signature));
        assert.ok(!verifySignature(`${secret}x`, nonce, keyId, signature));
        assert.ok(!verifySignature(secret, nonce, keyId === 0 ? 1 : keyId - 1, signature));
        const otherNonce = nonce.slice();
        otherNonce[bit % 32] ^= 1 << (bit % 8);
        assert.ok(!verifySignature(secret, otherNonce, keyId, signature));
        const flipped = signature.slice();
        flipped[bit % 32] ^= 1 << (bit % 8);
        assert.ok(!verifySignature(secret, nonce, keyId, flipped));
        assert.ok(!verifySignature(secret, nonce, keyId, signature.subarray(0, 31)));
        assert.ok(!verifySignature(secret, nonce, keyId, new Uint8Array(0)));
      }),
      runs(200),
    );
  });

  it('take a byte secret as is, and a text secret as its UTF-8 bytes', () => {
    const nonce = new Uint8Array(32).fill(1);
    assert.deepEqual(sign('clé', nonce, 5), sign(new Uint8Array(Buffer.from('clé', 'utf8')), nonce, 5));
  });

  it('refuse a nonce that is not 32 bytes or a key id that is not a safe integer ≥ 0', () => {
    assert.throws(() => sign('s', new Uint8Array(31), 1), InvariantError);
    for (const keyId of [-1, 1.5, Number.NaN, 2 ** 53]) assert.throws(() => sign('s', new Uint8Array(32), keyId), InvariantError);
  });

  it('nonces are 32 fresh bytes each', () => {
    const nonces = Array.from({ length: 100 }, () => Buffer.from(newNonce()).toString('hex'));
    assert.ok(nonces.every((n) => n.length === 64));
    assert.equal(new Set(nonces).size, 100);
  });
});
