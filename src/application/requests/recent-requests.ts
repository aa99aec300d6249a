/**
 * The recent client request ids of all accounts, so that a retried command (the same account
 * and request id, say resent to a new leader after a failover) answers with the first outcome
 * and runs nothing. Expiry is deterministic, driven by the recorded commands alone: an id is
 * forgotten once it is LIMITS.requestWindowUs older (by command time) than a newly recorded
 * one, or once LIMITS.recentRequests newer ids were recorded. A FIFO ring in typed arrays,
 * allocated whole with the first id: growing it (and re-indexing) on the command path stalled
 * a node for 200 ms at a million ids, long enough to lose its lead.
 *
 * A hash index finds an id's ring position. Its entries hold only the key's hash and the
 * position, 8 bytes, and keys are compared in the ring, so that the index takes 4 MB: a
 * PairIndex, with the keys in it, took 10 MB, past what the TLB covers, and a record (which
 * inserts one id and deletes the oldest, both at random places) waited on two memory misses of
 * ~150 ns; it took about twice as long as it does now.
 */
import { assert } from '../assert.ts';
import { LIMITS } from '../limits.ts';
import { hashPair, staysPut } from '../pair-index.ts';

export interface RequestOutcome {
  account: number;
  request: number;
  command: number;
  order: number;
  reason: number;
  timeUs: number;
}

/**
 * An index entry is two int32s, side by side so that a probe reads one cache line: the key's
 * hash (a miss need not read the ring, a deletion shifts entries back without rehashing), then
 * the ring position + 1 (0 marks a free entry).
 */
const SHIFT = 1;
const STRIDE = 1 << SHIFT;
const AT = 1;

export class RecentRequests {
  private account = new Float64Array(0);
  private request = new Float64Array(0);
  private command = new Float64Array(0);
  private order = new Float64Array(0);
  private reason = new Float64Array(0);
  private time = new Float64Array(0);
  /**
   * (account, request) -> ring position: open addressing, linear probing, load ≤ 0.5. One free
   * entry until the first id allocates the table, so that `find` needs no special case.
   */
  private index = new Int32Array(STRIDE);
  /** Masks an offset into `index` to an entry's start: (entries - 1) * STRIDE. */
  private mask = 0;
  private head = 0;
  size = 0;

  /** The ring position of (account, request), or -1. */
  find(account: number, request: number): number {
    const index = this.index;
    const mask = this.mask;
    const hash = hashPair(account, request);
    for (let i = (hash << SHIFT) & mask; ; i = (i + STRIDE) & mask) {
      const at = index[i + AT] - 1;
      if (at < 0) return -1;
      if (index[i] === hash && this.account[at] === account && this.request[at] === request) return at;
    }
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
    this.indexAt(at, hashPair(account, request));
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

  private allocate(): void {
    const n = LIMITS.recentRequests;
    this.account = new Float64Array(n);
    this.request = new Float64Array(n);
    this.command = new Float64Array(n);
    this.order = new Float64Array(n);
    this.reason = new Float64Array(n);
    this.time = new Float64Array(n);
    let entries = 16;
    while (entries < n * 2) entries *= 2;
    this.index = new Int32Array(entries * STRIDE);
    this.mask = (entries - 1) * STRIDE;
  }

  private expire(nowUs: number): void {
    const oldest = nowUs - LIMITS.requestWindowUs;
    while (this.size > 0 && this.time[this.head] < oldest) this.dropHead();
  }

  private dropHead(): void {
    const at = this.head;
    this.unindex(at);
    this.head = at + 1 === this.account.length ? 0 : at + 1;
    this.size--;
  }

  /** Indexes ring position `at` under `hash`, its key known to be new (record asserted it). */
  private indexAt(at: number, hash: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = (hash << SHIFT) & mask;
    while (index[i + AT] !== 0) i = (i + STRIDE) & mask;
    index[i] = hash;
    index[i + AT] = at + 1;
  }

  /** Deletes ring position `at` from the index (found by its position: no key to compare). */
  private unindex(at: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = (hashPair(this.account[at], this.request[at]) << SHIFT) & mask;
    for (;;) {
      const entry = index[i + AT];
      if (entry === at + 1) break;
      assert(entry !== 0, 'recent request not indexed');
      i = (i + STRIDE) & mask;
    }
    // Backward shift: move later members of the probe run into the hole when their home allows.
    let j = i;
    for (;;) {
      j = (j + STRIDE) & mask;
      const entry = index[j + AT];
      if (entry === 0) break;
      const home = (index[j] << SHIFT) & mask;
      if (staysPut(i, j, home)) continue;
      index[i] = index[j];
      index[i + AT] = entry;
      i = j;
    }
    index[i + AT] = 0;
  }
}
