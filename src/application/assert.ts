/** An invariant of the core did not hold: a bug, never bad input (bad input gets a reject event). */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

/** Keep `message` a plain literal: it is evaluated on every call. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** For messages that cost something to build: call only once the condition has failed. */
export function fail(message: string): never {
  throw new InvariantError(message);
}
