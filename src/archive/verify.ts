/** A full check of an archive directory, changing nothing: what `bourse archive verify` prints. */
import { Archive } from './archive.ts';
import { EntryType } from './format.ts';

export interface VerifyReport {
  dir: string;
  clean: boolean;
  segments: number;
  entries: number;
  firstIndex: number;
  lastIndex: number;
  bytes: number;
  terms: { first: number; last: number; changes: number };
  entryTypes: Record<string, number>;
  problems: { kind: string; code: string; message: string; file?: string; offset?: number; index?: number }[];
}

const TYPE_NAMES = new Map<number, string>(Object.entries(EntryType).map(([name, code]) => [code, name]));

export async function verifyArchive(dir: string): Promise<VerifyReport> {
  const archive = await Archive.open({ dir, mode: 'report' });
  try {
    const report: VerifyReport = {
      dir, clean: true, segments: archive.stats().segments, entries: 0, firstIndex: archive.firstIndex,
      lastIndex: archive.lastIndex, bytes: archive.stats().bytes, terms: { first: 0, last: 0, changes: 0 },
      entryTypes: {}, problems: [],
    };
    for await (const batch of archive.replay(archive.firstIndex, archive.lastIndex)) {
      for (let k = 0; k < batch.count; k++) {
        const term = batch.term(k);
        if (report.entries === 0) report.terms.first = term;
        else if (term !== report.terms.last) report.terms.changes++;
        report.terms.last = term;
        const type = TYPE_NAMES.get(batch.type(k)) ?? `type ${batch.type(k)}`;
        report.entryTypes[type] = (report.entryTypes[type] ?? 0) + 1;
        report.entries++;
      }
    }
    const finding = archive.finding;
    if (finding !== undefined) {
      const e = finding.error;
      report.problems.push({ kind: finding.kind, code: e.code, message: e.message, file: e.file, offset: e.offset, index: e.index });
      report.clean = false;
    }
    if (report.entries > 0 && report.entries !== report.lastIndex - report.firstIndex + 1) {
      report.problems.push({ kind: 'corruption', code: 'GAP', message: 'entries do not cover the index range' });
      report.clean = false;
    }
    return report;
  } finally {
    await archive.close();
  }
}
