type Numeric = Float64Array | Int32Array | Uint8Array;

/** A copy of `array` with `capacity` elements, new ones set to `fill`. */
export function grow<T extends Numeric>(array: T, capacity: number, fill = 0): T {
  const grown = new (array.constructor as new (n: number) => T)(capacity);
  grown.set(array);
  if (fill !== 0) grown.fill(fill, array.length);
  return grown;
}
