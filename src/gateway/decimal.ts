/**
 * Decimal strings at the API edge ("123.45") to the engine's integers at a given scale, and
 * back: exact, never rounded. A value with more decimals than the scale allows, or outside
 * the safe-integer range once scaled, is an error that says why.
 */

/** Plain decimals only: no sign but '-', no exponent, no spaces, at most 40 characters. */
const DECIMAL = /^(-?)(\d{1,30})(?:\.(\d{1,30}))?$/;

export type DecimalResult = { ok: true; value: number } | { ok: false; message: string };

/** `text` × 10^scale as a safe integer. */
export function parseDecimal(text: unknown, scale: number, field: string): DecimalResult {
  if (typeof text !== 'string') return { ok: false, message: `${field} must be a decimal string such as "12.5"` };
  const m = DECIMAL.exec(text);
  if (m === null) return { ok: false, message: `${field} "${text.slice(0, 40)}" is not a plain decimal number` };
  const [, sign, whole, fraction = ''] = m;
  const digits = fraction.replace(/0+$/, '');
  if (digits.length > scale) {
    return { ok: false, message: `${field} ${text} has more than ${scale} decimal places` };
  }
  // Exact integer arithmetic on the digit string: no float ever holds the value.
  const scaled = (whole + digits.padEnd(scale, '0')).replace(/^0+(?=\d)/, '');
  if (scaled.length > 16 || !Number.isSafeInteger(Number(scaled))) {
    return { ok: false, message: `${field} ${text} is too large` };
  }
  const value = Number(scaled);
  return { ok: true, value: sign === '-' && value !== 0 ? -value : value };
}

/** A safe integer at `scale` as the shortest exact decimal string. */
export function formatDecimal(value: number, scale: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
  const negative = value < 0;
  const digits = String(Math.abs(value)).padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** Parses and checks that the value is a whole multiple of `step` (a tick or lot size). */
export function parseMultiple(text: unknown, scale: number, step: number, field: string, what: string): DecimalResult {
  const r = parseDecimal(text, scale, field);
  if (!r.ok) return r;
  if (r.value % step !== 0) {
    return { ok: false, message: `${field} ${String(text)} is not a multiple of the ${what} ${formatDecimal(step, scale)}` };
  }
  return r;
}
