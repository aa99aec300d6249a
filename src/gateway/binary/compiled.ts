/**
 * What the encoder and the decoder share to turn each layout of the message table into a
 * function of its own, generated once at load (as fast serialisers such as
 * fast-json-stringify do). Walking the table per field reads and writes message properties
 * under names that vary at the same site, which V8 serves through its slow megamorphic path,
 * and builds objects of no stable shape; a function per layout names each property as a
 * constant and builds the message as one object literal. The source is made only from the
 * table, never from the wire. A generated function prints whole (`String(fn)`), and profiles
 * and stack traces show it by name, its source under `bourse-binary-codec/`.
 */
import { assert } from '../../application/assert.ts';
import { type FieldKind, type Layout, boundsProblem } from './messages.ts';

/** Whether `n` is an integer in [low, high]; false for anything but a number, which an encoder may be handed. */
export function inBounds(n: number, low: number, high: number): boolean {
  return Number.isInteger(n) && n >= low && n <= high;
}

/** A JavaScript literal of `value`, for text the generated code carries. */
export function literal(value: string): string {
  return JSON.stringify(value);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The generated code's local for each field: `$` and the name, clear of the code's own names
 * (none starts with `$`) and of reserved words. Fields are read as `message.<name>`.
 */
export function fieldLocals(layout: Layout): string[] {
  assert(layout.names.every((name) => IDENTIFIER.test(name)), 'field names are identifiers');
  assert(new Set(layout.names).size === layout.names.length, 'field names are distinct within a message');
  return layout.names.map((name) => `$${name}`);
}

/** How the view reads and writes each kind that is a number; a string's number is its byte count. */
const VIEW_TYPES: Readonly<Partial<Record<FieldKind, string>>> = {
  u8: 'Uint8', u16: 'Uint16', reserved: 'Uint16', i53: 'Float64', u53: 'Float64', p53: 'Float64', str: 'Uint16',
};

/** The DataView accessor's type for field `i`, and its little-endian flag (none for a byte). */
function viewTypeOf(layout: Layout, i: number): [type: string, littleEndian: string] {
  const type = VIEW_TYPES[layout.kinds[i]];
  assert(type !== undefined, 'a field the view reads or writes is a number');
  return [type, type === 'Uint8' ? '' : ', true'];
}

/** `view.get…(…)` reading numeric field `i` of a frame that starts at `at`. */
export function viewGet(layout: Layout, i: number): string {
  const [type, littleEndian] = viewTypeOf(layout, i);
  return `view.get${type}(at + ${layout.offsets[i]}${littleEndian})`;
}

/** `view.set…(…)` writing `value` as numeric field `i` of a frame that starts at `at`. */
export function viewSet(layout: Layout, i: number, value: string): string {
  const [type, littleEndian] = viewTypeOf(layout, i);
  return `view.set${type}(at + ${layout.offsets[i]}, ${value}${littleEndian})`;
}

/** Whether numeric field `i`'s value, in `local`, is one the field refuses. */
export function refusesNumber(layout: Layout, i: number, local: string): string {
  return `!inBounds(${local}, ${layout.lows[i]}, ${layout.highs[i]})`;
}

/** The sentence refusing numeric field `i`'s value (in `local`), as an expression. */
export function numberProblem(layout: Layout, i: number, local: string): string {
  return `${literal(`${layout.name}.${layout.names[i]} ${boundsProblem(layout, i)} (`)} + String(${local}) + ")"`;
}

/**
 * The function `name(params)` running `body`, which sees `free`'s entries as variables.
 * `Function` compiles source text as `eval` does; here that text is ours alone (see above).
 */
export function compile<F>(
  name: string,
  params: readonly string[],
  body: readonly string[],
  free: Readonly<Record<string, unknown>>,
): F {
  const source = [
    `return function ${name}(${params.join(', ')}) {`,
    ...body.map((line) => `  ${line}`),
    '};',
    `//# sourceURL=bourse-binary-codec/${name}.js`,
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the message table only
  const make = new Function(...Object.keys(free), source) as (...values: unknown[]) => F;
  return make(...Object.values(free));
}
