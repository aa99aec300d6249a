/**
 * The recent client request ids of all accounts, so that a retried command (the same account
 * and request id, say resent to a new leader after a failover) answers with the first outcome
 * and runs nothing. Expiry is deterministic, driven by the recorded commands alone: an id is
 * forgotten once it is LIMITS.requestWindowUs older (by command time) than a newly recorded
 * one, or once LIMITS.recentRequests newer ids were recorded. A FIFO ring in typed arrays,
 * allocated whole with the first id: growing it (and re-indexing) on the command path stalled
 * a node for 200 ms at a million ids, long enough to lose its lead.
 *
 * A DirectIndex finds an id's ring position (its keys compared in the ring): an account's
 * request ids mostly come one after another, a run the index keeps on neighbouring slots.
 */
import { assert } from '../assert.ts';
import { DirectIndex } from '../direct-index.ts';
import { LIMITS } from '../limits.ts';
import { hashPair } from '../pair-index.ts';

/** An outcome's slots in a snapshot (encodeOne). */
export const REQUEST_SLOTS = 6;

export class RecentRequests {
  private account = new Float64Array(0);
  private request = new Float64Array(0);
  private command = new Float64Array(0);
  private order = new Float64Array(0);
  private reason = new Float64Array(0);
  private time = new Float64Array(0);
  /** (account, request) -> ring position; a tiny one until the first id allocates the real one, so that `find` needs no special case. */
  private index = new DirectIndex(1);
  private head = 0;
  size = 0;

  /** The ring position of (account, request), or -1. */
  find(account: number, request: number): number {
    return this.findPlaced(placed(account, request), account, request);
  }

  /** `find` given (account, request)'s place in the index, which the caller needs as well. */
  private findPlaced(local: number, account: number, request: number): number {
    return this.index.find(local, this.account, account, this.request, request);
  }

  commandAt(at: number): number {
    return this.command[at];
  }

  orderAt(at: number): number {
    return this.order[at];
  }

  reasonAt(at: number): number {
    return this.reason[at];
  }

  record(account: number, request: number, command: number, order: number, reason: number, timeUs: number): void {
    const local = placed(account, request);
    assert(account > 0 && request > 0 && this.findPlaced(local, account, request) === -1, 'request recorded twice');
    if (this.account.length === 0) this.allocate();
    this.expire(timeUs);
    if (this.size === LIMITS.recentRequests) this.dropHead();
    let at = this.head + this.size;
    if (at >= this.account.length) at -= this.account.length;
    this.account[at] = account;
    this.request[at] = request;
    this.command[at] = command;
    this.order[at] = order;
    this.reason[at] = reason;
    this.time[at] = timeUs;
    this.index.insert(local, account, request, at);
    this.size++;
  }

  /**
   * Writes the `i`th oldest remembered outcome (the canonical order of a snapshot) as
   * REQUEST_SLOTS slots at `at`: account, request, command, order, reason, time.
   */
  encodeOne(i: number, slots: Float64Array, at: number): void {
    let k = this.head + i;
    if (k >= this.account.length) k -= this.account.length;
    slots[at] = this.account[k];
    slots[at + 1] = this.request[k];
    slots[at + 2] = this.command[k];
    slots[at + 3] = this.order[k];
    slots[at + 4] = this.reason[k];
    slots[at + 5] = this.time[k];
  }

  private allocate(): void {
    const n = LIMITS.recentRequests;
    this.account = new Float64Array(n);
    this.request = new Float64Array(n);
    this.command = new Float64Array(n);
    this.order = new Float64Array(n);
    this.reason = new Float64Array(n);
    this.time = new Float64Array(n);
    this.index = new DirectIndex(n);
  }

  private expire(nowUs: number): void {
    const oldest = nowUs - LIMITS.requestWindowUs;
    while (this.size > 0 && this.time[this.head] < oldest) this.dropHead();
  }

  private dropHead(): void {
    const at = this.head;
    const account = this.account[at];
    const request = this.request[at];
    const removed = this.index.remove(placed(account, request), account, request, at);
    assert(removed, 'recent request not indexed');
    this.head = at + 1 === this.account.length ? 0 : at + 1;
    this.size--;
  }
}

/**
 * Where (account, request) is placed in the index: the request id's low bits from a start of
 * the account's own (its hash, whose low bits are as mixed as its high ones), so that each
 * account's run of ids has its slots. An int32 (a sum of two could be a heap number).
 */
function placed(account: number, request: number): number {
  return ((request | 0) + hashPair(account, 0)) | 0;
}
