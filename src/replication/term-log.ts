/**
 * The consensus core's view of the log: each entry's term, kept as runs (a term and the
 * first index it covers) — terms change rarely, so this stays tiny however long the log.
 * Entry payloads are not here: the core never needs them.
 */
import { assert } from '../application/assert.ts';

export class TermLog {
  /** runs[k] = [term, firstIndex]; first indexes increase, terms never decrease. */
  private readonly terms: number[] = [];
  private readonly starts: number[] = [];
  lastIndex = 0;

  /** A log holding entries 1..lastIndex with the given runs (e.g. read from the archive). */
  static from(runs: readonly { term: number; firstIndex: number }[], lastIndex: number): TermLog {
    const log = new TermLog();
    for (const r of runs) {
      if (r.firstIndex > lastIndex) break;
      log.terms.push(r.term);
      log.starts.push(r.firstIndex);
    }
    log.lastIndex = lastIndex;
    return log;
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex);
  }

  /** The term of entry `index`; 0 for index 0 (before the log). */
  termAt(index: number): number {
    if (index <= 0 || index > this.lastIndex) return 0;
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.terms[lo];
  }

  /** The first index of the run that holds `index` (for a follower's rejection hint). */
  runStart(index: number): number {
    for (let k = this.starts.length - 1; k >= 0; k--) if (this.starts[k] <= index) return this.starts[k];
    return 1;
  }

  append(term: number, count: number): void {
    if (count <= 0) return;
    const last = this.terms.length - 1;
    assert(last < 0 || term >= this.terms[last], 'a log term may not go back');
    if (last < 0 || this.terms[last] !== term) {
      this.terms.push(term);
      this.starts.push(this.lastIndex + 1);
    }
    this.lastIndex += count;
  }

  truncateAfter(index: number): void {
    assert(index >= 0 && index <= this.lastIndex, 'truncation outside the log');
    while (this.starts.length > 0 && this.starts[this.starts.length - 1] > index) {
      this.starts.pop();
      this.terms.pop();
    }
    this.lastIndex = index;
  }

  /** The runs, for persisting or checking. */
  runs(): { term: number; firstIndex: number }[] {
    return this.terms.map((term, k) => ({ term, firstIndex: this.starts[k] }));
  }
}
