/**
 * The Account Store: per account and asset an `available` and a `held` balance, in rows of
 * typed arrays (row stride >= asset count + 1, since asset ids start at 1). Account 0 is the
 * exchange's fee account; client accounts count up from 1. Each account also heads a list of
 * its open orders, kept in order-id order (orders are appended as they are accepted).
 */
import { grow } from '../grow.ts';
import { NIL } from '../matching/orders.ts';

export const FEE_ACCOUNT = 0;

export class Accounts {
  /** Accounts that exist, the fee account included. */
  count = 1;
  stride = 8;
  private capacity = 1024;
  available = new Float64Array(1024 * 8);
  held = new Float64Array(1024 * 8);
  openCount = new Int32Array(1024);
  head = new Int32Array(1024).fill(NIL);
  tail = new Int32Array(1024).fill(NIL);

  exists(account: number): boolean {
    return Number.isSafeInteger(account) && account >= 0 && account < this.count;
  }

  add(): number {
    if (this.count === this.capacity) this.resize(this.capacity * 2, this.stride);
    return this.count++;
  }

  /** Makes room for asset ids up to `assetId`. */
  ensureAsset(assetId: number): void {
    if (assetId < this.stride) return;
    let stride = this.stride;
    while (stride <= assetId) stride *= 2;
    this.resize(this.capacity, stride);
  }

  private resize(capacity: number, stride: number): void {
    if (stride === this.stride) {
      this.available = grow(this.available, capacity * stride);
      this.held = grow(this.held, capacity * stride);
    } else {
      const available = new Float64Array(capacity * stride);
      const held = new Float64Array(capacity * stride);
      for (let a = 0; a < this.count; a++) {
        available.set(this.available.subarray(a * this.stride, (a + 1) * this.stride), a * stride);
        held.set(this.held.subarray(a * this.stride, (a + 1) * this.stride), a * stride);
      }
      this.available = available;
      this.held = held;
      this.stride = stride;
    }
    if (capacity !== this.capacity) {
      this.openCount = grow(this.openCount, capacity);
      this.head = grow(this.head, capacity, NIL);
      this.tail = grow(this.tail, capacity, NIL);
      this.capacity = capacity;
    }
  }

  byteSize(): number {
    return this.available.byteLength * 2 + this.capacity * 12;
  }
}
