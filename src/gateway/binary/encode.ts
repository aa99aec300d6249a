/**
 * Encoding of messages into frames, appended to one reused buffer through one DataView: a
 * turn's frames leave together, copied out once. The values come from this side's own code, so
 * a value its field cannot carry is a bug and fails an assertion; only strings are cut (at a
 * character boundary) to their bound, as an error message may say more than fits. Each
 * message has an encoder of its own, generated from its layout (compiled.ts says why).
 */
import { assert, fail } from '../../application/assert.ts';
import { compile, fieldLocals, inBounds, literal, numberProblem, refusesNumber, viewSet } from './compiled.ts';
import {
  LARGEST_MESSAGE_BYTES,
  LAYOUTS,
  LENGTH_BYTES,
  type Layout,
  type Message,
  type MessageName,
} from './messages.ts';

/** Writes `message`'s frame at `at` of `bytes` (which `view` views); returns where the frame ends. */
type Encoder = (view: DataView, bytes: Uint8Array, at: number, message: Message) => number;

const utf8 = new TextEncoder();

/** Lines that check field `i` of `message` and write it. */
function fieldEncoder(layout: Layout, i: number, local: string): string[] {
  const at = layout.offsets[i];
  const where = `${layout.name}.${layout.names[i]}`;
  const read = `const ${local} = message.${layout.names[i]};`;
  switch (layout.kinds[i]) {
    case 'reserved':
      return [`${viewSet(layout, i, '0')};`];
    case 'bytes32':
      return [
        read,
        `if (!(${local} instanceof Uint8Array) || ${local}.byteLength !== 32) fail(${literal(`${where} must be 32 bytes`)});`,
        `bytes.set(${local}, at + ${at});`,
      ];
    case 'str':
      return [
        read,
        `if (typeof ${local} !== "string") fail(${literal(`${where} must be a string`)});`,
        `const written = utf8.encodeInto(${local}, bytes.subarray(at + ${at + 2}, at + ${at + 2 + layout.maxStringBytes})).written;`,
        `${viewSet(layout, i, 'written')};`,
      ];
    default:
      return [
        read,
        `if (${refusesNumber(layout, i, local)}) fail(${numberProblem(layout, i, local)});`,
        `${viewSet(layout, i, local)};`,
      ];
  }
}

/** Straight-line code writing one message: its type, its fields in order, then its length. */
function encoderOf(layout: Layout): Encoder {
  const locals = fieldLocals(layout);
  const plusString = layout.maxStringBytes < 0 ? '' : ' + written';
  return compile<Encoder>(`encode${layout.name}`, ['view', 'bytes', 'at', 'message'], [
    `view.setUint16(at + ${LENGTH_BYTES}, ${layout.spec.type}, true);`,
    ...locals.flatMap((local, i) => fieldEncoder(layout, i, local)),
    `view.setUint32(at, ${layout.fixedBytes - LENGTH_BYTES}${plusString}, true);`,
    `return at + ${layout.fixedBytes}${plusString};`,
  ], { fail, inBounds, utf8 });
}

const ENCODERS = Object.fromEntries(
  Object.values(LAYOUTS).map((layout) => [layout.name, encoderOf(layout)]),
) as { readonly [N in MessageName]: Encoder };

export class FrameWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialBytes = 4 * LARGEST_MESSAGE_BYTES) {
    assert(Number.isSafeInteger(initialBytes) && initialBytes >= LARGEST_MESSAGE_BYTES, 'room for one message');
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Bytes written since the last `take`. */
  get writtenBytes(): number {
    return this.length;
  }

  /** Appends one message's frame. */
  write(message: Message): void {
    this.reserve(LARGEST_MESSAGE_BYTES);
    const end = ENCODERS[message.type](this.view, this.bytes, this.length, message);
    assert(end - this.length <= LARGEST_MESSAGE_BYTES, 'a frame stays within the room reserved for it');
    this.length = end;
  }

  /** A copy of the frames written since the last `take`, which the caller owns; empties the writer. */
  take(): Uint8Array {
    const frames = this.bytes.slice(0, this.length);
    this.length = 0;
    return frames;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.bytes.byteLength) return;
    let capacity = this.bytes.byteLength * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

const single = new FrameWriter();

/** One message as a frame of its own (clients, tools, tests). */
export function encodeFrame(message: Message): Uint8Array {
  single.write(message);
  return single.take();
}
