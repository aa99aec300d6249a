/** Decimal strings convert exactly to integers at a scale, or fail with the reason. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDecimal, parseDecimal, parseMultiple } from '../../src/gateway/decimal.ts';

function ok(text: unknown, scale: number): number {
  const r = parseDecimal(text, scale, 'price');
  if (!r.ok) assert.fail(r.message);
  return r.value;
}

function error(text: unknown, scale: number): string {
  const r = parseDecimal(text, scale, 'price');
  if (r.ok) assert.fail(`${String(text)} parsed as ${r.value}`);
  return r.message;
}

describe('decimal strings', () => {
  it('convert exactly, trailing zeros allowed', () => {
    assert.equal(ok('123.45', 2), 12_345);
    assert.equal(ok('0.1', 8), 10_000_000);
    assert.equal(ok('0.30', 1), 3);
    assert.equal(ok('7', 0), 7);
    assert.equal(ok('-2.5', 1), -25);
    assert.equal(ok('-0', 2), 0);
    assert.equal(ok('00012.000', 3), 12_000);
    assert.equal(ok('90071992.54740991', 8), Number.MAX_SAFE_INTEGER);
  });

  it('never round: too many decimals is an error naming the scale', () => {
    assert.match(error('0.001', 2), /more than 2 decimal places/);
    assert.match(error('1.5', 0), /more than 0 decimal places/);
  });

  it('refuse what is not a plain decimal, or too large once scaled', () => {
    for (const bad of ['', ' 1', '1 ', '1e3', '+1', '.5', '5.', '0x10', 'NaN', 'Infinity', '1,5', '١', '--1']) {
      assert.match(error(bad, 2), /not a plain decimal/, bad);
    }
    for (const bad of [12.5, null, undefined, {}, ['1']]) assert.match(error(bad, 2), /must be a decimal string/);
    assert.match(error('90071992.54740992', 8), /too large/);
    assert.match(error('1'.repeat(30), 0), /too large/);
  });

  it('round-trip every safe integer at every scale', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), fc.integer({ min: 0, max: 18 }), (value, scale) => {
      assert.equal(ok(formatDecimal(value, scale), scale), value);
    }), { numRuns: 5_000 });
  });

  it('a multiple of a tick or lot passes; anything between is refused', () => {
    assert.equal(parseMultiple('10.05', 2, 5, 'price', 'tick size').ok, true);
    const r = parseMultiple('10.03', 2, 5, 'price', 'tick size');
    assert.ok(!r.ok && r.message === 'price 10.03 is not a multiple of the tick size 0.05', JSON.stringify(r));
  });
});
