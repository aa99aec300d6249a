/**
 * When a member takes a snapshot by count: once `everyEntries` entries committed since its
 * last one — and its first after opening waits its phase longer, member k of n (in id order)
 * k/n of the interval, so that the members keep apart from then on. Taken at once, every
 * member would take and write its snapshot at the same moment: on machines or disks the
 * members share, the whole cluster slowed down together.
 */
export function snapshotPhase(everyEntries: number, memberIds: readonly number[], nodeId: number): number {
  const position = [...memberIds].sort((a, b) => a - b).indexOf(nodeId);
  return position <= 0 ? 0 : Math.floor((everyEntries * position) / memberIds.length);
}

/** Whether the count policy asks for a snapshot `since` entries after the last; `phase` until the first one. */
export function snapshotDue(since: number, everyEntries: number, phase: number): boolean {
  return everyEntries > 0 && since >= everyEntries + phase;
}
