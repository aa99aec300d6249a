/**
 * Encoding of messages into frames, appended to one reused buffer through one DataView: a
 * turn's frames leave together, copied out once. The values come from this side's own code, so
 * a value its field cannot carry is a bug and fails an assertion; only strings are cut (at a
 * character boundary) to their bound, as an error message may say more than fits.
 */
import { assert, fail } from '../../application/assert.ts';
import {
  LARGEST_MESSAGE_BYTES,
  LAYOUTS,
  LENGTH_BYTES,
  type Message,
  boundsProblem,
  fits,
} from './messages.ts';

const utf8 = new TextEncoder();

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
    const layout = LAYOUTS[message.type];
    const { names, kinds, offsets } = layout;
    const values = message as unknown as Readonly<Record<string, unknown>>;
    const v = this.view;
    const start = this.length;
    let end = start + layout.fixedBytes;
    v.setUint16(start + LENGTH_BYTES, layout.spec.type, true);
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i];
      const at = start + offsets[i];
      const value = kind === 'reserved' ? 0 : values[names[i]];
      if (kind === 'bytes32') {
        if (!(value instanceof Uint8Array) || !fits(layout, i, value.byteLength)) fail(`${message.type}.${names[i]} must be 32 bytes`);
        this.bytes.set(value, at);
      } else if (kind === 'str') {
        if (typeof value !== 'string') fail(`${message.type}.${names[i]} must be a string`);
        const written = utf8.encodeInto(value, this.bytes.subarray(at + 2, at + 2 + layout.maxStringBytes)).written;
        v.setUint16(at, written, true);
        end += written;
      } else {
        const n = typeof value === 'number' ? value : Number.NaN;
        if (!fits(layout, i, n)) fail(`${message.type}.${names[i]} ${boundsProblem(layout, i)} (${String(value)})`);
        if (kind === 'u8') v.setUint8(at, n);
        else if (kind === 'u16' || kind === 'reserved') v.setUint16(at, n, true);
        else v.setFloat64(at, n, true);
      }
    }
    assert(end - start <= LARGEST_MESSAGE_BYTES, 'a frame stays within the room reserved for it');
    v.setUint32(start, end - start - LENGTH_BYTES, true);
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
