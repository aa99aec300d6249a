/**
 * Fuzzing the server's whole read path — FrameReader, decoder, Session — with valid frames and
 * mutations of them (bit flips, truncation, extension, type swaps, length-word lies, garbage)
 * in random chunkings, seeded so a failure replays. Nothing may throw or loop unbounded; every
 * frame that does not decode gets an Error with its code and a close; every mutation whose
 * outcome is certain gets exactly its code; a mutant that decodes is canonical (it encodes back
 * to its own bytes); and whatever the server sends decodes strictly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign } from '../../../src/gateway/binary/auth.ts';
import { decodeClientFrame } from '../../../src/gateway/binary/decode.ts';
import { encodeFrame } from '../../../src/gateway/binary/encode.ts';
import { ErrorCode, type WireError, errorName } from '../../../src/gateway/binary/errors.ts';
import { FrameReader } from '../../../src/gateway/binary/frame-reader.ts';
import {
  FROM_CLIENT,
  LAYOUTS,
  type ExecutionReport,
  type Message,
  type MessageName,
  PROTOCOL_VERSION,
} from '../../../src/gateway/binary/messages.ts';
import { type Action, Session, SessionState } from '../../../src/gateway/binary/session.ts';
import { SimRandom } from '../../sim/random.ts';
import { ACCOUNT, KEY_ID, SECRET, expectError, outcome, verifyKey7 } from './support.ts';

const FRAMES_MIN = 100_000;
const MAX_IN_FLIGHT = 4;

const EDGES = [0, 1, -1, 2, 100, 2 ** 31 - 1, 2 ** 32, 2 ** 48, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];

/** Commands most of the time; now and then a session message, right or wrong for the state. */
const WEIGHTED_NAMES: MessageName[] = [
  ...Array<MessageName>(6).fill('PlaceOrder'), 'CancelOrder', 'CancelAll', 'ModifyOrder', 'Heartbeat', 'Heartbeat',
  'Hello', 'Login', 'Logout',
];

function randomMessage(rng: SimRandom, name: MessageName): Message {
  const m: Record<string, unknown> = { type: name };
  for (const [field, kind, min, max] of LAYOUTS[name].spec.fields) {
    switch (kind) {
      case 'u8':
        m[field] = rng.chance(0.8) ? rng.int(min ?? 0, Math.min(max ?? 255, 4)) : rng.int(min ?? 0, max ?? 255);
        break;
      case 'u16':
        m[field] = rng.chance(0.9) ? PROTOCOL_VERSION : rng.int(0, 65_535);
        break;
      case 'i53':
        m[field] = rng.chance(0.5) ? rng.pick(EDGES) : rng.int(-1e6, 1e6);
        break;
      case 'u53':
      case 'p53':
        // Small request ids collide on purpose: REQUEST_IN_FLIGHT.
        m[field] = rng.int(1, rng.chance(0.5) ? 8 : 1e9);
        break;
      case 'bytes32':
        m[field] = Uint8Array.from({ length: 32 }, () => rng.int(0, 255));
        break;
      case 'reserved':
      case 'str':
        break;
    }
  }
  return m as unknown as Message;
}

type Mutation = 'bitflip' | 'truncate' | 'extend' | 'typeswap' | 'lengthlie' | 'garbage';
const MUTATIONS: Mutation[] = ['bitflip', 'truncate', 'extend', 'typeswap', 'lengthlie', 'garbage'];
const KNOWN_TYPES = [...FROM_CLIENT.keys(), ...Object.values(LAYOUTS).map((l) => l.spec.type)];

function setLength(bytes: Uint8Array): void {
  if (bytes.length >= 4) new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, bytes.length - 4, true);
}

function mutate(rng: SimRandom, frame: Uint8Array, mutation: Mutation): Uint8Array {
  switch (mutation) {
    case 'bitflip': {
      const out = frame.slice();
      for (let n = rng.int(1, 4); n > 0; n--) out[rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
      return out;
    }
    case 'truncate': {
      const out = frame.slice(0, rng.int(0, frame.length - 1));
      setLength(out);
      return out;
    }
    case 'extend': {
      const out = new Uint8Array(frame.length + rng.int(1, 40));
      out.set(frame);
      for (let i = frame.length; i < out.length; i++) out[i] = rng.int(0, 255);
      setLength(out);
      return out;
    }
    case 'typeswap': {
      const out = frame.slice();
      new DataView(out.buffer).setUint16(4, rng.chance(0.7) ? rng.pick(KNOWN_TYPES) : rng.int(0, 65_535), true);
      return out;
    }
    case 'lengthlie': {
      const out = frame.slice();
      const actual = frame.length - 4;
      let lie = actual;
      while (lie === actual) lie = rng.chance(0.6) ? rng.int(0, actual + 16) : rng.int(0, 2 ** 32 - 1);
      new DataView(out.buffer).setUint32(0, lie, true);
      return out;
    }
    case 'garbage':
      return Uint8Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255));
  }
}

/** `frame` with every float64 field's -0 made +0: the one way two encodings decode alike. */
function canonical(frame: Uint8Array, name: MessageName): Uint8Array {
  const out = frame.slice();
  const v = new DataView(out.buffer);
  const layout = LAYOUTS[name];
  layout.spec.fields.forEach(([, kind], i) => {
    if ((kind === 'i53' || kind === 'u53' || kind === 'p53') && Object.is(v.getFloat64(layout.offsets[i], true), -0)) {
      v.setFloat64(layout.offsets[i], 0, true);
    }
  });
  return out;
}

/** Checks one mutant alone against what its mutation makes certain; counts the outcome. */
function checkMutant(mutant: Uint8Array, original: Uint8Array, mutation: Mutation, codes: Map<string, number>): void {
  const r = decodeClientFrame(mutant);
  const key = r.ok ? 'decoded' : (errorName(r.error.code) ?? 'unnamed');
  codes.set(key, (codes.get(key) ?? 0) + 1);
  const context = `${mutation} of ${Buffer.from(original).toString('hex')}: ${Buffer.from(mutant).toString('hex')}`;
  if (mutation === 'truncate' || mutation === 'extend' || mutation === 'lengthlie') {
    expectError(r, ErrorCode.BAD_LENGTH, undefined, context);
  } else if (mutation === 'typeswap') {
    const type = new DataView(mutant.buffer).getUint16(4, true);
    const layout = FROM_CLIENT.get(type);
    if (layout === undefined) expectError(r, ErrorCode.UNKNOWN_TYPE, undefined, context);
    else if (layout.fixedBytes !== mutant.length) expectError(r, ErrorCode.BAD_LENGTH, undefined, context);
  }
  if (r.ok) assert.deepEqual(encodeFrame(r.value), canonical(mutant, r.value.type), `${context}: decoded, not canonical`);
}

interface Totals {
  connections: number;
  framesToSession: number;
  mutants: number;
  refusedStreams: number;
  codes: Map<string, number>;
  sessionErrors: Map<string, number>;
}

/** One connection: a handshake, then valid and mutated frames, in random chunks, with ticks and outcomes. */
function connection(rng: SimRandom, id: number, totals: Totals): void {
  const nonce = Uint8Array.from({ length: 32 }, (_, i) => (id * 131 + i) & 255);
  let nowMs = 0;
  const session = new Session({ nonce, nowMs, verify: verifyKey7, maxInFlight: MAX_IN_FLIGHT, heartbeatIntervalMs: 1_000 });
  const reader = new FrameReader();
  const frames: Uint8Array[] = [
    encodeFrame({ type: 'Hello', protocolVersion: PROTOCOL_VERSION }),
    encodeFrame({ type: 'Login', keyId: KEY_ID, signature: sign(SECRET, nonce, KEY_ID) }),
  ];
  for (let n = rng.int(1, 40); n > 0; n--) frames.push(encodeFrame(randomMessage(rng, rng.pick(WEIGHTED_NAMES))));
  const mutateHandshake = rng.chance(0.2);
  for (let i = mutateHandshake ? 0 : 2; i < frames.length; i++) {
    if (!rng.chance(0.12)) continue;
    const mutation = rng.pick(MUTATIONS);
    const mutant = mutate(rng, frames[i], mutation);
    checkMutant(mutant, frames[i], mutation, totals.codes);
    totals.mutants++;
    frames[i] = mutant;
  }
  const stream = Buffer.concat(frames);
  const pending: number[] = [];
  const note = (actions: readonly Action[], expected?: WireError): void => {
    const { sent, submitted, close } = outcome(session, actions);
    for (const c of submitted) {
      assert.equal(c.account, ACCOUNT);
      pending.push(c.request);
    }
    for (const m of sent) {
      if (m.type !== 'Error') continue;
      const name = errorName(m.code) ?? 'unnamed';
      totals.sessionErrors.set(name, (totals.sessionErrors.get(name) ?? 0) + 1);
    }
    if (expected !== undefined) {
      const error = sent.find((m) => m.type === 'Error');
      assert.ok(error?.type === 'Error' && error.code === expected.code, `an Error ${errorName(expected.code)} for a bad frame`);
      assert.equal(close?.code, expected.code, 'a bad frame closes the connection');
    }
    assert.ok(session.requestsInFlight <= MAX_IN_FLIGHT);
  };

  const open = (): boolean => session.state !== SessionState.Closed;
  let at = 0;
  while (at < stream.length && open()) {
    const chunk = stream.subarray(at, at + rng.int(1, rng.chance(0.5) ? 16 : 512));
    at += chunk.length;
    reader.push(chunk);
    for (let calls = 0; open(); calls++) {
      assert.ok(calls <= chunk.length + 1, 'each call consumes a byte or returns');
      const frame = reader.next();
      if (frame === undefined) break;
      if (!(frame instanceof Uint8Array)) {
        totals.refusedStreams++;
        note(session.onFrameError(frame), frame);
        break;
      }
      totals.framesToSession++;
      const decoded = decodeClientFrame(frame);
      note(session.onFrame(frame), decoded.ok ? undefined : decoded.error);
      if (pending.length > 0 && rng.chance(0.4)) {
        const request = pending.splice(rng.int(0, pending.length - 1), 1)[0];
        if (rng.chance(0.8)) note(session.onCommandDone(request, [report(request)]));
        else note(session.onCommandFailed(request, ErrorCode.OVERLOADED, 'the queue is full'));
      }
    }
    nowMs += rng.int(0, 400);
    note(session.onTick(nowMs));
    assert.ok(reader.bufferedBytes <= reader.maxFrameBytes);
  }
  totals.connections++;
}

function report(request: number): ExecutionReport {
  return {
    type: 'ExecutionReport', kind: 5, side: 0, request, order: 0, clientOrderId: 0, product: 1, price: 0, qty: 0,
    filledQty: 0, leavesQty: 0, trade: 0, fillPrice: 0, fillQty: 0, fee: 0, entryIndex: 1, timestampUs: 1, reason: 3,
    liquidity: 0, last: 1,
  };
}

describe('fuzz: frame reader + decoder + Session', () => {
  it(`${FRAMES_MIN.toLocaleString('en')}+ random and mutated frames: no throw, every bad frame an error code`, (t) => {
    const rng = new SimRandom(0x5eed);
    const totals: Totals = {
      connections: 0, framesToSession: 0, mutants: 0, refusedStreams: 0, codes: new Map(), sessionErrors: new Map(),
    };
    const started = performance.now();
    for (let id = 1; totals.framesToSession < FRAMES_MIN; id++) connection(rng, id, totals);
    const ms = Math.round(performance.now() - started);
    t.diagnostic(`${totals.framesToSession} frames to ${totals.connections} sessions, ${totals.mutants} mutants, ` +
      `${totals.refusedStreams} streams refused by the reader, in ${ms} ms`);
    t.diagnostic(`mutants alone: ${JSON.stringify(Object.fromEntries(totals.codes))}`);
    t.diagnostic(`errors sent: ${JSON.stringify(Object.fromEntries(totals.sessionErrors))}`);
    assert.ok(totals.framesToSession >= FRAMES_MIN);
    for (const code of ['BAD_LENGTH', 'UNKNOWN_TYPE', 'BAD_FIELD']) assert.ok((totals.codes.get(code) ?? 0) > 100, code);
    assert.ok((totals.codes.get('decoded') ?? 0) > 100, 'some mutants are valid frames');
    for (const code of [
      'BAD_LENGTH', 'UNKNOWN_TYPE', 'BAD_FIELD', 'FRAME_TOO_LARGE', 'UNEXPECTED_MESSAGE', 'NONCE_USED', 'AUTH_FAILED',
      'UNSUPPORTED_VERSION', 'THROTTLED', 'REQUEST_IN_FLIGHT', 'OVERLOADED',
    ]) {
      assert.ok((totals.sessionErrors.get(code) ?? 0) > 0, `the fuzz reached ${code}`);
    }
  });
});
