/**
 * The codec's exact words: the sentence of each kind of refused frame and of each encoder
 * assertion, and the decoded message's property order (type, then the table's fields). The
 * codec is generated from the message table; these hold what it generates to what clients and
 * logs have always been shown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvariantError } from '../../../src/application/assert.ts';
import { decodeClientFrame, decodeServerFrame } from '../../../src/gateway/binary/decode.ts';
import { encodeFrame } from '../../../src/gateway/binary/encode.ts';
import { type Decoded, ErrorCode } from '../../../src/gateway/binary/errors.ts';
import { LAYOUTS, type Message } from '../../../src/gateway/binary/messages.ts';
import { expectError, expectOk } from './support.ts';

const place: Message = {
  type: 'PlaceOrder', side: 0, orderType: 1, request: 1, product: 1, clientOrderId: 0, price: 100, qty: 10,
  quoteBudget: 0, stopPrice: 0, tif: 1, postOnly: 0, stp: 1,
};
const report: Message = {
  type: 'ExecutionReport', kind: 1, side: 0, request: 1, order: 2, clientOrderId: 0, product: 1, price: 100, qty: 10,
  filledQty: 0, leavesQty: 10, trade: 0, fillPrice: 0, fillQty: 0, fee: 0, entryIndex: 5, timestampUs: 6, reason: 0,
  liquidity: 0, last: 1,
};

/** A copy of `frame` changed by `edit` through a DataView over it. */
function edited(frame: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const copy = frame.slice();
  edit(new DataView(copy.buffer));
  return copy;
}

/** `frame` cut or padded with zeros to `bytes`, its length word made to agree. */
function resized(frame: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set(frame.subarray(0, Math.min(bytes, frame.length)));
  new DataView(out.buffer).setUint32(0, bytes - 4, true);
  return out;
}

describe('the words of refused frames', () => {
  const placed = encodeFrame(place);
  const error = encodeFrame({ type: 'Error', code: 1, request: 0, message: 'abc' });
  const cases: [string, () => Decoded<Message>, ErrorCode, string | undefined][] = [
    ['a frame of 3 bytes is shorter than its header', () => decodeClientFrame(placed.subarray(0, 3)), ErrorCode.BAD_LENGTH, undefined],
    ['the length word says 63 bytes follow it; 62 do', () => decodeClientFrame(placed.subarray(0, 66)), ErrorCode.BAD_LENGTH, undefined],
    ['message type 999 is not one this side receives', () => decodeClientFrame(edited(placed, (v) => v.setUint16(4, 999, true))), ErrorCode.UNKNOWN_TYPE, undefined],
    ['PlaceOrder is 68 bytes; its layout makes it 67', () => decodeClientFrame(resized(placed, 68)), ErrorCode.BAD_LENGTH, undefined],
    ['PlaceOrder.request is not a safe integer ≥ 1 (0)', () => decodeClientFrame(edited(placed, (v) => v.setFloat64(8, -0, true))), ErrorCode.BAD_FIELD, 'request'],
    ['PlaceOrder.price is not a safe integer (1.5)', () => decodeClientFrame(edited(placed, (v) => v.setFloat64(32, 1.5, true))), ErrorCode.BAD_FIELD, 'price'],
    ['PlaceOrder.qty is not a safe integer (NaN)', () => decodeClientFrame(edited(placed, (v) => v.setFloat64(40, Number.NaN, true))), ErrorCode.BAD_FIELD, 'qty'],
    ['CancelAll.reserved is reserved and must be zero (4)', () => decodeClientFrame(edited(encodeFrame({ type: 'CancelAll', request: 1, product: 1 }), (v) => v.setUint16(6, 4, true))), ErrorCode.BAD_FIELD, 'reserved'],
    ['ExecutionReport.kind is not an integer in 1 … 7 (8)', () => decodeServerFrame(edited(encodeFrame(report), (v) => v.setUint8(6, 8))), ErrorCode.BAD_FIELD, 'kind'],
    ['ExecutionReport.order is not a safe integer ≥ 0 (-1)', () => decodeServerFrame(edited(encodeFrame(report), (v) => v.setFloat64(16, -1, true))), ErrorCode.BAD_FIELD, 'order'],
    ['Error is 20 bytes; its layout makes it 21', () => decodeServerFrame(resized(error, 20)), ErrorCode.BAD_LENGTH, undefined],
    ['Error.message is 257 bytes; at most 256', () => decodeServerFrame(edited(resized(error, 18 + 257), (v) => v.setUint16(16, 257, true))), ErrorCode.BAD_FIELD, 'message'],
    ['Error.message is not UTF-8', () => decodeServerFrame(edited(error, (v) => v.setUint8(18, 0xff))), ErrorCode.BAD_FIELD, 'message'],
  ];
  for (const [sentence, decode, code, field] of cases) {
    it(sentence, () => assert.equal(expectError(decode(), code, field).message, sentence));
  }

  it('a decoded message has its type, then the fields of its table in order (reserved ones left out)', () => {
    const pairs: [Message, (frame: Uint8Array) => Decoded<Message>][] = [[place, decodeClientFrame], [report, decodeServerFrame]];
    for (const [m, decode] of pairs) {
      const fields = LAYOUTS[m.type].spec.fields.map((f) => f[0]).filter((f) => f !== 'reserved');
      assert.deepEqual(Object.keys(expectOk(decode(encodeFrame(m)))), ['type', ...fields]);
    }
    assert.deepEqual(Object.keys(expectOk(decodeClientFrame(encodeFrame({ type: 'CancelAll', request: 1, product: 1 })))), ['type', 'request', 'product']);
  });
});

describe('the words of encoder assertions', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['PlaceOrder.side is not an integer in 0 … 255 (256)', { ...place, side: 256 }],
    ['PlaceOrder.request is not a safe integer ≥ 1 (0)', { ...place, request: 0 }],
    ['PlaceOrder.qty is not a safe integer (10)', { ...place, qty: '10' }],
    ['PlaceOrder.price is not a safe integer (undefined)', { ...place, price: undefined }],
    ['ExecutionReport.kind is not an integer in 1 … 7 (8)', { ...report, kind: 8 }],
    ['Login.signature must be 32 bytes', { type: 'Login', keyId: 1, signature: new Uint8Array(31) }],
    ['Error.message must be a string', { type: 'Error', code: 1, request: 0, message: 1 }],
  ];
  for (const [sentence, message] of cases) {
    it(sentence, () => assert.throws(() => encodeFrame(message as unknown as Message), new InvariantError(sentence)));
  }
});
