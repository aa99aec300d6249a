/**
 * Strict decoding of one frame from the wire. Every way bytes can be wrong has its error code
 * and a sentence naming the message and field; nothing throws, whatever the bytes. Fields are
 * read in place through a DataView over the received bytes; byte fields come back as views of
 * the frame, valid as long as the frame is. Each message has a reader of its own, generated
 * from its layout (compiled.ts says why).
 */
import { isUtf8 } from 'node:buffer';
import { compile, fieldLocals, inBounds, literal, numberProblem, refusesNumber, viewGet } from './compiled.ts';
import { type Decoded, ErrorCode, type WireError } from './errors.ts';
import { lengthWordAt } from './frame-reader.ts';
import {
  type ClientMessage,
  type FieldKind,
  FRAME_HEADER_BYTES,
  FROM_CLIENT,
  FROM_SERVER,
  LENGTH_BYTES,
  type Layout,
  type ServerMessage,
} from './messages.ts';

/** Reads a frame of `bytes` bytes whose header is checked; it starts at `at` of `view`. */
type Reader = (frame: Uint8Array, view: DataView, at: number, bytes: number) => Decoded<Record<string, unknown>>;

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

/** Lines that check the frame's size, which a string's byte count (`stringBytes`) is part of. */
function lengthReader(layout: Layout): string[] {
  const refusal = (makesIt: string): string =>
    `return fail(ErrorCode.BAD_LENGTH, ${literal(`${layout.name} is `)} + bytes + ${makesIt});`;
  const fixed = layout.fixedBytes;
  if (layout.maxStringBytes < 0) return [`if (bytes !== ${fixed}) ${refusal(literal(` bytes; its layout makes it ${fixed}`))}`];
  return [
    `const stringBytes = bytes < ${fixed} ? 0 : ${viewGet(layout, layout.offsets.length - 1)};`,
    `if (bytes !== ${fixed} + stringBytes) ${refusal(`${literal(' bytes; its layout makes it ')} + (${fixed} + stringBytes)`)}`,
  ];
}

const FLOATS: ReadonlySet<FieldKind> = new Set(['i53', 'u53', 'p53']);
/** Heads a reader with float fields: the source says why they are read plus 0. */
const NEGATIVE_ZERO = '// -0 + 0 is 0: -0 is a valid encoding of 0, but no caller should meet it.';

/** Lines that read field `i` into `local`, or return why the frame is refused. */
function fieldReader(layout: Layout, i: number, local: string): string[] {
  const at = layout.offsets[i];
  const where = `${layout.name}.${layout.names[i]}`;
  const refuse = (problem: string): string => `return fail(ErrorCode.BAD_FIELD, ${problem}, ${literal(layout.names[i])});`;
  switch (layout.kinds[i]) {
    case 'bytes32':
      return [`const ${local} = frame.subarray(${at}, ${at + 32});`];
    case 'str': {
      const tooLong = `${literal(`${where} is `)} + stringBytes + ${literal(` bytes; at most ${layout.maxStringBytes}`)}`;
      return [
        `if (!inBounds(stringBytes, ${layout.lows[i]}, ${layout.highs[i]})) ${refuse(tooLong)}`,
        `const text = frame.subarray(${at + 2}, bytes);`,
        `if (!isUtf8(text)) ${refuse(literal(`${where} is not UTF-8`))}`,
        `const ${local} = utf8.decode(text);`,
      ];
    }
    default:
      return [
        `const ${local} = ${viewGet(layout, i)}${FLOATS.has(layout.kinds[i]) ? ' + 0' : ''};`,
        `if (${refusesNumber(layout, i, local)}) ${refuse(numberProblem(layout, i, local))}`,
      ];
  }
}

/** Straight-line code reading one message: its size, its fields in order, then the message. */
function readerOf(layout: Layout): Reader {
  const locals = fieldLocals(layout);
  const properties = locals.flatMap((local, i) => (layout.kinds[i] === 'reserved' ? [] : [`  ${layout.names[i]}: ${local},`]));
  return compile<Reader>(`read${layout.name}`, ['frame', 'view', 'at', 'bytes'], [
    ...(layout.kinds.some((kind) => FLOATS.has(kind)) ? [NEGATIVE_ZERO] : []),
    ...lengthReader(layout),
    ...locals.flatMap((local, i) => fieldReader(layout, i, local)),
    `const value = {`,
    `  type: ${literal(layout.name)},`,
    ...properties,
    `};`,
    `return { ok: true, value };`,
  ], { ErrorCode, fail, inBounds, isUtf8, utf8 });
}

function readersOf(layouts: ReadonlyMap<number, Layout>): ReadonlyMap<number, Reader> {
  return new Map([...layouts].map(([type, layout]) => [type, readerOf(layout)]));
}

const CLIENT_READERS = readersOf(FROM_CLIENT);
const SERVER_READERS = readersOf(FROM_SERVER);

/** A frame a client sent (what the server reads). */
export function decodeClientFrame(frame: Uint8Array): Decoded<ClientMessage> {
  return decodeFrame(frame, CLIENT_READERS) as Decoded<ClientMessage>;
}

/** A frame the server sent (what a client reads). */
export function decodeServerFrame(frame: Uint8Array): Decoded<ServerMessage> {
  return decodeFrame(frame, SERVER_READERS) as Decoded<ServerMessage>;
}

function decodeFrame(frame: Uint8Array, readers: ReadonlyMap<number, Reader>): Decoded<Record<string, unknown>> {
  const bytes = frame.byteLength;
  if (bytes < FRAME_HEADER_BYTES) return fail(ErrorCode.BAD_LENGTH, `a frame of ${bytes} bytes is shorter than its header`);
  const length = lengthWordAt(frame, 0);
  if (length !== bytes - LENGTH_BYTES) {
    return fail(ErrorCode.BAD_LENGTH, `the length word says ${length} bytes follow it; ${bytes - LENGTH_BYTES} do`);
  }
  const v = viewOf(frame);
  const type = v.getUint16(frame.byteOffset + LENGTH_BYTES, true);
  const read = readers.get(type);
  if (read === undefined) return fail(ErrorCode.UNKNOWN_TYPE, `message type ${type} is not one this side receives`);
  return read(frame, v, frame.byteOffset, bytes);
}
