/**
 * The recent client request ids of all accounts, so that a retried command (the same account
 * and request id, say resent to a new leader after a failover) answers with the first outcome
 * and runs nothing. Expiry is deterministic, driven by the recorded commands alone: an id is
 * forgotten once it is LIMITS.requestWindowUs older (by command time) than a newly recorded
 * one, or once LIMITS.recentRequests newer ids were recorded. A FIFO ring in typed arrays,
 * grown by doubling as it fills; a pair index finds an id's ring position.
 */
import { assert } from '../assert.ts';
import { grow } from '../grow.ts';
import { LIMITS } from '../limits.ts';
import { PairIndex } from '../pair-index.ts';

export interface RequestOutcome {
  account: number;
  request: number;
  command: number;
  order: number;
  reason: number;
  timeUs: number;
}

export class RecentRequests {
  private account = new Float64Array(1024);
  private request = new Float64Array(1024);
  private command = new Float64Array(1024);
  private order = new Float64Array(1024);
  private reason = new Float64Array(1024);
  private time = new Float64Array(1024);
  /** (account, request) -> ring position. */
  private index = new PairIndex(1024);
  private head = 0;
  size = 0;

  /** The ring position of (account, request), or -1. */
  find(account: number, request: number): number {
    return this.index.get(account, request);
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
    assert(account > 0 && request > 0 && this.find(account, request) === -1, 'request recorded twice');
    this.expire(timeUs);
    if (this.size === LIMITS.recentRequests) this.dropHead();
    if (this.size === this.account.length) this.grow();
    const at = (this.head + this.size) % this.account.length;
    this.account[at] = account;
    this.request[at] = request;
    this.command[at] = command;
    this.order[at] = order;
    this.reason[at] = reason;
    this.time[at] = timeUs;
    this.index.set(account, request, at);
    this.size++;
  }

  /** Every remembered outcome, oldest first (the canonical order of a snapshot). */
  *entries(): Generator<RequestOutcome> {
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) % this.account.length;
      yield { account: this.account[at], request: this.request[at], command: this.command[at], order: this.order[at],
        reason: this.reason[at], timeUs: this.time[at] };
    }
  }

  private expire(nowUs: number): void {
    const oldest = nowUs - LIMITS.requestWindowUs;
    while (this.size > 0 && this.time[this.head] < oldest) this.dropHead();
  }

  private dropHead(): void {
    const at = this.head;
    this.index.delete(this.account[at], this.request[at]);
    this.head = (at + 1) % this.account.length;
    this.size--;
  }

  /** Doubles the ring, laid out from position 0 again, and re-indexes it. */
  private grow(): void {
    const capacity = Math.min(this.account.length * 2, LIMITS.recentRequests);
    const arrays = [this.account, this.request, this.command, this.order, this.reason, this.time];
    const [account, request, command, order, reason, time] = arrays.map((a) => {
      const straight = new Float64Array(a.length);
      straight.set(a.subarray(this.head));
      straight.set(a.subarray(0, this.head), a.length - this.head);
      return grow(straight, capacity);
    });
    this.account = account; this.request = request; this.command = command;
    this.order = order; this.reason = reason; this.time = time;
    this.head = 0;
    this.index = new PairIndex(capacity);
    for (let at = 0; at < this.size; at++) this.index.set(this.account[at], this.request[at], at);
  }
}
