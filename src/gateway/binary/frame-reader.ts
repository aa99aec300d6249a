/**
 * Splits a TCP byte stream, in whatever chunks it arrives, into frames (u32 little-endian
 * length of what follows, then the type and fields). Bounded: the length word is checked as
 * soon as its 4 bytes are in, before any of the body is kept, and a frame split across chunks
 * is gathered in one buffer of `maxFrameBytes` allocated up front — the reader never holds
 * more. A frame that lies whole in a chunk is handed out as a view of it, uncopied.
 */
import { assert } from '../../application/assert.ts';
import { ErrorCode, type WireError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, LARGEST_MESSAGE_BYTES, LENGTH_BYTES } from './messages.ts';

/** The u32 little-endian length word at `at` (the caller has checked the 4 bytes are there). */
export function lengthWordAt(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

const NO_BYTES = new Uint8Array(0);

export class FrameReader {
  private chunk: Uint8Array = NO_BYTES;
  private at = 0;
  /** A frame split across chunks, gathered here; `partialBytes` of it are in. */
  private readonly partial: Uint8Array;
  private partialBytes = 0;
  /** Bytes of the frame being gathered, once its length word is in. */
  private wantedBytes = 0;
  private error: WireError | undefined;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    assert(Number.isSafeInteger(maxFrameBytes), 'maxFrameBytes is an integer');
    // Every message must fit; the buffer for split frames is allocated whole, up front.
    assert(maxFrameBytes >= LARGEST_MESSAGE_BYTES && maxFrameBytes <= 2 ** 24, 'maxFrameBytes in range');
    this.partial = new Uint8Array(maxFrameBytes);
  }

  /** Bytes held of a frame not complete yet: never more than `maxFrameBytes`. */
  get bufferedBytes(): number {
    return this.partialBytes;
  }

  /** Hands over the next chunk; take its frames with `next()` until that returns undefined. */
  push(chunk: Uint8Array): void {
    assert(this.at === this.chunk.byteLength || this.error !== undefined, 'the previous chunk was consumed');
    this.chunk = chunk;
    this.at = 0;
  }

  /**
   * The next complete frame, length word included (a view valid until the next call),
   * undefined when the chunk is used up, or the error that ended the stream (from then on).
   * Each call consumes at least one byte or returns: a loop over it ends within the chunk.
   */
  next(): Uint8Array | WireError | undefined {
    if (this.error !== undefined) return this.error;
    const available = this.chunk.byteLength - this.at;
    if (available === 0) return undefined;
    if (this.partialBytes === 0 && available >= LENGTH_BYTES) {
      const frameBytes = this.frameBytes(lengthWordAt(this.chunk, this.at));
      if (frameBytes === 0) return this.error;
      if (available >= frameBytes) {
        const frame = this.chunk.subarray(this.at, this.at + frameBytes);
        this.at += frameBytes;
        return frame;
      }
    }
    return this.gather(available);
  }

  /** Copies what the chunk has of a split frame into `partial`; the frame once complete. */
  private gather(available: number): Uint8Array | WireError | undefined {
    let take = available;
    if (this.partialBytes < LENGTH_BYTES) {
      take = Math.min(LENGTH_BYTES - this.partialBytes, available);
      this.copy(take);
      if (this.partialBytes < LENGTH_BYTES) return undefined;
      this.wantedBytes = this.frameBytes(lengthWordAt(this.partial, 0));
      if (this.wantedBytes === 0) return this.error;
      take = available - take;
    }
    this.copy(Math.min(this.wantedBytes - this.partialBytes, take));
    if (this.partialBytes < this.wantedBytes) return undefined;
    this.partialBytes = 0;
    return this.partial.subarray(0, this.wantedBytes);
  }

  private copy(bytes: number): void {
    this.partial.set(this.chunk.subarray(this.at, this.at + bytes), this.partialBytes);
    this.partialBytes += bytes;
    this.at += bytes;
  }

  /** The whole frame's bytes for a length word, or 0 (and the stream's error) if refused. */
  private frameBytes(length: number): number {
    if (length < FRAME_HEADER_BYTES - LENGTH_BYTES) {
      this.error = { code: ErrorCode.BAD_LENGTH, message: `frame length ${length} leaves no room for the 2-byte type` };
      return 0;
    }
    if (length > this.maxFrameBytes - LENGTH_BYTES) {
      this.error = {
        code: ErrorCode.FRAME_TOO_LARGE,
        message: `frame of ${LENGTH_BYTES + length} bytes exceeds the limit of ${this.maxFrameBytes}`,
      };
      return 0;
    }
    return LENGTH_BYTES + length;
  }
}
