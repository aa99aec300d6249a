/**
 * Consensus messages on the wire: each kind decodes to what was encoded, and a frame that is
 * not a message is refused with its reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Views } from '../../src/archive/record.ts';
import { type Message, MessageType } from '../../src/replication/messages.ts';
import { HEAD_BYTES, decodeMessage, encodeMessage, messageBytes } from '../../src/replication/wire.ts';

const MESSAGES: Message[] = [
  { type: MessageType.PreVote, term: 3, from: 1, to: 2, lastIndex: 40, lastTerm: 2 },
  { type: MessageType.Vote, term: 3, from: 1, to: 3, lastIndex: 41, lastTerm: 3 },
  { type: MessageType.PreVoteResponse, term: 3, from: 2, to: 1, granted: true },
  { type: MessageType.VoteResponse, term: 3, from: 3, to: 1, granted: false },
  { type: MessageType.Append, term: 4, from: 1, to: 2, prevIndex: 90, prevTerm: 4, commit: 88, count: 0, terms: [] },
  { type: MessageType.AppendResponse, term: 4, from: 2, to: 1, success: true, index: 90, received: 95 },
  { type: MessageType.Commit, term: 4, from: 1, to: 3, prevIndex: 95, prevTerm: 4, commit: 93 },
];

function encoded(m: Message): Views {
  const v = new Views(new ArrayBuffer(messageBytes([])));
  encodeMessage(v, 0, m, []);
  return v;
}

describe('consensus messages on the wire', () => {
  it('decode to what was encoded, each kind', () => {
    for (const m of MESSAGES) {
      const decoded = decodeMessage(encoded(m), 0, HEAD_BYTES);
      assert.notEqual(typeof decoded, 'string', `type ${m.type}: ${JSON.stringify(decoded)}`);
      assert.deepEqual((decoded as Exclude<typeof decoded, string>).message, m);
    }
  });

  it('refuse an unknown type, a field that is not a safe integer, and a short frame', () => {
    const unknown = encoded(MESSAGES[0]);
    unknown.slots[0] = 99;
    assert.equal(decodeMessage(unknown, 0, HEAD_BYTES), 'unknown message type 99');
    const unsafe = encoded(MESSAGES[6]);
    unsafe.slots[6] = 2 ** 53;
    assert.equal(decodeMessage(unsafe, 0, HEAD_BYTES), 'message field is not a safe integer');
    assert.equal(decodeMessage(encoded(MESSAGES[6]), 0, HEAD_BYTES - 8), 'message too short');
  });
});
