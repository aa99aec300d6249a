/**
 * The private updates of one entry, for the accounts that have listeners (nobody else's updates
 * are made at all): order updates and fills as the events come, balances noted as they change
 * and reported once each at the entry's end with their final values; then the request id of the
 * entry is put on its sender's updates, and everything is delivered in order.
 */
import type { Accounts } from '../../application/accounts/accounts.ts';
import { LIMITS } from '../../application/limits.ts';
import type { Listeners } from './listeners.ts';
import type { AccountUpdate } from './updates.ts';

/** (account, asset) as one number: asset ids are at most LIMITS.assets. */
const ASSET_KEYS = LIMITS.assets + 1;

export class AccountStream {
  /**
   * The entry's updates are pending[0, pendingCount): the array is kept at its size from entry
   * to entry (emptying it gave back its storage, and the next entry's first update took new).
   */
  private readonly pending: AccountUpdate[] = [];
  private pendingCount = 0;
  /** The (account, asset) keys of balances the entry changed, in first-change order. */
  private readonly balances = new Set<number>();
  /**
   * Per account, its listeners that take balance updates. An order-entry session takes none:
   * without one, none are made (a trade would make four). A listener removed for throwing
   * stays counted: its account's balance updates are then made for nobody, which is harmless.
   */
  private readonly balanceTakers = new Map<number, number>();

  constructor(readonly listeners: Listeners<AccountUpdate>) {}

  /** Adds a listener of the account's updates — without balance updates unless `balances`; returns its removal. */
  add(account: number, listener: (update: AccountUpdate) => void, fromIndex: number, balances: boolean): () => void {
    // Another listener of the account may take balances: this one still hears none of them.
    if (!balances) return this.listeners.add(account, (u) => u.kind !== 'balance' && listener(u), fromIndex);
    const remove = this.listeners.add(account, listener, fromIndex);
    this.balanceTakers.set(account, (this.balanceTakers.get(account) ?? 0) + 1);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      remove();
      const left = (this.balanceTakers.get(account) ?? 1) - 1;
      if (left === 0) this.balanceTakers.delete(account);
      else this.balanceTakers.set(account, left);
    };
  }

  listening(account: number): boolean {
    return this.listeners.has(account);
  }

  /** An update of an account that listens (the caller checked: the update is made only then). */
  push(update: AccountUpdate): void {
    this.pending[this.pendingCount++] = update;
  }

  balanceChanged(account: number, asset: number): void {
    if (this.balanceTakers.has(account)) this.balances.add(account * ASSET_KEYS + asset);
  }

  /** Ends the entry: its balance updates, its request id (0: none) on its sender's updates, delivery. */
  finish(entryIndex: number, timestampUs: number, accounts: Accounts, request: number, requestAccount: number): void {
    const pending = this.pending;
    if (this.pendingCount === 0 && this.balances.size === 0) return;
    // Iterating a Set makes an iterator, even an empty Set's.
    if (this.balances.size > 0) this.balanceUpdates(entryIndex, timestampUs, accounts);
    const count = this.pendingCount;
    if (request !== 0) {
      for (let i = 0; i < count; i++) if (pending[i].account === requestAccount) pending[i].request = request;
    }
    // Bounded by the updates of one entry.
    for (let i = 0; i < count; i++) this.listeners.deliver(pending[i].account, pending[i], entryIndex);
    this.pendingCount = 0;
  }

  private balanceUpdates(entryIndex: number, timestampUs: number, accounts: Accounts): void {
    for (const key of this.balances) {
      const account = Math.floor(key / ASSET_KEYS);
      const asset = key - account * ASSET_KEYS;
      const at = account * accounts.stride + asset;
      this.push({ kind: 'balance', entryIndex, timestampUs, account, request: 0, asset,
        available: accounts.available[at], held: accounts.held[at] });
    }
    this.balances.clear();
  }
}
