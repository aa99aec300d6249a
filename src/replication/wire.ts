/**
 * Consensus messages on the wire between peers (inside the transport's length-prefixed
 * frames). A message is 8 float64 slots: type, term, from, to and four fields; an Append is
 * followed by its entries as archive records (docs/archive-format.md), whose checksums are
 * verified on arrival — the network gets the same integrity check as the disk.
 */
import { EntryBatch } from '../archive/entry-batch.ts';
import { RECORD_HEADER_BYTES, Record as R } from '../archive/format.ts';
import { Views, encodeHeader, recordProblem, sealRecord } from '../archive/record.ts';
import { type Append, type Message, MessageType } from './messages.ts';

const HEAD_SLOTS = 8;
export const HEAD_BYTES = HEAD_SLOTS * 8;

/** An entry to send: its place, time, type and event payload (float64 slots). */
export interface OutEntry {
  index: number;
  term: number;
  timestampUs: number;
  type: number;
  slots: Float64Array;
  from: number;
  to: number;
}

/** Bytes of a message with these entries. */
export function messageBytes(entries: readonly OutEntry[]): number {
  let bytes = HEAD_BYTES;
  for (const e of entries) bytes += RECORD_HEADER_BYTES + (e.to - e.from) * 8;
  return bytes;
}

/** Writes a message's 8 head slots at slot `p` (an Append's entries follow as records). */
export function encodeHead(s: Float64Array, p: number, m: Message): void {
  s[p] = m.type;
  s[p + 1] = m.term;
  s[p + 2] = m.from;
  s[p + 3] = m.to;
  s[p + 4] = 0;
  s[p + 5] = 0;
  s[p + 6] = 0;
  s[p + 7] = 0;
  switch (m.type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      s[p + 4] = m.lastIndex;
      s[p + 5] = m.lastTerm;
      break;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      s[p + 4] = m.granted ? 1 : 0;
      break;
    case MessageType.Append:
    case MessageType.Commit:
      s[p + 4] = m.prevIndex;
      s[p + 5] = m.prevTerm;
      s[p + 6] = m.commit;
      // A Commit carries no entries; its slot is written all the same (the buffer is reused).
      s[p + 7] = m.type === MessageType.Append ? m.count : 0;
      break;
    case MessageType.AppendResponse:
      s[p + 4] = m.success ? 1 : 0;
      s[p + 5] = m.index;
      s[p + 6] = m.received;
      break;
  }
}

/** Writes one entry as a sealed wire record at byte `at` (8-aligned); returns its length. */
export function encodeRecord(v: Views, at: number, e: OutEntry): number {
  return encodeSlotsRecord(v, at, e.index, e.term, e.type, e.timestampUs, e.slots, e.from, e.to, 0);
}

/**
 * encodeRecord with the entry's fields as arguments: no object per entry on the hot path.
 * `synced`: the watermark to seal it with (0 says nothing; a receiver stamps its own).
 */
export function encodeSlotsRecord(v: Views, at: number, index: number, term: number, type: number, timestampUs: number,
  slots: Float64Array, from: number, to: number, synced: number): number {
  const n = to - from;
  encodeHeader(v, at, index, term, type, timestampUs, n * 8);
  const base = (at + RECORD_HEADER_BYTES) / 8 - from;
  const s = v.slots;
  for (let i = from; i < to; i++) s[base + i] = slots[i];
  sealRecord(v, at, synced);
  return RECORD_HEADER_BYTES + n * 8;
}

/** Encodes a message (and an Append's entries) into `v` at byte `at`; returns the bytes written. */
export function encodeMessage(v: Views, at: number, m: Message, entries: readonly OutEntry[]): number {
  encodeHead(v.slots, at / 8, m);
  let q = at + HEAD_BYTES;
  for (const e of entries) q += encodeRecord(v, q, e);
  return q - at;
}

export interface Decoded {
  message: Message;
  /** An Append's entries, viewed in place in the frame. */
  entries: EntryBatch;
}

/** Decodes a message frame body (8-byte aligned); a reason string if it is malformed. */
export function decodeMessage(v: Views, at: number, bytes: number): Decoded | string {
  if (bytes < HEAD_BYTES || at % 8 !== 0) return 'message too short';
  const s = v.slots;
  const p = at / 8;
  for (let i = 0; i < HEAD_SLOTS; i++) if (!Number.isSafeInteger(s[p + i])) return 'message field is not a safe integer';
  const [type, term, from, to, a, b, c, d] = [s[p], s[p + 1], s[p + 2], s[p + 3], s[p + 4], s[p + 5], s[p + 6], s[p + 7]];
  const entries = new EntryBatch(v.bytes, v.view, v.slots, type === MessageType.Append ? Math.min(d, 1 << 16) : 1);
  let message: Message;
  switch (type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      message = { type, term, from, to, lastIndex: a, lastTerm: b };
      break;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      message = { type, term, from, to, granted: a === 1 };
      break;
    case MessageType.AppendResponse:
      message = { type, term, from, to, success: a === 1, index: b, received: c };
      break;
    case MessageType.Commit:
      message = { type, term, from, to, prevIndex: a, prevTerm: b, commit: c };
      break;
    case MessageType.Append: {
      const append: Append = { type, term, from, to, prevIndex: a, prevTerm: b, commit: c, count: d };
      const problem = readEntries(v, at + HEAD_BYTES, at + bytes, append, entries);
      if (problem !== undefined) return problem;
      message = append;
      break;
    }
    default:
      return `unknown message type ${type}`;
  }
  return { message, entries };
}

function readEntries(v: Views, from: number, end: number, m: Append, entries: EntryBatch): string | undefined {
  if (m.count < 0 || m.count > 1_000_000) return 'bad entry count';
  const terms: number[] = [];
  let q = from;
  for (let k = 0; k < m.count; k++) {
    const problem = recordProblem(v, q, end - q, m.prevIndex + 1 + k, terms.length > 0 ? terms[terms.length - 1] : 0);
    if (problem !== undefined) return `entry ${m.prevIndex + 1 + k}: ${problem.message}`;
    terms.push(v.view.getFloat64(q + R.term, true));
    entries.push(q);
    q += v.view.getUint32(q + R.length, true);
  }
  if (q !== end) return 'bytes after the entries';
  m.terms = terms;
  return undefined;
}
