/**
 * docs/protocol.md against the code: every message table is the layout the codec uses, every
 * error, enumeration and reject reason is listed with its number, the test vector signs as
 * documented and the example frames are what the encoder writes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CancelReason, OrderType, Side, Stp, TimeInForce } from '../../../src/application/matching/order-types.ts';
import { Reason, reasonMessage } from '../../../src/application/reasons.ts';
import { sign } from '../../../src/gateway/binary/auth.ts';
import { decodeClientFrame } from '../../../src/gateway/binary/decode.ts';
import { encodeFrame } from '../../../src/gateway/binary/encode.ts';
import { ErrorCode, closesConnection } from '../../../src/gateway/binary/errors.ts';
import {
  DEFAULT_MAX_FRAME_BYTES,
  LARGEST_MESSAGE_BYTES,
  LAYOUTS,
  type Layout,
  Liquidity,
  type Message,
  PROTOCOL_VERSION,
  ReportKind,
} from '../../../src/gateway/binary/messages.ts';
import { MISSED_HEARTBEATS_MAX, SESSION_DEFAULTS } from '../../../src/gateway/binary/session.ts';
import { CLIENT_NAMES, NAMES, expectOk } from './support.ts';

const DOC = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

/** The text under a heading, up to the next heading. */
function section(heading: string): string {
  const lines = DOC.split('\n');
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `docs/protocol.md has "${heading}"`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('#'));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The body rows of the first table in `text`, cells trimmed and unquoted. */
function rows(text: string): string[][] {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  assert.ok(first >= 0, 'a table');
  const table: string[][] = [];
  for (let i = first + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    table.push(lines[i].slice(1, -1).split(' | ').map((cell) => cell.trim().replace(/^`([^`]*)`$/, '$1')));
  }
  return table;
}

const DOC_TYPE = { u8: 'u8', u16: 'u16', reserved: 'reserved', i53: 'i53', u53: 'u53', p53: 'p53', bytes32: 'bytes[32]' } as const;

/** The rows a layout's table must have: offset, size, type, field. */
function expectedRows(layout: Layout): string[][] {
  const out = [['0', '4', 'u32', 'length'], ['4', '2', 'u16', 'type']];
  layout.spec.fields.forEach(([field, kind], i) => {
    const at = layout.offsets[i];
    if (kind === 'str') {
      out.push([`${at}`, '2', 'u16', `${field}Bytes`], [`${at + 2}`, `${field}Bytes`, 'utf-8', field]);
    } else {
      const size = { u8: 1, u16: 2, reserved: 2, i53: 8, u53: 8, p53: 8, bytes32: 32 }[kind];
      out.push([`${at}`, `${size}`, DOC_TYPE[kind], field]);
    }
  });
  return out;
}

const DIRECTION = { client: 'C → S', server: 'S → C', both: 'both directions' } as const;

describe('docs/protocol.md', () => {
  for (const name of NAMES) {
    it(`${name}: type, direction, size and every field's offset, size and type`, () => {
      const layout = LAYOUTS[name];
      const text = section(`### ${name}`);
      const stringField = layout.spec.fields.at(-1);
      const size = layout.maxStringBytes < 0
        ? `${layout.fixedBytes} bytes`
        : `${layout.fixedBytes} bytes + the ${stringField?.[0]} (at most ${layout.maxStringBytes} bytes)`;
      assert.ok(text.includes(`Type **${layout.spec.type}**, ${DIRECTION[layout.spec.from]}, ${size}`), `${name} heading line`);
      const table = rows(text);
      assert.deepEqual(table.map((r) => r.slice(0, 4)), expectedRows(layout));
      const length = layout.maxStringBytes < 0 ? `${layout.fixedBytes - 4}` : `${layout.fixedBytes - 4} + ${stringField?.[0]}Bytes`;
      assert.equal(table[0][4], length, 'the length field');
      assert.equal(table[1][4], `${layout.spec.type}`, 'the type field');
      for (const row of table) assert.ok(row[4].length > 0, `${name}.${row[3]} has a meaning`);
    });
  }

  it('lists every error code with its number and whether it closes the connection', () => {
    const table = rows(section('## Errors'));
    assert.deepEqual(
      table.map((r) => [Number(r[0]), r[1], r[3]]),
      Object.entries(ErrorCode).map(([name, code]) => [code, name, closesConnection(code) ? 'closed' : 'stays up']),
    );
  });

  it('lists every enumeration with the codes the engine and the codec use', () => {
    const enums = { Side, OrderType, TimeInForce, Stp, CancelReason, ReportKind, Liquidity };
    for (const [name, values] of Object.entries(enums)) {
      assert.deepEqual(rows(section(`### ${name}`)).map((r) => [r[1], Number(r[0])]), Object.entries(values), name);
    }
  });

  it("lists every engine reject reason with the engine's sentence", () => {
    assert.deepEqual(
      rows(section('### Reject reasons')),
      Object.entries(Reason).map(([name, code]) => [`${code}`, name, reasonMessage(code)]),
    );
  });

  it('the login test vector signs as documented', () => {
    const v = Object.fromEntries(rows(section('### Signing in')).map((r) => [r[0], r[1]]));
    const nonce = Buffer.from(v.nonce, 'hex');
    const [keyId, keyHex] = /^`(\d+)` \(float64 LE: `([0-9a-f]{16})`\)$/.exec(v.keyId)?.slice(1) ?? assert.fail(v.keyId);
    const keyBytes = Buffer.alloc(8);
    keyBytes.writeDoubleLE(Number(keyId));
    assert.equal(keyBytes.toString('hex'), keyHex);
    const secret = /^`([^`]+)` \(UTF-8\)$/.exec(v.apiSecret)?.[1] ?? assert.fail(v.apiSecret);
    assert.equal(Buffer.from(sign(secret, nonce, Number(keyId))).toString('hex'), v.signature);
  });

  it('the example frames are what the encoder writes', () => {
    const table = rows(section('## Example frames'));
    assert.ok(table.length >= 3);
    for (const [json, hex] of table) {
      const message = JSON.parse(json) as Message;
      assert.equal(Buffer.from(encodeFrame(message)).toString('hex'), hex, json);
      assert.deepEqual(expectOk(decodeClientFrame(Buffer.from(hex, 'hex'))), message);
    }
  });

  it('states the defaults and bounds the code has', () => {
    const largestClient = Math.max(...CLIENT_NAMES.map((n) => LAYOUTS[n].fixedBytes));
    for (const phrase of [
      `Protocol version: **${PROTOCOL_VERSION}**`,
      `**${DEFAULT_MAX_FRAME_BYTES} bytes** by\n  default`,
      `No message of version 1 exceeds ${LARGEST_MESSAGE_BYTES} bytes (the largest client message: ${largestClient} bytes)`,
      `(from the\n  Challenge; default ${SESSION_DEFAULTS.maxInFlight})`,
      `\`heartbeatIntervalMs\` (default ${SESSION_DEFAULTS.heartbeatIntervalMs})`,
      `for **${MISSED_HEARTBEATS_MAX} intervals**`,
    ]) {
      assert.ok(DOC.includes(phrase), phrase);
    }
  });
});
