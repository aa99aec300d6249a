/**
 * Signed REST requests: the client sends its key id, a timestamp (ms) and
 * hex(HMAC-SHA256(secret, timestamp "\n" METHOD "\n" path-with-query "\n" body)). A request is
 * accepted within `windowMs` of the server's clock, once: a replayed signature is refused (the
 * signatures seen within the window are remembered, at most `maxRemembered`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signRequest(secret: Uint8Array, timestampMs: number, method: string, path: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${method.toUpperCase()}\n${path}\n${body}`).digest('hex');
}

export type SignatureCheck = { ok: true } | { ok: false; code: 'BAD_SIGNATURE' | 'STALE_TIMESTAMP' | 'REPLAYED' | 'BUSY'; message: string };

export class SignatureVerifier {
  /** Signature -> the time (ms) after which it can no longer be replayed anyway. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = 30_000,
    private readonly maxRemembered = 200_000,
  ) {}

  verify(secret: Uint8Array, timestampMs: number, method: string, path: string, body: string, signature: string, nowMs: number): SignatureCheck {
    if (!Number.isSafeInteger(timestampMs) || Math.abs(nowMs - timestampMs) > this.windowMs) {
      return { ok: false, code: 'STALE_TIMESTAMP', message: `the timestamp must be within ${this.windowMs / 1000} s of the server's clock (ms since the epoch)` };
    }
    const expected = Buffer.from(signRequest(secret, timestampMs, method, path, body), 'hex');
    const given = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(32);
    if (!timingSafeEqual(expected, given)) return { ok: false, code: 'BAD_SIGNATURE', message: 'the request signature does not match' };
    this.forget(nowMs);
    if (this.seen.has(signature)) return { ok: false, code: 'REPLAYED', message: 'this signed request was already received' };
    if (this.seen.size >= this.maxRemembered) return { ok: false, code: 'BUSY', message: 'too many signed requests in the replay window; retry shortly' };
    this.seen.set(signature, timestampMs + this.windowMs);
    return { ok: true };
  }

  /** Drops signatures past their window (insertion order is close to expiry order). */
  private forget(nowMs: number): void {
    for (const [signature, until] of this.seen) {
      if (until >= nowMs - this.windowMs) break;
      this.seen.delete(signature);
    }
  }
}
