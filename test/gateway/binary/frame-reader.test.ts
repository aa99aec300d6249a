/**
 * The frame reader: any chunking of a stream yields the same frames; an oversize or impossible
 * length word is refused as soon as it is read, before the body is kept; memory stays within
 * one frame whatever the input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../../src/application/assert.ts';
import { ErrorCode, type WireError } from '../../../src/gateway/binary/errors.ts';
import { FrameReader } from '../../../src/gateway/binary/frame-reader.ts';
import { DEFAULT_MAX_FRAME_BYTES, LARGEST_MESSAGE_BYTES } from '../../../src/gateway/binary/messages.ts';
import { runs } from '../../arbitraries.ts';
import { concat } from '../../codec/record-suite.ts';
import { clientMessageArb, frame } from './support.ts';

/** A frame of any type and body: the reader looks at the length word only. */
const rawFrame = fc.uint8Array({ minLength: 2, maxLength: 300 }).map((rest) => {
  const f = new Uint8Array(4 + rest.length);
  new DataView(f.buffer).setUint32(0, rest.length, true);
  f.set(rest, 4);
  return f;
});

const anyFrame = fc.oneof(clientMessageArb.map((m) => frame(m)), rawFrame);

/** `bytes` cut at `cuts` (positions, any order, repeats allowed: empty chunks too). */
function chunked(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  const chunks: Uint8Array[] = [];
  for (let i = 1; i < points.length; i++) chunks.push(bytes.slice(points[i - 1], points[i]));
  return chunks;
}

/** Everything the reader yields for these chunks, frames copied (a frame is a view valid for one call). */
function readAll(reader: FrameReader, chunks: readonly Uint8Array[]): (Uint8Array | WireError)[] {
  const out: (Uint8Array | WireError)[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    // Each call consumes a byte or returns: the loop is bounded by the chunk's length.
    for (let calls = 0; calls <= chunk.length + 1; calls++) {
      const f = reader.next();
      if (f === undefined) break;
      if (!(f instanceof Uint8Array)) return [...out, f];
      out.push(f.slice());
      assert.ok(reader.bufferedBytes <= reader.maxFrameBytes);
    }
    assert.equal(reader.next(), undefined, 'the chunk is used up');
  }
  return out;
}

function lengthWord(length: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, length, true);
  return b;
}

describe('FrameReader', () => {
  it('yields the same frames, in order, however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const stream = concat(...frames);
        const reader = new FrameReader();
        assert.deepEqual(readAll(reader, chunked(stream, cuts)), frames);
        assert.equal(reader.bufferedBytes, 0);
      }),
      runs(2_000),
    );
  });

  it('byte by byte, and all at once', () => {
    const frames = fc.sample(anyFrame, { numRuns: 50, seed: 3 });
    const stream = concat(...frames);
    const singles = Array.from(stream, (b) => Uint8Array.of(b));
    assert.deepEqual(readAll(new FrameReader(), singles), frames);
    assert.deepEqual(readAll(new FrameReader(), [stream]), frames);
  });

  it('hands out a frame that lies whole in a chunk as a view of it, uncopied', () => {
    const chunk = concat(frame({ type: 'Heartbeat' }), frame({ type: 'Logout' }));
    const reader = new FrameReader();
    reader.push(chunk);
    const first = reader.next();
    assert.ok(first instanceof Uint8Array && first.buffer === chunk.buffer && first.byteOffset === 0);
    const second = reader.next();
    assert.ok(second instanceof Uint8Array && second.buffer === chunk.buffer && second.byteOffset === 6);
  });

  it('refuses an oversize length word as soon as it is in, keeping none of the body', () => {
    for (const max of [LARGEST_MESSAGE_BYTES, DEFAULT_MAX_FRAME_BYTES, 65_536]) {
      for (const length of [max - 3, max, 2 ** 32 - 1]) {
        const reader = new FrameReader(max);
        const stream = concat(lengthWord(length), new Uint8Array(100).fill(7));
        for (let i = 0; i < 4; i++) {
          reader.push(stream.subarray(i, i + 1));
          const r = reader.next();
          if (i < 3) {
            assert.equal(r, undefined);
            continue;
          }
          assert.ok(r !== undefined && !(r instanceof Uint8Array));
          assert.equal(r.code, ErrorCode.FRAME_TOO_LARGE, r.message);
        }
        assert.ok(reader.bufferedBytes <= 4, 'the body was not kept');
        reader.push(stream.subarray(4));
        assert.equal((reader.next() as WireError).code, ErrorCode.FRAME_TOO_LARGE, 'the error is for good');
      }
      const largest = concat(lengthWord(max - 4), new Uint8Array(max - 4));
      assert.deepEqual(readAll(new FrameReader(max), chunked(largest, [1, 5, max - 1])), [largest], 'a frame of the limit');
    }
  });

  it('refuses a length word too small for the type: BAD_LENGTH', () => {
    for (const length of [0, 1]) {
      const out = readAll(new FrameReader(), [concat(frame({ type: 'Heartbeat' }), lengthWord(length), new Uint8Array(8))]);
      assert.equal(out.length, 2);
      assert.equal((out[1] as WireError).code, ErrorCode.BAD_LENGTH);
    }
  });

  it('never holds more than one frame, whatever arrives', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5_000 }), { maxLength: 20 }), (chunks) => {
        const reader = new FrameReader();
        for (const chunk of chunks) {
          reader.push(chunk);
          for (let calls = 0; calls <= chunk.length + 1; calls++) {
            const f = reader.next();
            assert.ok(reader.bufferedBytes <= DEFAULT_MAX_FRAME_BYTES);
            if (f === undefined) break;
            if (f instanceof Uint8Array) assert.ok(f.length >= 6 && f.length <= DEFAULT_MAX_FRAME_BYTES);
            else assert.ok(f.code === ErrorCode.FRAME_TOO_LARGE || f.code === ErrorCode.BAD_LENGTH);
          }
        }
      }),
      runs(500),
    );
  });

  it('asserts its use: a chunk is used up before the next; a limit that fits every message', () => {
    const reader = new FrameReader();
    reader.push(concat(frame({ type: 'Heartbeat' }), frame({ type: 'Heartbeat' })));
    reader.next();
    assert.throws(() => reader.push(new Uint8Array(1)), InvariantError);
    assert.throws(() => new FrameReader(LARGEST_MESSAGE_BYTES - 1), InvariantError);
  });
});
