/** Bounds and timings of the binary order-entry server; a BinaryGateway takes overrides. */
import { LARGEST_MESSAGE_BYTES } from './messages.ts';
import { SESSION_DEFAULTS } from './session.ts';

/** The largest maxFrameBytes: a FrameReader allocates it whole for every connection. */
const MAX_FRAME_BYTES_LIMIT = 1024 * 1024;

export interface BinaryLimits {
  /** Open connections; one more is answered OVERLOADED and closed. */
  maxConnections: number;
  /** Bytes written to a connection and not yet taken by the network; a client that reads slower is disconnected. */
  maxQueuedBytes: number;
  /** Requests a connection may have in flight (announced in the Challenge). */
  maxInFlight: number;
  heartbeatIntervalMs: number;
  /** The largest frame read (announced in the Challenge). */
  maxFrameBytes: number;
  /** Period of the one timer of all connections: heartbeats, timeouts and deadlines are checked on its ticks. */
  tickMs: number;
  /** After the server ends a connection, the time the client has to close its side before the socket is destroyed. */
  lingerMs: number;
  /** On shutdown, the time requests in flight have to be answered before SHUTTING_DOWN ends their connection. */
  drainMs: number;
}

export const BINARY_LIMITS: Readonly<BinaryLimits> = {
  maxConnections: 10_000,
  maxQueuedBytes: 4 * 1024 * 1024,
  maxInFlight: SESSION_DEFAULTS.maxInFlight,
  heartbeatIntervalMs: SESSION_DEFAULTS.heartbeatIntervalMs,
  maxFrameBytes: SESSION_DEFAULTS.maxFrameBytes,
  tickMs: 100,
  lingerMs: 1_000,
  drainMs: 2_000,
};

/** The limits with `overrides`, each checked: a positive integer, and frames that fit every message. */
export function binaryLimits(overrides: Partial<BinaryLimits> = {}): BinaryLimits {
  const limits = { ...BINARY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`binary limit ${name} must be a positive integer`);
  }
  if (limits.maxFrameBytes < LARGEST_MESSAGE_BYTES || limits.maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
    throw new RangeError(`binary limit maxFrameBytes must be in ${LARGEST_MESSAGE_BYTES} … ${MAX_FRAME_BYTES_LIMIT}`);
  }
  return limits;
}
