/**
 * The on-disk format of the archive (documented in docs/archive-format.md). All fields are
 * little-endian; indexes, terms and times are safe integers stored as float64, like every
 * integer of Bourse. Records are 8-byte aligned so payloads (event slots) are read in place.
 */
export const FORMAT_VERSION = 1;

/** "BOURSEAR" */
export const SEGMENT_MAGIC = [0x42, 0x4f, 0x55, 0x52, 0x53, 0x45, 0x41, 0x52] as const;
export const SEGMENT_HEADER_BYTES = 64;

/** Segment header: magic, version, header size, first index, segment size, CRC of bytes 0..31. */
export const SegmentHeader = {
  magic: 0,
  version: 8,
  headerBytes: 12,
  firstIndex: 16,
  segmentBytes: 24,
  crc: 32,
} as const;

export const RECORD_HEADER_BYTES = 48;

/**
 * Record: total length (header + payload + zero padding to 8), CRC-32 of bytes 8..length,
 * entry index, term, command time (µs), synced watermark, entry type, payload length.
 *
 * The watermark is an index the archive had fsynced when the record was written: the highest
 * then, or an earlier one (a leader stamps its entries as it makes them). Never more.
 * On recovery a bad record followed by a valid one whose watermark covers it cannot be a
 * torn write — that data was on disk before — so it is corruption, not a tail to cut.
 */
export const Record = {
  length: 0,
  crc: 4,
  index: 8,
  term: 16,
  timestampUs: 24,
  synced: 32,
  type: 40,
  payloadBytes: 44,
} as const;

/** Largest payload of one entry (bounds memory per record and the length field). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** Entry types. An entry is the events of one command, or a control entry of replication. */
export const EntryType = {
  /** The events of one command (payload: event slot records). */
  Events: 1,
  /** A leader's first entry of its term (empty payload). */
  Noop: 2,
} as const;

export function recordBytes(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + ((payloadBytes + 7) & ~7);
}

export function segmentFileName(firstIndex: number): string {
  return `segment-${String(firstIndex).padStart(20, '0')}.log`;
}

export const SEGMENT_FILE = /^segment-(\d{20})\.log$/;
export const META_FILE = 'meta';
