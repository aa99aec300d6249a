import type { EventBuffer } from './events.ts';

function id(value: unknown): number {
  return Number.isSafeInteger(value) ? (value as number) : 0;
}

/** Writes the one Rejected event of an invalid command; ids that are not safe integers become 0. */
export function reject(
  out: EventBuffer,
  reason: number,
  command: number,
  account: unknown = 0,
  order: unknown = 0,
  clientOrderId: unknown = 0,
  transfer: unknown = 0,
): void {
  out.rejected(reason, command, id(account), id(order), id(clientOrderId), id(transfer));
}

