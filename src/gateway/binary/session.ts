/**
 * One client connection's protocol state, sans I/O (in the style of etcd's raft): no socket,
 * timer, clock or randomness inside. The caller feeds it frames, ticks of a monotonic clock and
 * the outcomes of the commands it submitted; each call returns what to do, in order: commands
 * to submit, and a `close` after which the session ignores everything. The frames it produces
 * gather in its buffer until the caller takes them (`takeFrames`) — a connection does once per
 * event-loop turn, so the answers to a turn's requests leave in one write, and answering one
 * allocates nothing but its frames' bytes.
 *
 * Hello, then Login, then commands (docs/protocol.md). A request counts as in flight from its
 * frame until its outcome comes back through `onCommandDone` or `onCommandFailed`.
 */
import { assert } from '../../application/assert.ts';
import type { Command } from '../../application/commands.ts';
import { PairIndex } from '../../application/pair-index.ts';
import { decodeClientFrame } from './decode.ts';
import { FrameWriter } from './encode.ts';
import { ErrorCode, type WireError, closesConnection } from './errors.ts';
import {
  type ClientMessage,
  DEFAULT_MAX_FRAME_BYTES,
  type ExecutionReport,
  LARGEST_MESSAGE_BYTES,
  type MessageOf,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  type ServerMessage,
} from './messages.ts';

type CommandName = 'PlaceOrder' | 'CancelOrder' | 'CancelAll' | 'ModifyOrder';
type CommandMessage = MessageOf<CommandName>;
/** The engine commands a connection submits. */
export type AccountCommand = Extract<Command, { type: CommandName }>;

export type Action =
  /** A request's engine command, with the account the connection logged in as. */
  | { type: 'submit'; command: AccountCommand }
  /** `code` is the Error code sent before closing, or 0 when the close is orderly (logout, redirect). */
  | { type: 'close'; code: number; reason: string };

/**
 * Checks a login: the account of key `keyId` if `signature` is the key's signature of `nonce`,
 * else undefined. The caller compares signatures in constant time (auth.ts verifySignature).
 * The arguments are views of the received frame, valid during the call only.
 */
export type Verify = (keyId: number, nonce: Uint8Array, signature: Uint8Array) => number | undefined;

export interface SessionOptions {
  /** 32 fresh random bytes for this connection alone (auth.ts newNonce). */
  nonce: Uint8Array;
  /** The monotonic clock's reading when the connection was accepted. */
  nowMs: number;
  verify: Verify;
  heartbeatIntervalMs?: number;
  maxInFlight?: number;
  /** Announced in the Challenge; the caller's FrameReader enforces it. */
  maxFrameBytes?: number;
}

export const SESSION_DEFAULTS = {
  heartbeatIntervalMs: 1_000,
  maxInFlight: 512,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
} as const;

/** Heartbeat intervals without a frame from the client before the session ends. */
export const MISSED_HEARTBEATS_MAX = 3;

export const SessionState = { AwaitHello: 1, AwaitLogin: 2, LoggedIn: 3, LoggingOut: 4, Closed: 5 } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/**
 * What most calls return: their frames wait in the buffer, and nothing else is to be done. Not
 * frozen: a frozen array's elements are of another kind, and a loop over both kinds is slower.
 */
const NO_ACTIONS: readonly Action[] = [];

/** The in-flight table's first size; it grows (and stays) as a connection pipelines more. */
const INITIAL_IN_FLIGHT = 64;

const STATE_NAMES: Readonly<Record<SessionState, string>> = {
  1: 'before Hello', 2: 'before Login', 3: 'after Login', 4: 'after Logout', 5: 'after close',
};

export interface LeaderAddress {
  /** 0 when no leader is known (an election is running). */
  leaderId: number;
  host: string;
  port: number;
}

export class Session {
  private stateNow: SessionState = SessionState.AwaitHello;
  /** The account logged in as; 0 before Login. */
  private accountNow = 0;
  readonly heartbeatIntervalMs: number;
  readonly maxInFlight: number;
  readonly maxFrameBytes: number;
  private readonly nonce: Uint8Array;
  private readonly verify: Verify;
  private nowMs: number;
  private lastReceivedMs: number;
  private lastSentMs: number;
  /**
   * The request ids in flight (keyed (id, 0); ids are positive). Not a Set: one whose members
   * come and go keeps rebuilding its table, and each new table lived on into the old generation.
   */
  private readonly inFlight: PairIndex;
  private readonly writer = new FrameWriter();
  /** The actions of the call under way; an array is made only for a call that has one. */
  private actions: Action[] | undefined;

  constructor(options: SessionOptions) {
    this.nonce = options.nonce;
    this.verify = options.verify;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? SESSION_DEFAULTS.heartbeatIntervalMs;
    this.maxInFlight = options.maxInFlight ?? SESSION_DEFAULTS.maxInFlight;
    this.maxFrameBytes = options.maxFrameBytes ?? SESSION_DEFAULTS.maxFrameBytes;
    this.inFlight = new PairIndex(Math.min(this.maxInFlight, INITIAL_IN_FLIGHT));
    this.nowMs = options.nowMs;
    this.lastReceivedMs = options.nowMs;
    this.lastSentMs = options.nowMs;
    assert(this.nonce.byteLength === NONCE_BYTES, 'a nonce is 32 bytes');
    assert(Number.isFinite(this.nowMs), 'nowMs is a time');
    assert(Number.isSafeInteger(this.heartbeatIntervalMs) && this.heartbeatIntervalMs >= 1, 'heartbeatIntervalMs ≥ 1');
    assert(Number.isSafeInteger(this.maxInFlight) && this.maxInFlight >= 1, 'maxInFlight ≥ 1');
    assert(Number.isSafeInteger(this.maxFrameBytes) && this.maxFrameBytes >= LARGEST_MESSAGE_BYTES, 'maxFrameBytes fits every message');
  }

  get state(): SessionState {
    return this.stateNow;
  }

  /** The account logged in as; 0 before Login. */
  get account(): number {
    return this.accountNow;
  }

  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** One frame from the client, length word included (a FrameReader's output). */
  onFrame(frame: Uint8Array): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    this.lastReceivedMs = this.nowMs;
    const decoded = decodeClientFrame(frame);
    if (decoded.ok) this.receive(decoded.value);
    else this.refuse(decoded.error.code, decoded.error.message);
    return this.flush();
  }

  /** The FrameReader refused the stream (oversize or impossible length): it cannot go on. */
  onFrameError(error: WireError): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    assert(closesConnection(error.code), 'a stream error ends the connection');
    this.refuse(error.code, error.message);
    return this.flush();
  }

  /** Time passes: ends a silent connection, keeps a quiet one alive. */
  onTick(nowMs: number): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    assert(nowMs >= this.nowMs, 'the clock is monotonic');
    this.nowMs = nowMs;
    const silentMs = nowMs - this.lastReceivedMs;
    if (silentMs >= MISSED_HEARTBEATS_MAX * this.heartbeatIntervalMs) {
      this.refuse(ErrorCode.HEARTBEAT_TIMEOUT, `nothing received for ${silentMs} ms`);
    } else if (this.stateNow !== SessionState.AwaitHello && nowMs - this.lastSentMs >= this.heartbeatIntervalMs) {
      this.send({ type: 'Heartbeat' });
    }
    return this.flush();
  }

  /** A submitted command's outcome: its reports, `reports[0, count)`, the last one (only) marked `last`. */
  onCommandDone(request: number, reports: readonly ExecutionReport[], count = reports.length): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    this.finish(request);
    assert(count > 0 && count <= reports.length, 'every request has a report');
    for (let i = 0; i < count; i++) {
      const report = reports[i];
      assert(report.request === request, 'a report answers its request');
      assert(report.last === (i === count - 1 ? 1 : 0), 'the last report alone is marked last');
      this.send(report);
    }
    this.settleLogout();
    return this.flush();
  }

  /** A submitted command did not run (the node was overloaded, or lost its leadership). */
  onCommandFailed(request: number, code: ErrorCode, message: string): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    assert(!closesConnection(code), 'a failed command leaves the connection up: terminate() ends it');
    this.finish(request);
    this.refuse(code, message, request);
    this.settleLogout();
    return this.flush();
  }

  /** A report no request of this connection caused: a resting order traded, a stop triggered, … */
  onUnsolicited(report: ExecutionReport): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    assert(this.accountNow !== 0, 'reports go to a logged-in account');
    assert(report.request === 0 && report.last === 0, 'an unsolicited report answers no request');
    this.send(report);
    return this.flush();
  }

  /** This node does not lead (or no longer): tell the client where the leader is, and close. */
  onNotLeader(leader: LeaderAddress): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    this.send({ type: 'Redirect', leaderId: leader.leaderId, host: leader.host, port: leader.port });
    this.close(0, `redirected to node ${leader.leaderId}`);
    return this.flush();
  }

  /** The server ends the session (shutting down, failed): an Error, then close. */
  terminate(code: ErrorCode, message: string): readonly Action[] {
    if (this.stateNow === SessionState.Closed) return NO_ACTIONS;
    assert(closesConnection(code), 'terminate with a closing code');
    this.refuse(code, message);
    return this.flush();
  }

  private receive(m: ClientMessage): void {
    const state = this.stateNow;
    switch (m.type) {
      case 'Hello':
        if (state !== SessionState.AwaitHello) return this.unexpected(m.type);
        if (m.protocolVersion !== PROTOCOL_VERSION) {
          return this.refuse(ErrorCode.UNSUPPORTED_VERSION,
            `this server speaks protocol version ${PROTOCOL_VERSION}, not ${m.protocolVersion}`);
        }
        this.stateNow = SessionState.AwaitLogin;
        return this.send({
          type: 'Challenge', protocolVersion: PROTOCOL_VERSION, nonce: this.nonce,
          heartbeatIntervalMs: this.heartbeatIntervalMs, maxInFlight: this.maxInFlight, maxFrameBytes: this.maxFrameBytes,
        });
      case 'Login':
        return this.login(m);
      case 'Heartbeat':
        return state === SessionState.AwaitHello ? this.unexpected(m.type) : undefined;
      case 'Logout':
        if (state !== SessionState.LoggedIn) return this.unexpected(m.type);
        this.stateNow = SessionState.LoggingOut;
        return this.settleLogout();
      default:
        return state === SessionState.LoggedIn ? this.submit(m) : this.unexpected(m.type);
    }
  }

  private login(m: MessageOf<'Login'>): void {
    const state = this.stateNow;
    // The nonce signs one login: a second Login on the connection can only be a replay.
    if (state === SessionState.LoggedIn || state === SessionState.LoggingOut) {
      return this.refuse(ErrorCode.NONCE_USED, 'this connection has logged in: its nonce is spent');
    }
    if (state !== SessionState.AwaitLogin) return this.unexpected(m.type);
    const account = this.verify(m.keyId, this.nonce, m.signature);
    if (account === undefined) return this.refuse(ErrorCode.AUTH_FAILED, `key ${m.keyId}: unknown key or bad signature`);
    assert(Number.isSafeInteger(account) && account >= 1, 'a key belongs to a client account');
    this.accountNow = account;
    this.stateNow = SessionState.LoggedIn;
    this.send({ type: 'LoginAccepted', account });
  }

  private submit(m: CommandMessage): void {
    if (this.inFlight.get(m.request, 0) !== -1) {
      return this.refuse(ErrorCode.REQUEST_IN_FLIGHT, `request ${m.request} is in flight on this connection`, m.request);
    }
    if (this.inFlight.size >= this.maxInFlight) {
      return this.refuse(ErrorCode.THROTTLED, `${this.maxInFlight} requests are in flight`, m.request);
    }
    this.inFlight.set(m.request, 0, 0);
    this.act({ type: 'submit', command: commandOf(m, this.accountNow) });
  }

  private unexpected(type: ClientMessage['type']): void {
    this.refuse(ErrorCode.UNEXPECTED_MESSAGE, `${type} is not allowed ${STATE_NAMES[this.stateNow]}`);
  }

  /** Sends an Error; closes after it if the code says so. */
  private refuse(code: ErrorCode, message: string, request = 0): void {
    this.send({ type: 'Error', code, request, message });
    if (closesConnection(code)) this.close(code, message);
  }

  private finish(request: number): void {
    const known = this.inFlight.delete(request, 0);
    assert(known, 'an outcome answers a request in flight');
  }

  private settleLogout(): void {
    if (this.stateNow !== SessionState.LoggingOut || this.inFlight.size > 0) return;
    this.send({ type: 'LogoutAccepted' });
    this.close(0, 'logged out');
  }

  private send(message: ServerMessage): void {
    this.writer.write(message);
    this.lastSentMs = this.nowMs;
  }

  private close(code: number, reason: string): void {
    assert(this.stateNow !== SessionState.Closed, 'closes once');
    this.stateNow = SessionState.Closed;
    this.inFlight.clear();
    // The last action of its call: a closed session does nothing more.
    this.act({ type: 'close', code, reason });
  }

  /** Frames are waiting to be taken. */
  get framesPending(): boolean {
    return this.writer.writtenBytes > 0;
  }

  /** The frames produced since the last take, in order, as bytes the caller owns; undefined if none. */
  takeFrames(): Uint8Array | undefined {
    return this.writer.writtenBytes > 0 ? this.writer.take() : undefined;
  }

  private act(action: Action): void {
    // A literal of one is sized to it; an empty array grown by a push takes room for seventeen.
    if (this.actions === undefined) this.actions = [action];
    else this.actions.push(action);
  }

  private flush(): readonly Action[] {
    const actions = this.actions ?? NO_ACTIONS;
    this.actions = undefined;
    return actions;
  }
}

/** The engine command of a request: the wire fields are the engine's, plus the account. */
function commandOf(m: CommandMessage, account: number): AccountCommand {
  const request = m.request;
  switch (m.type) {
    case 'PlaceOrder':
      return {
        type: 'PlaceOrder', account, request, product: m.product, clientOrderId: m.clientOrderId, side: m.side,
        orderType: m.orderType, tif: m.tif, postOnly: m.postOnly, stp: m.stp, price: m.price, qty: m.qty,
        quoteBudget: m.quoteBudget, stopPrice: m.stopPrice,
      };
    case 'CancelOrder':
      return { type: 'CancelOrder', account, request, order: m.order, clientOrderId: m.clientOrderId };
    case 'CancelAll':
      return { type: 'CancelAll', account, request, product: m.product };
    case 'ModifyOrder':
      return { type: 'ModifyOrder', account, request, order: m.order, clientOrderId: m.clientOrderId, price: m.price, qty: m.qty };
  }
}
