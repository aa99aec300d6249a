/** `apply`: the only mutator of the state. Reads events from their binary records. */
import { applyAccountCreated, applyAssetCreated, applyTransfer } from './accounts/apply.ts';
import { assert, fail } from './assert.ts';
import { EventCode } from './events.ts';
import { headerSlots, headerType } from './layout.ts';
import {
  applyOrderAccepted,
  applyOrderCancelled,
  applyOrderModified,
  applyOrderReduced,
  applyOrderRested,
  applyStopTriggered,
  applyTrade,
} from './matching/apply.ts';
import { applyApiKeyCreated, applyApiKeyRevoked } from './keys/apply.ts';
import { applyProductCreated, applyProductUpdated } from './products/apply.ts';
import { applyRequestRecorded } from './requests/apply.ts';
import type { State } from './state.ts';

/** Applies the event records in slots[from, to), all stamped with the command's time. */
export function apply(state: State, slots: Float64Array, from: number, to: number, timestampUs: number): void {
  assert(timestampUs >= state.timestampUs, 'time went backwards');
  state.timestampUs = timestampUs;
  let p = from;
  while (p < to) {
    const header = slots[p];
    applyOne(state, headerType(header), slots, p);
    p += headerSlots(header);
  }
  assert(p === to, 'event records overrun their range');
}

// Event codes as module constants: the switch compares against immediates.
const { Trade, OrderAccepted, OrderRested, OrderCancelled, OrderModified, OrderReduced, StopTriggered, Rejected,
  TransferDuplicate, Deposited, Withdrawn, AccountCreated, AssetCreated, ProductCreated, ProductUpdated,
  RequestRecorded, RequestDuplicate, ApiKeyCreated, ApiKeyRevoked } = EventCode;

function applyOne(state: State, type: number, s: Float64Array, p: number): void {
  switch (type) {
    case Trade: return applyTrade(state, s, p);
    case OrderAccepted: return applyOrderAccepted(state, s, p);
    case OrderRested: return applyOrderRested(state, s, p);
    case OrderCancelled: return applyOrderCancelled(state, s, p);
    case OrderModified: return applyOrderModified(state, s, p);
    case OrderReduced: return applyOrderReduced(state, s, p);
    case StopTriggered: return applyStopTriggered(state, s, p);
    case Rejected: return;
    case TransferDuplicate: return;
    case Deposited: return applyTransfer(state, s, p, Deposited, 1);
    case Withdrawn: return applyTransfer(state, s, p, Withdrawn, -1);
    case AccountCreated: return applyAccountCreated(state, s, p);
    case AssetCreated: return applyAssetCreated(state, s, p);
    case ProductCreated: return applyProductCreated(state, s, p);
    case ProductUpdated: return applyProductUpdated(state, s, p);
    case RequestRecorded: return applyRequestRecorded(state, s, p);
    case RequestDuplicate: return;
    case ApiKeyCreated: return applyApiKeyCreated(state, s, p);
    case ApiKeyRevoked: return applyApiKeyRevoked(state, s, p);
    default: fail(`unknown event type ${type}`);
  }
}
