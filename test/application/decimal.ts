/** Exact decimal strings <-> scaled integers, for tests written in human units. */
export function toScaled(text: string, scale: number): number {
  const s = text.replace(/[_,\s]/g, '');
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(s);
  if (m === null) throw new Error(`not a decimal number: "${text}"`);
  const fraction = m[3] ?? '';
  if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) {
    throw new Error(`"${text}" has more than ${scale} decimals`);
  }
  const digits = m[2] + fraction.slice(0, scale).padEnd(scale, '0');
  const value = Number(BigInt(digits));
  if (!Number.isSafeInteger(value)) throw new Error(`"${text}" does not fit a safe integer at scale ${scale}`);
  return m[1] === '-' ? -value : value;
}

export function fromScaled(value: number, scale: number): string {
  const negative = value < 0;
  const digits = String(Math.abs(value)).padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return (negative ? '-' : '') + whole + (fraction.length > 0 ? '.' + fraction : '');
}

/** The canonical text of a decimal ("0100.50" -> "100.5"), or undefined if it is not one. */
export function canonicalDecimal(text: string): string | undefined {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.replace(/[_,\s]/g, ''));
  if (m === null) return undefined;
  const whole = m[2].replace(/^0+(?=\d)/, '');
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const sign = m[1] === '-' && (whole !== '0' || fraction !== '') ? '-' : '';
  return sign + whole + (fraction === '' ? '' : '.' + fraction);
}
