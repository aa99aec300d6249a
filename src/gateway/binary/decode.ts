/**
 * Strict decoding of one frame from the wire. Every way bytes can be wrong has its error code
 * and a sentence naming the message and field; nothing throws, whatever the bytes. Fields are
 * read in place through a DataView over the received bytes; byte fields come back as views of
 * the frame, valid as long as the frame is.
 */
import { isUtf8 } from 'node:buffer';
import { type Decoded, ErrorCode, type WireError } from './errors.ts';
import { lengthWordAt } from './frame-reader.ts';
import {
  type ClientMessage,
  FRAME_HEADER_BYTES,
  FROM_CLIENT,
  FROM_SERVER,
  LENGTH_BYTES,
  type Layout,
  type ServerMessage,
  boundsProblem,
  fits,
} from './messages.ts';

// Frames of one TCP chunk share its buffer: one DataView serves them all.
let viewedBuffer: ArrayBufferLike | undefined;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

function viewOf(bytes: Uint8Array): DataView {
  if (bytes.buffer !== viewedBuffer) {
    viewedBuffer = bytes.buffer;
    view = new DataView(bytes.buffer);
  }
  return view;
}

const utf8 = new TextDecoder('utf-8');

function fail(code: ErrorCode, message: string, field?: string): { ok: false; error: WireError } {
  return { ok: false, error: field === undefined ? { code, message } : { code, message, field } };
}

/** A frame a client sent (what the server reads). */
export function decodeClientFrame(frame: Uint8Array): Decoded<ClientMessage> {
  return decodeFrame(frame, FROM_CLIENT) as Decoded<ClientMessage>;
}

/** A frame the server sent (what a client reads). */
export function decodeServerFrame(frame: Uint8Array): Decoded<ServerMessage> {
  return decodeFrame(frame, FROM_SERVER) as Decoded<ServerMessage>;
}

function decodeFrame(frame: Uint8Array, layouts: ReadonlyMap<number, Layout>): Decoded<Record<string, unknown>> {
  const bytes = frame.byteLength;
  if (bytes < FRAME_HEADER_BYTES) return fail(ErrorCode.BAD_LENGTH, `a frame of ${bytes} bytes is shorter than its header`);
  const length = lengthWordAt(frame, 0);
  if (length !== bytes - LENGTH_BYTES) {
    return fail(ErrorCode.BAD_LENGTH, `the length word says ${length} bytes follow it; ${bytes - LENGTH_BYTES} do`);
  }
  const v = viewOf(frame);
  const base = frame.byteOffset;
  const type = v.getUint16(base + LENGTH_BYTES, true);
  const layout = layouts.get(type);
  if (layout === undefined) return fail(ErrorCode.UNKNOWN_TYPE, `message type ${type} is not one this side receives`);
  const name = layout.name;
  const last = layout.offsets.length - 1;
  const stringBytes = layout.maxStringBytes < 0 || bytes < layout.fixedBytes
    ? 0
    : v.getUint16(base + layout.offsets[last], true);
  if (bytes !== layout.fixedBytes + stringBytes) {
    return fail(ErrorCode.BAD_LENGTH, `${name} is ${bytes} bytes; its layout makes it ${layout.fixedBytes + stringBytes}`);
  }
  const value: Record<string, unknown> = { type: name };
  const { names, kinds, offsets } = layout;
  for (let i = 0; i <= last; i++) {
    const kind = kinds[i];
    const at = base + offsets[i];
    let n: number;
    switch (kind) {
      case 'u8':
        n = v.getUint8(at);
        break;
      case 'u16':
      case 'reserved':
        n = v.getUint16(at, true);
        break;
      case 'i53':
      case 'u53':
      case 'p53':
        n = v.getFloat64(at, true);
        break;
      case 'bytes32':
        value[names[i]] = frame.subarray(at - base, at - base + 32);
        continue;
      case 'str': {
        if (!fits(layout, i, stringBytes)) {
          return fail(ErrorCode.BAD_FIELD, `${name}.${names[i]} is ${stringBytes} bytes; at most ${layout.maxStringBytes}`, names[i]);
        }
        const text = frame.subarray(at - base + 2, bytes);
        if (!isUtf8(text)) return fail(ErrorCode.BAD_FIELD, `${name}.${names[i]} is not UTF-8`, names[i]);
        value[names[i]] = utf8.decode(text);
        continue;
      }
    }
    if (!fits(layout, i, n)) return fail(ErrorCode.BAD_FIELD, `${name}.${names[i]} ${boundsProblem(layout, i)} (${n})`, names[i]);
    // -0 is a valid encoding of 0; no caller should meet it.
    if (kind !== 'reserved') value[names[i]] = n === 0 ? 0 : n;
  }
  return { ok: true, value };
}
