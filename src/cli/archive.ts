/** `bourse archive verify|inspect|stats DIR`: read-only tools over an archive directory. */
import { type Command, InvalidArgumentError } from 'commander';
import { Archive } from '../archive/archive.ts';
import { ArchiveError } from '../archive/errors.ts';
import { EntryType } from '../archive/format.ts';
import { readMeta } from '../archive/meta.ts';
import { verifyArchive } from '../archive/verify.ts';
import { decodeEvents } from '../codec/events.ts';

const TYPE_NAMES = new Map<number, string>(Object.entries(EntryType).map(([name, code]) => [code, name]));

/** Exit codes: 0 clean, 1 the archive has problems, 2 it could not be read at all. */
async function guarded(run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (error) {
    const message = error instanceof ArchiveError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`bourse: ${message}\n`);
    // Corruption found is "problems" (1); an archive that is not there or not one, or any
    // other failure, is "could not be read" (2).
    process.exitCode = error instanceof ArchiveError && error.code !== 'NOT_AN_ARCHIVE' ? 1 : 2;
  }
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

export function registerArchiveCommands(program: Command): void {
  const archive = program.command('archive').description('check and read an archive directory (read-only)');

  archive.command('verify')
    .argument('<dir>', 'archive directory')
    .description('check every record and the index continuity; exit 0 only when clean')
    .option('--json', 'print the report as JSON')
    .action((dir: string, options: { json?: boolean }) => guarded(async () => {
      const r = await verifyArchive(dir);
      if (options.json === true) {
        process.stdout.write(JSON.stringify(r) + '\n');
      } else {
        process.stdout.write(
          `${r.clean ? 'clean' : 'NOT CLEAN'}: ${r.entries} entries, index ${r.firstIndex}..${r.lastIndex}, ` +
          `terms ${r.terms.first}..${r.terms.last} (${r.terms.changes} changes), ${r.bytes} bytes in ${r.segments} segments\n`,
        );
        for (const p of r.problems) process.stdout.write(`${p.kind}: ${p.message}\n`);
      }
      return r.clean ? 0 : 1;
    }));

  archive.command('inspect')
    .argument('<dir>', 'archive directory')
    .description('print entries as JSON lines with their decoded events')
    .option('--from <index>', 'first index', positive)
    .option('--limit <count>', 'at most this many entries', positive)
    .action((dir: string, options: { from?: number; limit?: number }) => guarded(async () => {
      // From an index, the segments before the one holding it are not read at all.
      const a = await Archive.open({ dir, mode: 'read', from: options.from });
      try {
        let left = options.limit ?? Number.MAX_SAFE_INTEGER;
        for await (const batch of a.replay(options.from ?? a.firstIndex)) {
          for (let k = 0; k < batch.count && left > 0; k++, left--) {
            const decoded = decodeEvents(batch.payload(k));
            process.stdout.write(JSON.stringify({
              index: batch.index(k), term: batch.term(k), type: TYPE_NAMES.get(batch.type(k)) ?? batch.type(k),
              timestampUs: batch.timestampUs(k),
              ...(decoded.ok ? { events: decoded.value } : { error: decoded.error }),
            }) + '\n');
          }
          if (left === 0) break;
        }
        return 0;
      } finally {
        await a.close();
      }
    }));

  archive.command('stats')
    .argument('<dir>', 'archive directory')
    .description('segments, index range, bytes and the durable term/vote')
    .action((dir: string) => guarded(async () => {
      const a = await Archive.open({ dir, mode: 'read' });
      try {
        const meta = await readMeta(dir);
        process.stdout.write(JSON.stringify({ dir, ...a.stats(), lastTerm: a.lastTerm, tornTail: a.tornTail ?? null, ...meta }) + '\n');
        return 0;
      } finally {
        await a.close();
      }
    }));
}
