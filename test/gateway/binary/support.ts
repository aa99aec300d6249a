/**
 * Shared by the binary protocol's tests (not a test file itself): arbitrary messages built
 * from the message table, a strict reader of what a Session sends, a logged-in Session.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sign, verifySignature } from '../../../src/gateway/binary/auth.ts';
import { decodeServerFrame } from '../../../src/gateway/binary/decode.ts';
import { encodeFrame } from '../../../src/gateway/binary/encode.ts';
import { type Decoded, type ErrorCode, type WireError, errorName } from '../../../src/gateway/binary/errors.ts';
import { FrameReader } from '../../../src/gateway/binary/frame-reader.ts';
import {
  type ClientMessage,
  type FieldKind,
  LARGEST_MESSAGE_BYTES,
  LAYOUTS,
  type Message,
  type MessageName,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  type ServerMessage,
} from '../../../src/gateway/binary/messages.ts';
import { type Action, Session, type SessionOptions } from '../../../src/gateway/binary/session.ts';
import { MAX_SAFE, safeInt } from '../../arbitraries.ts';

export const NAMES = Object.keys(LAYOUTS) as MessageName[];
export const CLIENT_NAMES = NAMES.filter((n) => LAYOUTS[n].spec.from !== 'server');
export const SERVER_NAMES = NAMES.filter((n) => LAYOUTS[n].spec.from !== 'client');

const natural = fc.oneof(
  fc.constantFrom(0, 1, MAX_SAFE, MAX_SAFE - 1, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 48),
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.maxSafeNat(),
);

function fieldArb(kind: Exclude<FieldKind, 'reserved'>, min = 0, max = 0): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'u8':
      return fc.integer({ min, max: max || 255 });
    case 'u16':
      return fc.integer({ min: 0, max: 65_535 });
    case 'i53':
      return safeInt;
    case 'u53':
      return natural;
    case 'p53':
      return natural.map((n) => Math.max(1, n));
    case 'bytes32':
      return fc.uint8Array({ minLength: 32, maxLength: 32 });
    case 'str':
      // Up to 4 bytes a character: every string of max / 4 characters fits its bound.
      return fc.string({ unit: 'binary', maxLength: Math.floor(max / 4) });
  }
}

/** Arbitrary messages of one type: every field a value its kind allows. */
export function messageArb<N extends MessageName>(name: N): fc.Arbitrary<Message> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [field, kind, min, max] of LAYOUTS[name].spec.fields) {
    if (kind !== 'reserved') shape[field] = fieldArb(kind, min, max);
  }
  return fc.record(shape).map((fields) => ({ type: name, ...fields }) as unknown as Message);
}

export const clientMessageArb = fc.oneof(...CLIENT_NAMES.map((n) => messageArb(n))) as fc.Arbitrary<ClientMessage>;

export function expectError<T>(r: Decoded<T>, code: ErrorCode, field?: string, context = ''): WireError {
  if (r.ok) assert.fail(`${context}: expected ${errorName(code)}, decoded ${String((r.value as { type: string }).type)}`);
  assert.equal(r.error.code, code, `${context}: got ${errorName(r.error.code)}: ${r.error.message}`);
  assert.equal(r.error.field, field, `${context}: ${r.error.message}`);
  assert.ok(r.error.message.length > 0);
  return r.error;
}

export function expectOk<T>(r: Decoded<T>, context = ''): T {
  if (!r.ok) assert.fail(`${context}: ${errorName(r.error.code)}: ${r.error.message}`);
  return r.value;
}

/** The messages in a run of server frames, each decoded strictly: the server only sends valid frames. */
export function serverMessages(bytes: Uint8Array): ServerMessage[] {
  const reader = new FrameReader(LARGEST_MESSAGE_BYTES);
  reader.push(bytes);
  const out: ServerMessage[] = [];
  for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
    assert.ok(frame instanceof Uint8Array, 'the server sends whole, well-framed frames');
    out.push(expectOk(decodeServerFrame(frame), 'a server frame'));
  }
  assert.equal(reader.bufferedBytes, 0, 'no partial frame is sent');
  return out;
}

/** What one call of the session did: the server messages it produced (taken), the commands it submitted and any close. */
export function outcome(session: Session, actions: readonly Action[]): {
  sent: ServerMessage[];
  submitted: Extract<Action, { type: 'submit' }>['command'][];
  close: Extract<Action, { type: 'close' }> | undefined;
} {
  const submitted: Extract<Action, { type: 'submit' }>['command'][] = [];
  let close: Extract<Action, { type: 'close' }> | undefined;
  for (const a of actions) {
    assert.equal(close, undefined, 'close is the last action');
    if (a.type === 'submit') submitted.push(a.command);
    else close = a;
  }
  const frames = session.takeFrames();
  assert.equal(session.framesPending, false, 'taking the frames empties the buffer');
  return { sent: frames === undefined ? [] : serverMessages(frames), submitted, close };
}

export const SECRET = 'the secret of key 7';
export const KEY_ID = 7;
export const ACCOUNT = 42;

export function nonceOf(seed: number): Uint8Array {
  return new Uint8Array(NONCE_BYTES).map((_, i) => (seed * 31 + i * 7) & 255);
}

/** Accepts key 7 signed with SECRET, for account 42: a caller's `verify`. */
export function verifyKey7(keyId: number, nonce: Uint8Array, signature: Uint8Array): number | undefined {
  return keyId === KEY_ID && verifySignature(SECRET, nonce, keyId, signature) ? ACCOUNT : undefined;
}

export function newSession(options: Partial<SessionOptions> = {}): Session {
  return new Session({ nonce: nonceOf(1), nowMs: 0, verify: verifyKey7, ...options });
}

export const frame = encodeFrame;

export function hello(version = PROTOCOL_VERSION): Uint8Array {
  return encodeFrame({ type: 'Hello', protocolVersion: version });
}

export function login(nonce: Uint8Array, keyId = KEY_ID, secret = SECRET): Uint8Array {
  return encodeFrame({ type: 'Login', keyId, signature: sign(secret, nonce, keyId) });
}

/** A session past Hello and Login, with what it sent on the way checked. */
export function loggedInSession(options: Partial<SessionOptions> = {}): Session {
  const session = newSession(options);
  const challenge = outcome(session, session.onFrame(hello())).sent;
  assert.equal(challenge.length, 1);
  assert.equal(challenge[0].type, 'Challenge');
  const nonce = challenge[0].nonce;
  const accepted = outcome(session, session.onFrame(login(nonce))).sent;
  assert.deepEqual(accepted, [{ type: 'LoginAccepted', account: ACCOUNT }]);
  return session;
}

export function placeOrder(request: number, fields: Partial<Extract<ClientMessage, { type: 'PlaceOrder' }>> = {}): Uint8Array {
  return encodeFrame({
    type: 'PlaceOrder', request, product: 1, clientOrderId: 0, side: 0, orderType: 1, tif: 1, postOnly: 0, stp: 1,
    price: 100, qty: 10, quoteBudget: 0, stopPrice: 0, ...fields,
  });
}
