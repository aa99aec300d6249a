/**
 * Error codes of the binary order-entry protocol (docs/protocol.md). A code's number, name and
 * whether it ends the connection never change once released: clients branch on them.
 */
export const ErrorCode = {
  FRAME_TOO_LARGE: 1,
  BAD_LENGTH: 2,
  UNKNOWN_TYPE: 3,
  BAD_FIELD: 4,
  UNSUPPORTED_VERSION: 5,
  UNEXPECTED_MESSAGE: 6,
  AUTH_FAILED: 7,
  NONCE_USED: 8,
  HEARTBEAT_TIMEOUT: 9,
  THROTTLED: 10,
  REQUEST_IN_FLIGHT: 11,
  OVERLOADED: 12,
  LEADERSHIP_LOST: 13,
  SHUTTING_DOWN: 14,
  INTERNAL: 15,
} as const;

export type ErrorName = keyof typeof ErrorCode;
export type ErrorCode = (typeof ErrorCode)[ErrorName];

/**
 * The codes after which the server closes the connection. The others answer one request and
 * leave the connection up: the client may retry that request later.
 */
const STAYS_UP: ReadonlySet<number> = new Set<number>([
  ErrorCode.THROTTLED, ErrorCode.REQUEST_IN_FLIGHT, ErrorCode.OVERLOADED, ErrorCode.LEADERSHIP_LOST,
]);

const NAMES = new Map<number, ErrorName>((Object.keys(ErrorCode) as ErrorName[]).map((name) => [ErrorCode[name], name]));

export function errorName(code: number): ErrorName | undefined {
  return NAMES.get(code);
}

export function closesConnection(code: ErrorCode): boolean {
  return !STAYS_UP.has(code);
}

/** Why bytes from the wire were refused; `field` names the offending field, if one is. */
export interface WireError {
  code: ErrorCode;
  message: string;
  field?: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: WireError };
