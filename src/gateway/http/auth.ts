/**
 * Authentication at the edge. Signed requests (API keys): headers `bourse-key` (the key id),
 * `bourse-timestamp` (ms since the epoch) and `bourse-signature`
 * (hex HMAC-SHA256(secret, timestamp "\n" METHOD "\n" path-with-query "\n" body)); a key only
 * ever acts on its own account. Admin requests: `authorization: Bearer <admin key>`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { SignatureVerifier } from '../auth/request-signature.ts';
import type { GatewayContext } from '../context.ts';
import { RateLimiter } from '../limits/rate-limiter.ts';
import { ApiError, notLeaderError } from './errors.ts';

export type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** A synchronous check as a fastify hook: what it throws is the request's error. */
export function hook(check: (request: FastifyRequest) => void): Hook {
  return (request, _reply, done) => {
    try {
      check(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  };
}

function header(request: FastifyRequest, name: string): string {
  const v = request.headers[name];
  return typeof v === 'string' ? v : '';
}

/**
 * Commands go to the leader only: a follower answers 421 with the leader's URL before it
 * checks anything else — HTTP clients resend a 421 once by themselves, and a signature
 * checked (and remembered) here would make that resend look like a replay.
 */
export function leaderOnly(ctx: GatewayContext): Hook {
  return hook(() => {
    if (ctx.node.isLeader) return;
    const s = ctx.node.status();
    const where = s.leaderId === 0 ? 'no leader is known yet (an election is running); retry shortly' : `node ${s.leaderId} leads`;
    throw notLeaderError(s.leaderId, `this node does not lead; ${where}`, ctx.memberUrl);
  });
}

export function signedRequests(ctx: GatewayContext): Hook {
  const verifier = new SignatureVerifier();
  const perKey = new RateLimiter(ctx.limits.keyRatePerSec, ctx.limits.keyBurst);
  return hook((request) => {
    const keyText = header(request, 'bourse-key');
    const key = /^[1-9]\d{0,15}$/.test(keyText) ? Number(keyText) : 0;
    const credentials = key === 0 ? undefined : ctx.keys.credentials(key);
    if (credentials === undefined) throw new ApiError(401, 'UNAUTHENTICATED', 'a valid bourse-key header (an active API key id) is required');
    const now = ctx.nowMs();
    if (!perKey.take(key, now)) throw new ApiError(429, 'RATE_LIMITED', `more than ${ctx.limits.keyRatePerSec} requests per second for this key`);
    const timestamp = Number(header(request, 'bourse-timestamp'));
    const check = verifier.verify(credentials.secret, timestamp, request.method, request.url, request.rawBody, header(request, 'bourse-signature'), now);
    if (!check.ok) throw new ApiError(check.code === 'BUSY' ? 503 : 401, check.code, check.message);
    request.account = credentials.account;
  });
}

export function adminRequests(ctx: GatewayContext): Hook {
  const expected = Buffer.from(`Bearer ${ctx.adminKey}`);
  return hook((request) => {
    const given = Buffer.from(header(request, 'authorization'));
    const ok = ctx.adminKey.length > 0 && given.length === expected.length && timingSafeEqual(given, expected);
    if (!ok) throw new ApiError(401, 'UNAUTHENTICATED', 'admin requests need authorization: Bearer <admin key>');
  });
}
