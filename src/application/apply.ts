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
import { applyProductCreated, applyProductUpdated } from './products/apply.ts';
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

function applyOne(state: State, type: number, s: Float64Array, p: number): void {
  switch (type) {
    case EventCode.Trade: return applyTrade(state, s, p);
    case EventCode.OrderAccepted: return applyOrderAccepted(state, s, p);
    case EventCode.OrderRested: return applyOrderRested(state, s, p);
    case EventCode.OrderCancelled: return applyOrderCancelled(state, s, p);
    case EventCode.OrderModified: return applyOrderModified(state, s, p);
    case EventCode.OrderReduced: return applyOrderReduced(state, s, p);
    case EventCode.StopTriggered: return applyStopTriggered(state, s, p);
    case EventCode.Rejected: return;
    case EventCode.TransferDuplicate: return;
    case EventCode.Deposited: return applyTransfer(state, s, p, EventCode.Deposited, 1);
    case EventCode.Withdrawn: return applyTransfer(state, s, p, EventCode.Withdrawn, -1);
    case EventCode.AccountCreated: return applyAccountCreated(state, s, p);
    case EventCode.AssetCreated: return applyAssetCreated(state, s, p);
    case EventCode.ProductCreated: return applyProductCreated(state, s, p);
    case EventCode.ProductUpdated: return applyProductUpdated(state, s, p);
    default: fail(`unknown event type ${type}`);
  }
}
