/**
 * Every REST error is `{ "error": { "code", "message", ... } }` with a stable code. Engine
 * rejects keep their reason names; node refusals become 421 (not the leader: the leader's URL
 * is given), 503 (overloaded, leadership lost: retry with the same request id).
 */
import { Reason, type ReasonName, reasonMessage, reasonName } from '../../application/reasons.ts';
import { NodeError } from '../../node/errors.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

const NOT_FOUND: ReadonlySet<number> = new Set([Reason.UNKNOWN_ORDER, Reason.UNKNOWN_PRODUCT, Reason.UNKNOWN_ACCOUNT, Reason.UNKNOWN_ASSET, Reason.UNKNOWN_API_KEY]);
const CONFLICT: ReadonlySet<number> = new Set([Reason.DUPLICATE_ASSET, Reason.DUPLICATE_PRODUCT, Reason.DUPLICATE_CLIENT_ORDER_ID]);

/** An engine reject as an API error. */
export function rejectError(reason: number, extra: Record<string, unknown> = {}): ApiError {
  const status = NOT_FOUND.has(reason) ? 404 : CONFLICT.has(reason) ? 409 : 400;
  const name: ReasonName | 'UNKNOWN_REASON' = reasonName(reason) ?? 'UNKNOWN_REASON';
  return new ApiError(status, name, reasonMessage(reason), extra);
}

/** How the leader is reached over HTTP, from a NOT_LEADER hint. */
export type LeaderUrl = (leaderId: number) => string | undefined;

/** 421: this node does not lead; the body names the leader and its URL (null while unknown). */
export function notLeaderError(leaderId: number, message: string, leaderUrl: LeaderUrl): ApiError {
  return new ApiError(421, 'NOT_LEADER', message, { leader: { id: leaderId, url: leaderUrl(leaderId) ?? null } });
}

export function nodeError(error: unknown, leaderUrl: LeaderUrl): ApiError {
  if (!(error instanceof NodeError)) throw error;
  const message = error.message.slice(error.code.length + 2);
  switch (error.code) {
    case 'NOT_LEADER':
      return notLeaderError(error.leader?.leaderId ?? 0, message, leaderUrl);
    case 'OVERLOADED':
    case 'LEADERSHIP_LOST':
      return new ApiError(503, error.code, message, { retryable: true });
    default:
      return new ApiError(503, error.code, message, { retryable: false });
  }
}
