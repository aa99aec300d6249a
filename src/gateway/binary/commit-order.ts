/**
 * One connection's reports, in commit order, each once.
 *
 * The reports themselves come from one source: the committed view's updates of the account
 * (orders as each event left them). What the view cannot say is which of them answer this
 * connection's requests, nor the answers that change no order (a Duplicate, a CancelAll that
 * found nothing): for that, each submit's committed entry gives the request's entry index and
 * outcome. The view tags an account's updates of an entry with the entry's request id if the
 * account sent it, else 0 (view/updates.ts), so per entry:
 *
 * - one of this connection's requests committed in it: the updates are its answer;
 * - tagged 0: they are unsolicited (another account's command, an admin's, a trigger);
 * - tagged with another request: another connection of the account sent it; its answer goes
 *   there, not here.
 *
 * The two sources run on different schedules: the node resolves a submit's promise (a
 * microtask) and then, in the same synchronous step, hands the entry to the view, whose
 * listeners run at once. So both are collected here and handed out together later, in a
 * macrotask, merged by entry index, and only up to the view's last entry: by then every answer
 * of an entry the view has applied has arrived (the node resolves it before anyone can see the
 * entry committed), and an answer of an entry the view has not reached yet waits for it.
 */
import { assert, fail } from '../../application/assert.ts';
import type { Outcome } from '../outcome.ts';
import type { AccountUpdate } from '../view/updates.ts';
import type { ExecutionReport } from './messages.ts';
import { ReportList, type UnitsOf, answerWithoutUpdates, appendReports } from './reports.ts';

/** A request of the connection, committed. */
export interface Answer {
  request: number;
  entryIndex: number;
  timestampUs: number;
  outcome: Outcome;
  cancelAll: boolean;
}

/** Reports are lent: they are reused once the call returns. */
export interface ReportSink {
  /** A request's reports, `reports[0, count)`, the last one marked `last`. */
  answer(request: number, reports: readonly ExecutionReport[], count: number): void;
  unsolicited(report: ExecutionReport): void;
}

export class CommitOrder {
  /**
   * The account's updates not handed out yet, in commit order (those of the entries of one
   * turn): updates[0, updateCount). Both arrays keep their size from drain to drain: shortened,
   * they gave back their storage and took new as they filled again. A slot handed out is
   * cleared: held on to until overwritten, what it referred to lived into the next scavenge.
   */
  private readonly updates: (AccountUpdate | undefined)[] = [];
  private updateCount = 0;
  /** Answers not handed out yet, in commit order: answers[answersHead, answerCount), at most the session's requests in flight. */
  private readonly answers: (Answer | undefined)[] = [];
  private answersHead = 0;
  private answerCount = 0;
  /** Entries up to here have been handed out. */
  private drainedIndex = 0;
  private readonly reports = new ReportList();

  /** An update of the account from the view (balances have no report: the view gives none). */
  onUpdate(update: AccountUpdate): void {
    this.updates[this.updateCount++] = update;
  }

  /** A request of the connection committed. */
  onAnswer(answer: Answer): void {
    assert(answer.entryIndex > this.drainedIndex, 'an answer arrives before its entry is handed out');
    assert(this.answerCount === 0 || (this.answers[this.answerCount - 1] as Answer).entryIndex < answer.entryIndex, 'answers arrive in commit order');
    this.answers[this.answerCount++] = answer;
  }

  /** Answers wait for the view to reach their entries. */
  get waiting(): boolean {
    return this.answersHead < this.answerCount;
  }

  /** Hands out the reports of every entry up to `horizon` (the view's last entry), in entry order. */
  drain(horizon: number, unitsOf: UnitsOf, sink: ReportSink): void {
    const { answers, updateCount } = this;
    const updates = this.updates as AccountUpdate[];
    let u = 0;
    // Bounded: each pass consumes an answer or at least one update.
    for (;;) {
      const answer = this.answersHead < this.answerCount ? answers[this.answersHead] : undefined;
      const entry = Math.min(answer?.entryIndex ?? Infinity, u < updateCount ? updates[u].entryIndex : Infinity);
      if (entry > horizon) break;
      let end = u;
      while (end < updateCount && updates[end].entryIndex === entry) end++;
      const tag = end > u ? updates[u].request : 0;
      if (end > u && tag === 0) {
        this.reports.clear();
        appendReports(updates, u, end, 0, unitsOf, this.reports);
        for (let i = 0; i < this.reports.count; i++) sink.unsolicited(this.reports.items[i]);
      }
      if (answer !== undefined && answer.entryIndex === entry) {
        answers[this.answersHead++] = undefined;
        this.answerOf(answer, u, tag === answer.request ? end : u, unitsOf);
        sink.answer(answer.request, this.reports.items, this.reports.count);
      }
      u = end;
    }
    this.drainedIndex = Math.max(this.drainedIndex, horizon);
    // The rest move to the front in place (a splice would make an array of the removed).
    updates.copyWithin(0, u, updateCount);
    this.updateCount = updateCount - u;
    this.updates.fill(undefined, this.updateCount, updateCount);
    if (this.answersHead === this.answerCount) {
      this.answerCount = 0;
      this.answersHead = 0;
    }
  }

  /** Makes the reports of `answer`: those of `updates[from, to)`, or the one an answer without updates has. */
  private answerOf(answer: Answer, from: number, to: number, unitsOf: UnitsOf): void {
    const reports = this.reports;
    reports.clear();
    appendReports(this.updates as AccountUpdate[], from, to, answer.request, unitsOf, reports);
    if (reports.count === 0 && !answerWithoutUpdates(answer.outcome, answer.cancelAll, answer.request, answer.entryIndex, answer.timestampUs, reports)) {
      fail(`request ${answer.request} (entry ${answer.entryIndex}) has no report`);
    }
    reports.items[reports.count - 1].last = 1;
  }
}
