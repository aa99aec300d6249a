/**
 * When the archive calls fdatasync, and so what an acknowledged entry survives:
 * - `always`: every batch is fdatasynced before it is acknowledged — survives power loss.
 * - `interval:<ms>`: acknowledged once written (in the page cache), synced at most <ms> later —
 *   survives a process crash (kill -9); a power or kernel failure loses up to the last <ms>.
 * - `never`: acknowledged once written, synced only when a segment closes and at close —
 *   survives a process crash; durability against power loss must come from replicas.
 */
export type FsyncPolicy = { kind: 'always' } | { kind: 'interval'; ms: number } | { kind: 'never' };

export function parseFsyncPolicy(text: string): FsyncPolicy {
  if (text === 'always') return { kind: 'always' };
  if (text === 'never') return { kind: 'never' };
  const m = /^interval:(\d+)$/.exec(text);
  if (m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 60_000) return { kind: 'interval', ms: Number(m[1]) };
  throw new RangeError(`fsync policy must be "always", "never" or "interval:<ms>" (1..60000), not "${text}"`);
}
