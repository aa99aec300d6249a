/**
 * Slot layouts: the binary form of commands and events.
 *
 * A record is a run of 8-byte little-endian float64 "slots" (a Float64Array on a little-endian
 * machine): one header slot, then one slot per integer field and four slots per string field.
 * Every integer of the core is a safe integer, which a float64 holds exactly, so a slot is read
 * and written with one typed-array access — no BigInt, no DataView call, no allocation.
 *
 * Header slot = type + 256 × slot count (header included) + 65536 × layout version.
 * A string is ASCII (0x21–0x7e), at most 24 characters, packed six characters per slot.
 */
import { LIMITS } from './limits.ts';

export type FieldKind = 'int' | 'str';
export type FieldSpec = readonly [name: string, kind: FieldKind];
export interface RecordSpec {
  readonly code: number;
  readonly fields: readonly FieldSpec[];
}

type FieldValue<K extends FieldKind> = K extends 'str' ? string : number;
export type RecordObject<F extends readonly FieldSpec[]> = {
  -readonly [E in F[number] as E[0]]: FieldValue<E[1]>;
};

export const STRING_SLOTS = 4;
const CHARS_PER_SLOT = 6;

export function slotCount(spec: RecordSpec): number {
  let n = 1;
  for (const [, kind] of spec.fields) n += kind === 'str' ? STRING_SLOTS : 1;
  return n;
}

export function headerOf(spec: RecordSpec, version: number): number {
  return spec.code + 256 * slotCount(spec) + 65536 * version;
}

/** Header fields; valid for a header below 2^24 (decoders check that first). */
export function headerType(header: number): number {
  return header & 255;
}

export function headerSlots(header: number): number {
  return (header >>> 8) & 255;
}

export function headerVersion(header: number): number {
  return header >>> 16;
}

/** True if `s` can be stored: printable ASCII without spaces, 1 to 24 characters. */
export function isValidName(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0 || s.length > LIMITS.nameLength) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export function packString(s: string, slots: Float64Array, at: number): void {
  for (let k = 0; k < STRING_SLOTS; k++) {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < CHARS_PER_SLOT; i++) {
      const index = k * CHARS_PER_SLOT + i;
      const c = index < s.length ? s.charCodeAt(index) : 0;
      v += c * scale;
      scale *= 256;
    }
    slots[at + k] = v;
  }
}

/** Unpacks a string; returns undefined if the slots do not hold a valid packed name. */
export function unpackString(slots: Float64Array, at: number): string | undefined {
  let s = '';
  let ended = false;
  for (let k = 0; k < STRING_SLOTS; k++) {
    let v = slots[at + k];
    if (!Number.isSafeInteger(v) || v < 0 || v >= 2 ** 48) return undefined;
    for (let i = 0; i < CHARS_PER_SLOT; i++) {
      const c = v % 256;
      v = (v - c) / 256;
      if (c === 0) {
        ended = true;
      } else {
        if (ended) return undefined;
        s += String.fromCharCode(c);
      }
    }
  }
  return isValidName(s) ? s : undefined;
}

/** A growable run of slots that records are written into; reused, never shrunk. */
export class SlotBuffer {
  slots: Float64Array;
  length = 0;

  constructor(initialSlots = 4096) {
    this.slots = new Float64Array(initialSlots);
  }

  /** Makes room for `n` more slots and returns the index of the first. */
  reserve(n: number): number {
    const at = this.length;
    const need = at + n;
    if (need > this.slots.length) {
      let capacity = this.slots.length * 2;
      while (capacity < need) capacity *= 2;
      const grown = new Float64Array(capacity);
      grown.set(this.slots.subarray(0, at));
      this.slots = grown;
    }
    this.length = need;
    return at;
  }

  truncate(length: number): void {
    this.length = length;
  }

  reset(): void {
    this.length = 0;
  }

  /** The written slots as bytes (little-endian), without copying. */
  bytes(from = 0, to = this.length): Uint8Array {
    return new Uint8Array(this.slots.buffer, this.slots.byteOffset + from * 8, (to - from) * 8);
  }
}

/** Writes any record from its object form (the generic, slower path: tests, admin, tools). */
export function writeRecord(
  out: SlotBuffer,
  spec: RecordSpec,
  version: number,
  object: Readonly<Record<string, unknown>>,
): void {
  const at = out.reserve(slotCount(spec));
  const slots = out.slots;
  slots[at] = headerOf(spec, version);
  let p = at + 1;
  for (const [name, kind] of spec.fields) {
    const value = object[name];
    if (kind === 'str') {
      // Packing would cut or mangle a bad name into another, valid-looking one: refuse it.
      if (!isValidName(value)) throw new RangeError(`${name} must be 1 to 24 printable ASCII characters`);
      packString(value, slots, p);
      p += STRING_SLOTS;
    } else {
      slots[p++] = typeof value === 'number' ? value : Number.NaN;
    }
  }
}

/** Reads a record's fields into an object; the caller has checked the header. */
export function readFields(
  spec: RecordSpec,
  slots: Float64Array,
  at: number,
  target: Record<string, unknown>,
): { field: string; kind: FieldKind; problem: string } | undefined {
  let p = at + 1;
  for (const [name, kind] of spec.fields) {
    if (kind === 'str') {
      const s = unpackString(slots, p);
      if (s === undefined) return { field: name, kind, problem: 'is not a valid ASCII name of 1 to 24 characters' };
      target[name] = s;
      p += STRING_SLOTS;
    } else {
      const v = slots[p++];
      if (!Number.isSafeInteger(v)) return { field: name, kind, problem: `is not a safe integer (${v})` };
      target[name] = v === 0 ? 0 : v;
    }
  }
  return undefined;
}

export function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
