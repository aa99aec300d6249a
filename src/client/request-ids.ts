/**
 * A fresh request id from the clock (µs, plus a random few): a client that starts again does
 * not repeat ids the engine still remembers for its account (docs/application.md).
 */
export function freshRequestId(): number {
  return Date.now() * 1_000 + Math.floor(Math.random() * 1_000);
}
