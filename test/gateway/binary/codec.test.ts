/**
 * Messages of the binary protocol: round trips of every message, fields at their offsets,
 * batching in the FrameWriter, strict refusal of every kind of bad frame with its code and
 * field, and the encoder's refusal of values a field cannot carry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../../src/application/assert.ts';
import { COMMANDS } from '../../../src/application/commands.ts';
import { decodeClientFrame, decodeServerFrame } from '../../../src/gateway/binary/decode.ts';
import { FrameWriter, encodeFrame } from '../../../src/gateway/binary/encode.ts';
import { type Decoded, ErrorCode, closesConnection, errorName } from '../../../src/gateway/binary/errors.ts';
import {
  DEFAULT_MAX_FRAME_BYTES,
  ERROR_MESSAGE_MAX_BYTES,
  FROM_CLIENT,
  FROM_SERVER,
  LARGEST_MESSAGE_BYTES,
  LAYOUTS,
  type Message,
  type MessageName,
} from '../../../src/gateway/binary/messages.ts';
import { MAX_SAFE, runs } from '../../arbitraries.ts';
import { UNSAFE_VALUES } from '../../codec/record-suite.ts';
import { CLIENT_NAMES, NAMES, expectError, expectOk, messageArb } from './support.ts';

type Decode = (frame: Uint8Array) => Decoded<Message>;

/** The decoders of the side(s) that receive a message. */
function receiversOf(name: MessageName): Decode[] {
  const from = LAYOUTS[name].spec.from;
  if (from === 'both') return [decodeClientFrame, decodeServerFrame];
  return from === 'client' ? [decodeClientFrame] : [decodeServerFrame];
}

function view(frame: Uint8Array): DataView {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
}

/** A copy of `frame` with the f64 at `at` set to `value`. */
function withF64(frame: Uint8Array, at: number, value: number): Uint8Array {
  const copy = frame.slice();
  view(copy).setFloat64(at, value, true);
  return copy;
}

/** `frame` cut or padded with zeros to `bytes`, its length word made to agree. */
function resized(frame: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set(frame.subarray(0, Math.min(bytes, frame.length)));
  if (bytes >= 4) view(out).setUint32(0, bytes - 4, true);
  return out;
}

const sample = <T>(arb: fc.Arbitrary<T>): T => fc.sample(arb, { numRuns: 1, seed: 42 })[0];

describe('message table', () => {
  it('every message fits the default frame limit; client messages are fixed-size', () => {
    assert.ok(LARGEST_MESSAGE_BYTES <= DEFAULT_MAX_FRAME_BYTES);
    for (const name of CLIENT_NAMES) assert.equal(LAYOUTS[name].maxStringBytes, -1, name);
    assert.equal(FROM_CLIENT.size + FROM_SERVER.size, NAMES.length + 1, 'only Heartbeat goes both ways');
  });

  it("command messages carry exactly the engine command's fields, but the account (the login's)", () => {
    for (const name of ['PlaceOrder', 'CancelOrder', 'CancelAll', 'ModifyOrder'] as const) {
      const wire = LAYOUTS[name].spec.fields.filter((f) => f[1] !== 'reserved').map((f) => f[0]).sort();
      const engine = COMMANDS[name].fields.map((f) => f[0] as string).filter((f) => f !== 'account').sort();
      assert.deepEqual(wire, engine, name);
    }
  });

  it('error codes are distinct and only answers to one request leave the connection up', () => {
    const codes = Object.values(ErrorCode);
    assert.equal(new Set(codes).size, codes.length);
    const staying = codes.filter((c) => !closesConnection(c)).map((c) => errorName(c));
    assert.deepEqual(staying, ['THROTTLED', 'REQUEST_IN_FLIGHT', 'OVERLOADED', 'LEADERSHIP_LOST']);
  });
});

describe('round trips', () => {
  for (const name of NAMES) {
    it(`${name}: decode(encode(m)) equals m, fields at their offsets`, () => {
      const layout = LAYOUTS[name];
      fc.assert(
        fc.property(messageArb(name), (m) => {
          const frame = encodeFrame(m);
          const v = view(frame);
          assert.equal(v.getUint32(0, true), frame.length - 4);
          assert.equal(v.getUint16(4, true), layout.spec.type);
          if (layout.maxStringBytes < 0) assert.equal(frame.length, layout.fixedBytes);
          const values = m as unknown as Record<string, unknown>;
          layout.spec.fields.forEach(([field, kind], i) => {
            const at = layout.offsets[i];
            if (kind === 'u8') assert.equal(v.getUint8(at), values[field]);
            if (kind === 'u16') assert.equal(v.getUint16(at, true), values[field]);
            if (kind === 'reserved') assert.equal(v.getUint16(at, true), 0);
            if (kind === 'i53' || kind === 'u53' || kind === 'p53') assert.equal(v.getFloat64(at, true), values[field]);
            if (kind === 'bytes32') assert.deepEqual(frame.subarray(at, at + 32), values[field]);
            if (kind === 'str') assert.equal(v.getUint16(at, true), Buffer.byteLength(values[field] as string));
          });
          for (const decode of receiversOf(name)) assert.deepEqual(expectOk(decode(frame), name), m);
        }),
        runs(300),
      );
    });
  }

  it('decodes in place at any byte offset of a larger buffer', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CLIENT_NAMES).chain((n) => messageArb(n)), fc.integer({ min: 0, max: 15 }), (m, offset) => {
        const frame = encodeFrame(m);
        const buffer = new Uint8Array(frame.length + 32);
        buffer.set(frame, offset);
        assert.deepEqual(expectOk(decodeClientFrame(buffer.subarray(offset, offset + frame.length))), m);
      }),
      runs(300),
    );
  });

  it('-0 is read as 0', () => {
    const frame = encodeFrame({ type: 'CancelAll', request: 1, product: 0 });
    const decoded = expectOk(decodeClientFrame(withF64(frame, 16, -0)));
    assert.ok(decoded.type === 'CancelAll' && Object.is(decoded.product, 0));
  });

  it('a FrameWriter batches frames into one buffer the caller owns, growing as needed', () => {
    const writer = new FrameWriter();
    const messages = fc.sample(fc.constantFrom(...NAMES).chain((n) => messageArb(n)), { numRuns: 500, seed: 7 });
    for (const m of messages) writer.write(m);
    const batch = writer.take();
    assert.equal(writer.writtenBytes, 0);
    const expected = Buffer.concat(messages.map((m) => encodeFrame(m)));
    assert.deepEqual(Buffer.from(batch), expected);
    writer.write(messages[0]);
    assert.deepEqual(Buffer.from(batch), expected, 'a later write leaves a taken batch alone');
    assert.deepEqual(writer.take(), encodeFrame(messages[0]));
  });
});

describe('strict decoding', () => {
  it('a frame shorter than its 6-byte header: BAD_LENGTH', () => {
    for (let bytes = 0; bytes < 6; bytes++) {
      expectError(decodeClientFrame(resized(new Uint8Array(6), bytes)), ErrorCode.BAD_LENGTH, undefined, `${bytes} bytes`);
    }
  });

  it('a length word that is not the bytes after it: BAD_LENGTH', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CLIENT_NAMES).chain((n) => messageArb(n)), fc.nat({ max: 2 ** 32 - 1 }), (m, length) => {
        const frame = encodeFrame(m);
        fc.pre(length !== frame.length - 4);
        view(frame).setUint32(0, length, true);
        expectError(decodeClientFrame(frame), ErrorCode.BAD_LENGTH);
      }),
      runs(500),
    );
  });

  it('every type a side does not receive: UNKNOWN_TYPE', () => {
    const frame = new Uint8Array(6);
    view(frame).setUint32(0, 2, true);
    const sides: [Decode, ReadonlyMap<number, unknown>][] = [[decodeClientFrame, FROM_CLIENT], [decodeServerFrame, FROM_SERVER]];
    for (const [decode, known] of sides) {
      let unknown = 0;
      for (let type = 0; type < 65_536; type++) {
        if (known.has(type)) continue;
        view(frame).setUint16(4, type, true);
        expectError(decode(frame), ErrorCode.UNKNOWN_TYPE, undefined, `type ${type}`);
        unknown++;
      }
      assert.equal(unknown, 65_536 - known.size);
    }
    view(frame).setUint16(4, LAYOUTS.Challenge.spec.type, true);
    expectError(decodeClientFrame(frame), ErrorCode.UNKNOWN_TYPE, undefined, 'a client sending Challenge');
  });

  it('a fixed-size message one or more bytes short or long: BAD_LENGTH', () => {
    for (const name of NAMES) {
      const layout = LAYOUTS[name];
      if (layout.maxStringBytes >= 0) continue;
      const frame = encodeFrame(sample(messageArb(name)));
      const decode = receiversOf(name)[0];
      for (let bytes = 6; bytes <= layout.fixedBytes + 16; bytes++) {
        if (bytes === layout.fixedBytes) continue;
        expectError(decode(resized(frame, bytes)), ErrorCode.BAD_LENGTH, undefined, `${name} of ${bytes} bytes`);
      }
    }
  });

  it('a string whose byte count disagrees with the frame: BAD_LENGTH; too long or not UTF-8: BAD_FIELD', () => {
    const frame = encodeFrame({ type: 'Error', code: 1, request: 0, message: 'abc' });
    for (const bytes of [6, 17, 18, 20, 22, 40]) {
      expectError(decodeServerFrame(resized(frame, bytes)), ErrorCode.BAD_LENGTH, undefined, `${bytes} bytes`);
    }
    const long = resized(frame, 18 + ERROR_MESSAGE_MAX_BYTES + 1).fill(0x61, 18);
    view(long).setUint16(16, ERROR_MESSAGE_MAX_BYTES + 1, true);
    expectError(decodeServerFrame(long), ErrorCode.BAD_FIELD, 'message');
    for (const bad of [[0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]]) {
      const wrong = resized(frame, 18 + bad.length);
      wrong.set(bad, 18);
      view(wrong).setUint16(16, bad.length, true);
      expectError(decodeServerFrame(wrong), ErrorCode.BAD_FIELD, 'message', `bytes ${bad.join(',')}`);
    }
    const host = encodeFrame({ type: 'Redirect', leaderId: 2, host: 'ü', port: 1 });
    host[18] = 0xff;
    expectError(decodeServerFrame(host), ErrorCode.BAD_FIELD, 'host');
  });

  it('an integer field that is not a safe integer, or below its kind: BAD_FIELD naming it', () => {
    let checked = 0;
    for (const name of NAMES) {
      const layout = LAYOUTS[name];
      const frame = encodeFrame(sample(messageArb(name)));
      const decode = receiversOf(name)[0];
      layout.spec.fields.forEach(([field, kind], i) => {
        if (kind !== 'i53' && kind !== 'u53' && kind !== 'p53') return;
        const bad = [...UNSAFE_VALUES, ...(kind === 'i53' ? [] : [-1, -MAX_SAFE]), ...(kind === 'p53' ? [0] : [])];
        for (const value of bad) {
          expectError(decode(withF64(frame, layout.offsets[i], value)), ErrorCode.BAD_FIELD, field, `${name}.${field} = ${value}`);
          checked++;
        }
      });
    }
    assert.ok(checked > 400);
  });

  it('a reserved field that is not zero, or a bounded small field out of bounds: BAD_FIELD naming it', () => {
    for (const name of NAMES) {
      const layout = LAYOUTS[name];
      const frame = encodeFrame(sample(messageArb(name)));
      const decode = receiversOf(name)[0];
      layout.spec.fields.forEach(([field, kind, min, max], i) => {
        const at = layout.offsets[i];
        const bad = frame.slice();
        if (kind === 'reserved') {
          view(bad).setUint16(at, 1 << (i % 16), true);
          expectError(decode(bad), ErrorCode.BAD_FIELD, 'reserved', name);
        } else if (kind === 'u8' && max !== undefined) {
          for (const value of [...(min === 0 ? [] : [0, (min ?? 1) - 1]), max + 1, 255]) {
            bad[at] = value;
            expectError(decode(bad), ErrorCode.BAD_FIELD, field, `${name}.${field} = ${value}`);
          }
        }
      });
    }
  });

  it('arbitrary bytes never throw: a message or a known error code', () => {
    const known = new Set<number>(Object.values(ErrorCode));
    const typed = fc.tuple(fc.constantFrom(...FROM_CLIENT.keys(), 0, 999), fc.uint8Array({ maxLength: 140 })).map(([type, body]) => {
      const frame = new Uint8Array(6 + body.length);
      view(frame).setUint32(0, 2 + body.length, true);
      view(frame).setUint16(4, type, true);
      frame.set(body, 6);
      return frame;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 140 }), typed), (bytes) => {
        for (const decode of [decodeClientFrame, decodeServerFrame]) {
          const r = decode(bytes);
          if (!r.ok) assert.ok(known.has(r.error.code) && r.error.message.length > 0);
        }
      }),
      runs(5_000),
    );
  });
});

describe('encoding', () => {
  const base: Message = {
    type: 'PlaceOrder', request: 1, product: 1, clientOrderId: 0, side: 0, orderType: 1, tif: 1, postOnly: 0, stp: 1,
    price: 100, qty: 10, quoteBudget: 0, stopPrice: 0,
  };

  it('refuses a value its field cannot carry (a bug on the sending side)', () => {
    const bad: [string, unknown][] = [
      ['price', Number.NaN], ['price', 1.5], ['price', 2 ** 53], ['request', 0], ['request', -1], ['side', 256],
      ['side', -1], ['tif', 0.5], ['qty', '10'],
    ];
    for (const [field, value] of bad) {
      assert.throws(() => encodeFrame({ ...base, [field]: value }), InvariantError, `${field} = ${String(value)}`);
    }
    assert.throws(() => encodeFrame({ type: 'Login', keyId: 1, signature: new Uint8Array(31) }), InvariantError);
    assert.throws(() => encodeFrame({ ...sample(messageArb('ExecutionReport')), kind: 8 } as Message), InvariantError);
  });

  it('cuts a string to its bound at a character boundary', () => {
    const cut = (message: string): string => {
      const m = expectOk(decodeServerFrame(encodeFrame({ type: 'Error', code: 1, request: 0, message })));
      return m.type === 'Error' ? m.message : assert.fail('an Error');
    };
    assert.equal(cut('é'.repeat(200)), 'é'.repeat(128));
    assert.equal(cut('😀'.repeat(100)), '😀'.repeat(64));
    assert.equal(cut(`a${'😀'.repeat(70)}`), `a${'😀'.repeat(63)}`);
    assert.equal(cut('short'), 'short');
  });
});
