/**
 * True if `value` is a whole multiple of `unit` (both safe integers, unit > 0). Exact without
 * `%`, whose floating-point remainder is several times slower on the hot path: if the
 * quotient is rounded, q × unit cannot come back to exactly `value`.
 */
export function isMultiple(value: number, unit: number): boolean {
  return unit === 1 || Math.floor(value / unit) * unit === value;
}
