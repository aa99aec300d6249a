/**
 * The Session's whole lifecycle, driven through frames, ticks and command outcomes: the happy
 * path, messages out of order, bad and replayed logins, throttling, heartbeats and their
 * timeout, logout, redirect, and the caller's mistakes it asserts against.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvariantError } from '../../../src/application/assert.ts';
import { OrderType, Side, Stp, TimeInForce } from '../../../src/application/matching/order-types.ts';
import { Reason } from '../../../src/application/reasons.ts';
import { sign } from '../../../src/gateway/binary/auth.ts';
import { ErrorCode, errorName } from '../../../src/gateway/binary/errors.ts';
import {
  type ExecutionReport,
  Liquidity,
  PROTOCOL_VERSION,
  ReportKind,
  type ServerMessage,
} from '../../../src/gateway/binary/messages.ts';
import { type Action, MISSED_HEARTBEATS_MAX, type Session, SessionState } from '../../../src/gateway/binary/session.ts';
import {
  ACCOUNT,
  KEY_ID,
  SECRET,
  frame,
  hello,
  loggedInSession,
  login,
  newSession,
  nonceOf,
  outcome,
  placeOrder,
} from './support.ts';

/** The actions must be: an Error with `code` (and `request`), then a close if the code ends the connection. */
function expectRefused(session: Session, actions: readonly Action[], code: ErrorCode, request = 0, closes = true): Extract<ServerMessage, { type: 'Error' }> {
  const { sent, submitted, close } = outcome(session, actions);
  assert.equal(submitted.length, 0);
  assert.equal(sent.length, 1, 'one Error');
  const error = sent[0];
  assert.ok(error.type === 'Error', `an Error, not ${error.type}`);
  assert.equal(errorName(error.code), errorName(code), error.message);
  assert.equal(error.request, request);
  assert.ok(error.message.length > 0);
  if (closes) assert.deepEqual(close, { type: 'close', code, reason: close?.reason });
  else assert.equal(close, undefined);
  return error;
}

function report(request: number, fields: Partial<ExecutionReport> = {}): ExecutionReport {
  return {
    type: 'ExecutionReport', kind: ReportKind.New, side: Side.Buy, request, order: 9, clientOrderId: 0, product: 1,
    price: 100, qty: 10, filledQty: 0, leavesQty: 10, trade: 0, fillPrice: 0, fillQty: 0, fee: 0, entryIndex: 5,
    timestampUs: 1_000, reason: 0, liquidity: Liquidity.None, last: 1, ...fields,
  };
}

/** The call sent, submitted and closed nothing. */
function expectNothing(session: Session, actions: readonly Action[], message?: string): void {
  assert.deepEqual(outcome(session, actions), { sent: [], submitted: [], close: undefined }, message);
}

function expectClosedForGood(session: Session): void {
  assert.equal(session.state, SessionState.Closed);
  expectNothing(session, session.onFrame(frame({ type: 'Heartbeat' })));
  expectNothing(session, session.onTick(1e12));
  expectNothing(session, session.onNotLeader({ leaderId: 1, host: 'h', port: 1 }));
  expectNothing(session, session.terminate(ErrorCode.SHUTTING_DOWN, 'bye'));
  assert.equal(session.requestsInFlight, 0);
}

describe('Session: the happy path', () => {
  it('Hello gets a Challenge with the nonce and the limits; Login with the signature gets the account', () => {
    const nonce = nonceOf(9);
    const session = newSession({ nonce, heartbeatIntervalMs: 500, maxInFlight: 8, maxFrameBytes: 1024 });
    assert.equal(session.state, SessionState.AwaitHello);
    const { sent, close } = outcome(session, session.onFrame(hello()));
    assert.equal(close, undefined);
    assert.deepEqual(sent, [{
      type: 'Challenge', protocolVersion: PROTOCOL_VERSION, nonce, heartbeatIntervalMs: 500, maxInFlight: 8, maxFrameBytes: 1024,
    }]);
    assert.equal(session.state, SessionState.AwaitLogin);
    assert.equal(session.account, 0);
    assert.deepEqual(outcome(session, session.onFrame(login(nonce))).sent, [{ type: 'LoginAccepted', account: ACCOUNT }]);
    assert.equal(session.state, SessionState.LoggedIn);
    assert.equal(session.account, ACCOUNT);
  });

  it('each command is submitted with the account, its request id and every field as sent', () => {
    const session = loggedInSession();
    const place = outcome(session, session.onFrame(placeOrder(1, {
      product: 3, clientOrderId: 77, side: Side.Sell, orderType: OrderType.StopLimit, tif: TimeInForce.IOC, postOnly: 0,
      stp: Stp.DecrementCancel, price: 12_345, qty: 2 ** 40, quoteBudget: 0, stopPrice: 12_000,
    })));
    assert.deepEqual(place.submitted, [{
      type: 'PlaceOrder', account: ACCOUNT, request: 1, product: 3, clientOrderId: 77, side: Side.Sell,
      orderType: OrderType.StopLimit, tif: TimeInForce.IOC, postOnly: 0, stp: Stp.DecrementCancel, price: 12_345,
      qty: 2 ** 40, quoteBudget: 0, stopPrice: 12_000,
    }]);
    assert.deepEqual(place.sent, [], 'nothing is said until the outcome');
    const rest = [
      frame({ type: 'CancelOrder', request: 2, order: 9, clientOrderId: 0 }),
      frame({ type: 'CancelAll', request: 3, product: 0 }),
      frame({ type: 'ModifyOrder', request: 4, order: 9, clientOrderId: 5, price: 101, qty: 20 }),
    ].map((f) => outcome(session, session.onFrame(f)).submitted[0]);
    assert.deepEqual(rest, [
      { type: 'CancelOrder', account: ACCOUNT, request: 2, order: 9, clientOrderId: 0 },
      { type: 'CancelAll', account: ACCOUNT, request: 3, product: 0 },
      { type: 'ModifyOrder', account: ACCOUNT, request: 4, order: 9, clientOrderId: 5, price: 101, qty: 20 },
    ]);
    assert.equal(session.requestsInFlight, 4);
  });

  it("a command's reports go out in one send, in order; the request leaves the in-flight count", () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(5)));
    const reports = [
      report(5, { kind: ReportKind.New, last: 0 }),
      report(5, {
        kind: ReportKind.PartiallyFilled, filledQty: 4, leavesQty: 6, trade: 31, fillPrice: 99, fillQty: 4, fee: 2,
        liquidity: Liquidity.Taker, last: 0,
      }),
      report(5, { kind: ReportKind.Cancelled, filledQty: 4, leavesQty: 0, reason: 4, last: 1 }),
    ];
    const actions = session.onCommandDone(5, reports);
    assert.equal(actions.length, 0, 'an answer is frames alone');
    assert.deepEqual(outcome(session, actions).sent, reports);
    assert.equal(session.requestsInFlight, 0);
  });

  it('a rejection and a duplicate are reports too, with the engine reason', () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(6)));
    const rejected = report(6, { kind: ReportKind.Rejected, order: 0, reason: Reason.INSUFFICIENT_FUNDS });
    assert.deepEqual(outcome(session, session.onCommandDone(6, [rejected])).sent, [rejected]);
    outcome(session, session.onFrame(placeOrder(6)));
    const duplicate = report(6, { kind: ReportKind.Duplicate, order: 0, reason: Reason.INSUFFICIENT_FUNDS });
    assert.deepEqual(outcome(session, session.onCommandDone(6, [duplicate])).sent, [duplicate]);
  });

  it('unsolicited reports (request 0) go out as they come', () => {
    const session = loggedInSession();
    const fill = report(0, { kind: ReportKind.Filled, filledQty: 10, leavesQty: 0, trade: 8, fillPrice: 100, fillQty: 10,
      fee: -1, liquidity: Liquidity.Maker, last: 0 });
    assert.deepEqual(outcome(session, session.onUnsolicited(fill)).sent, [fill]);
  });

  it('Logout waits for the requests in flight, then LogoutAccepted and an orderly close', () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(1)));
    outcome(session, session.onFrame(placeOrder(2)));
    assert.deepEqual(outcome(session, session.onFrame(frame({ type: 'Logout' }))), { sent: [], submitted: [], close: undefined });
    assert.equal(session.state, SessionState.LoggingOut);
    const fill = report(0, { last: 0 });
    assert.deepEqual(outcome(session, session.onUnsolicited(fill)).sent, [fill], 'reports still flow');
    assert.deepEqual(outcome(session, session.onFrame(frame({ type: 'Heartbeat' }))).sent, []);
    expectRefused(session, session.onFrame(placeOrder(3)), ErrorCode.UNEXPECTED_MESSAGE);
  });

  it('Logout: the last outcome is followed by LogoutAccepted', () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(1)));
    outcome(session, session.onFrame(placeOrder(2)));
    outcome(session, session.onFrame(frame({ type: 'Logout' })));
    assert.equal(outcome(session, session.onCommandDone(1, [report(1)])).close, undefined);
    const last = outcome(session, session.onCommandFailed(2, ErrorCode.OVERLOADED, 'the queue is full'));
    assert.deepEqual(last.sent.map((m) => m.type), ['Error', 'LogoutAccepted']);
    assert.deepEqual(last.close, { type: 'close', code: 0, reason: 'logged out' });
    expectClosedForGood(session);
  });

  it('Logout with nothing in flight is accepted at once', () => {
    const session = loggedInSession();
    const { sent, close } = outcome(session, session.onFrame(frame({ type: 'Logout' })));
    assert.deepEqual(sent, [{ type: 'LogoutAccepted' }]);
    assert.equal(close?.code, 0);
    expectClosedForGood(session);
  });
});

describe('Session: messages out of order', () => {
  const helloed = (): Session => {
    const session = newSession();
    outcome(session, session.onFrame(hello()));
    return session;
  };
  const cases: [string, () => Session, Uint8Array][] = [
    ['Login before Hello', newSession, login(nonceOf(1))],
    ['Heartbeat before Hello', newSession, frame({ type: 'Heartbeat' })],
    ['a command before Hello', newSession, placeOrder(1)],
    ['Logout before Hello', newSession, frame({ type: 'Logout' })],
    ['a second Hello', helloed, hello()],
    ['a command before Login', helloed, placeOrder(1)],
    ['Logout before Login', helloed, frame({ type: 'Logout' })],
    ['Hello after Login', loggedInSession, hello()],
  ];
  for (const [what, setUp, message] of cases) {
    it(`${what}: UNEXPECTED_MESSAGE, closed`, () => {
      const session = setUp();
      expectRefused(session, session.onFrame(message), ErrorCode.UNEXPECTED_MESSAGE);
      expectClosedForGood(session);
    });
  }

  it('a protocol version the server does not speak: UNSUPPORTED_VERSION, closed', () => {
    for (const version of [0, 2, 65_535]) {
      const session = newSession();
      expectRefused(session, session.onFrame(hello(version)), ErrorCode.UNSUPPORTED_VERSION);
      expectClosedForGood(session);
    }
  });

  it('a frame that does not decode: its error code, closed', () => {
    const session = loggedInSession();
    const bad = placeOrder(1);
    new DataView(bad.buffer).setFloat64(32, Number.NaN, true);
    const error = expectRefused(session, session.onFrame(bad), ErrorCode.BAD_FIELD);
    assert.ok(error.message.includes('PlaceOrder.price'), 'the message names the field');
    expectClosedForGood(session);
  });

  it('a stream the frame reader refused: its error code, closed', () => {
    const session = loggedInSession();
    expectRefused(session, session.onFrameError({ code: ErrorCode.FRAME_TOO_LARGE, message: 'a frame of 9999 bytes' }),
      ErrorCode.FRAME_TOO_LARGE);
    expectClosedForGood(session);
  });
});

describe('Session: login', () => {
  it('a bad signature, an unknown key, another secret: AUTH_FAILED, closed', () => {
    const nonce = nonceOf(1);
    const wrong = sign(SECRET, nonce, KEY_ID);
    wrong[0] ^= 1;
    for (const attempt of [
      frame({ type: 'Login', keyId: KEY_ID, signature: wrong }),
      login(nonce, KEY_ID + 1),
      login(nonce, KEY_ID, 'another secret'),
    ]) {
      const session = newSession({ nonce });
      outcome(session, session.onFrame(hello()));
      expectRefused(session, session.onFrame(attempt), ErrorCode.AUTH_FAILED);
      assert.equal(session.account, 0);
      expectClosedForGood(session);
    }
  });

  it("a Login captured on another connection fails on this one: its nonce is another's", () => {
    const captured = login(nonceOf(1));
    const session = newSession({ nonce: nonceOf(2) });
    outcome(session, session.onFrame(hello()));
    expectRefused(session, session.onFrame(captured), ErrorCode.AUTH_FAILED);
  });

  it('the nonce is used once: a replayed or second Login is refused with NONCE_USED, closed', () => {
    const nonce = nonceOf(3);
    const session = newSession({ nonce });
    outcome(session, session.onFrame(hello()));
    const first = login(nonce);
    assert.equal(outcome(session, session.onFrame(first)).sent[0].type, 'LoginAccepted');
    expectRefused(session, session.onFrame(first), ErrorCode.NONCE_USED);
    expectClosedForGood(session);
  });

  it('a second Login while logging out is refused the same way', () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(1)));
    outcome(session, session.onFrame(frame({ type: 'Logout' })));
    expectRefused(session, session.onFrame(login(nonceOf(1))), ErrorCode.NONCE_USED);
  });

  it('the verify callback sees the key id, the nonce and the signature as sent', () => {
    const nonce = nonceOf(4);
    const seen: [number, number[], number[]][] = [];
    const session = newSession({ nonce, verify: (keyId, n, signature) => (seen.push([keyId, [...n], [...signature]]), 3) });
    outcome(session, session.onFrame(hello()));
    outcome(session, session.onFrame(login(nonce, 2 ** 50)));
    assert.deepEqual(seen, [[2 ** 50, [...nonce], [...sign(SECRET, nonce, 2 ** 50)]]]);
    assert.equal(session.account, 3);
  });
});

describe('Session: throttling', () => {
  it('over maxInFlight requests: THROTTLED for that request, the connection stays up', () => {
    const session = loggedInSession({ maxInFlight: 3 });
    for (const request of [1, 2, 3]) assert.equal(outcome(session, session.onFrame(placeOrder(request))).submitted.length, 1);
    expectRefused(session, session.onFrame(placeOrder(4)), ErrorCode.THROTTLED, 4, false);
    expectRefused(session, session.onFrame(frame({ type: 'CancelAll', request: 5, product: 0 })), ErrorCode.THROTTLED, 5, false);
    assert.equal(session.requestsInFlight, 3);
    outcome(session, session.onCommandDone(2, [report(2)]));
    assert.equal(outcome(session, session.onFrame(placeOrder(4))).submitted[0].request, 4);
    expectRefused(session, session.onFrame(placeOrder(6)), ErrorCode.THROTTLED, 6, false);
    assert.equal(session.state, SessionState.LoggedIn);
  });

  it('a request id already in flight: REQUEST_IN_FLIGHT, the connection stays up', () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(10)));
    expectRefused(session, session.onFrame(frame({ type: 'CancelOrder', request: 10, order: 1, clientOrderId: 0 })),
      ErrorCode.REQUEST_IN_FLIGHT, 10, false);
    outcome(session, session.onCommandDone(10, [report(10)]));
    assert.equal(outcome(session, session.onFrame(placeOrder(10))).submitted.length, 1, 'once answered, the id may be retried');
  });

  it('a command that failed to run: its Error, the slot freed, the connection up', () => {
    const session = loggedInSession({ maxInFlight: 1 });
    outcome(session, session.onFrame(placeOrder(1)));
    expectRefused(session, session.onCommandFailed(1, ErrorCode.LEADERSHIP_LOST, 'retry with the request id'), ErrorCode.LEADERSHIP_LOST, 1, false);
    assert.equal(outcome(session, session.onFrame(placeOrder(2))).submitted.length, 1);
  });
});

describe('Session: heartbeats', () => {
  const interval = 1_000;

  it('sends a Heartbeat once it has sent nothing for an interval, not before the Challenge', () => {
    const session = newSession({ heartbeatIntervalMs: interval });
    expectNothing(session, session.onTick(interval * 2), 'no Hello yet: nothing to say');
    outcome(session, session.onFrame(hello()));
    expectNothing(session, session.onTick(interval * 3 - 1));
    assert.deepEqual(outcome(session, session.onTick(interval * 3)).sent, [{ type: 'Heartbeat' }]);
    expectNothing(session, session.onTick(interval * 4 - 1));
    outcome(session, session.onFrame(frame({ type: 'Heartbeat' })));
    assert.deepEqual(outcome(session, session.onTick(interval * 4)).sent, [{ type: 'Heartbeat' }]);
  });

  it('anything it sends counts as a heartbeat', () => {
    const session = loggedInSession({ heartbeatIntervalMs: interval });
    outcome(session, session.onTick(900));
    outcome(session, session.onFrame(placeOrder(1)));
    outcome(session, session.onCommandDone(1, [report(1)]));
    expectNothing(session, session.onTick(1_899));
    assert.deepEqual(outcome(session, session.onTick(1_900)).sent, [{ type: 'Heartbeat' }]);
  });

  it(`closes with HEARTBEAT_TIMEOUT after ${MISSED_HEARTBEATS_MAX} intervals without a frame`, () => {
    const session = loggedInSession({ heartbeatIntervalMs: interval });
    let now = 0;
    for (let i = 0; i < 10; i++) {
      now += interval * MISSED_HEARTBEATS_MAX - 1;
      assert.equal(outcome(session, session.onTick(now)).close, undefined);
      outcome(session, session.onFrame(frame({ type: 'Heartbeat' })));
    }
    const limit = now + interval * MISSED_HEARTBEATS_MAX;
    assert.equal(outcome(session, session.onTick(limit - 1)).close, undefined);
    expectRefused(session, session.onTick(limit), ErrorCode.HEARTBEAT_TIMEOUT);
    expectClosedForGood(session);
  });

  it('a client that never says Hello is closed after the same silence', () => {
    const session = newSession({ heartbeatIntervalMs: interval, nowMs: 5_000 });
    expectNothing(session, session.onTick(5_000 + interval * MISSED_HEARTBEATS_MAX - 1));
    expectRefused(session, session.onTick(5_000 + interval * MISSED_HEARTBEATS_MAX), ErrorCode.HEARTBEAT_TIMEOUT);
  });
});

describe('Session: the server ends it', () => {
  it('not the leader: Redirect with where it is, an orderly close', () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(1)));
    const { sent, close } = outcome(session, session.onNotLeader({ leaderId: 2, host: 'node-2.example', port: 7001 }));
    assert.deepEqual(sent, [{ type: 'Redirect', leaderId: 2, host: 'node-2.example', port: 7001 }] satisfies ServerMessage[]);
    assert.equal(close?.code, 0);
    expectNothing(session, session.onCommandDone(1, [report(1)]), 'an outcome after the close is dropped');
    expectClosedForGood(session);
  });

  it('before Hello too: a follower redirects at once', () => {
    const session = newSession();
    const { sent } = outcome(session, session.onNotLeader({ leaderId: 0, host: '', port: 0 }));
    assert.deepEqual(sent, [{ type: 'Redirect', leaderId: 0, host: '', port: 0 }]);
  });

  it('terminate: the Error, then close', () => {
    const session = loggedInSession();
    expectRefused(session, session.terminate(ErrorCode.SHUTTING_DOWN, 'the node is closing'), ErrorCode.SHUTTING_DOWN);
    expectClosedForGood(session);
  });
});

describe("Session: the caller's mistakes are assertions", () => {
  it('an outcome for a request not in flight, reports that do not answer it, time going back', () => {
    const session = loggedInSession();
    assert.throws(() => session.onCommandDone(1, [report(1)]), InvariantError);
    outcome(session, session.onFrame(placeOrder(1)));
    assert.throws(() => loggedInSession().onCommandDone(1, []), InvariantError);
    const mismatched = loggedInSession();
    mismatched.onFrame(placeOrder(1));
    assert.throws(() => mismatched.onCommandDone(1, [report(2)]), InvariantError);
    const unmarked = loggedInSession();
    unmarked.onFrame(placeOrder(1));
    assert.throws(() => unmarked.onCommandDone(1, [report(1, { last: 0 })]), InvariantError);
    outcome(session, session.onTick(100));
    assert.throws(() => session.onTick(99), InvariantError);
  });

  it('a failure code that closes, a terminate that does not, an unsolicited report before Login', () => {
    const session = loggedInSession();
    outcome(session, session.onFrame(placeOrder(1)));
    assert.throws(() => session.onCommandFailed(1, ErrorCode.SHUTTING_DOWN, 'x'), InvariantError);
    assert.throws(() => session.terminate(ErrorCode.THROTTLED, 'x'), InvariantError);
    assert.throws(() => newSession().onUnsolicited(report(0, { last: 0 })), InvariantError);
    assert.throws(() => newSession({ nonce: new Uint8Array(16) }), InvariantError);
    assert.throws(() => newSession({ maxInFlight: 0 }), InvariantError);
  });
});
