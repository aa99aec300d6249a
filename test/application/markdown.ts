/**
 * A tiny reader for scenario files: `## ` headings start scenarios; a line ending in ':'
 * followed by a Markdown table is a section. Everything else is prose for the reader.
 */
export interface Table {
  columns: string[];
  rows: Record<string, string>[];
}

export interface Scenario {
  file: string;
  name: string;
  line: number;
  sections: Map<string, Table>;
  /** Single-line settings such as "Product: maker bps = -5, taker bps = 20". */
  settings: Map<string, string>;
}

function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split('|').map((c) => c.trim());
}

export function parseScenarios(file: string, text: string): Scenario[] {
  const lines = text.split('\n');
  const scenarios: Scenario[] = [];
  let current: Scenario | undefined;
  let pendingSection: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = /^##\s+(.+)$/.exec(line);
    if (heading !== null) {
      current = { file, name: heading[1].trim(), line: i + 1, sections: new Map(), settings: new Map() };
      scenarios.push(current);
      pendingSection = undefined;
      continue;
    }
    if (current === undefined) continue;
    const trimmed = line.trim();
    const setting = /^([A-Za-z ]+):\s*(\S.*)$/.exec(trimmed);
    if (setting !== null && !trimmed.startsWith('|')) {
      current.settings.set(setting[1].trim().toLowerCase(), setting[2].trim());
      continue;
    }
    if (/^[A-Za-z][A-Za-z ]*:$/.test(trimmed)) {
      pendingSection = trimmed.slice(0, -1).trim().toLowerCase();
      continue;
    }
    if (trimmed.startsWith('|') && pendingSection !== undefined) {
      const columns = cells(trimmed).map((c) => c.toLowerCase());
      const rows: Record<string, string>[] = [];
      i += 2; // skip the header's separator row
      while (i < lines.length && lines[i].trim().startsWith('|')) {
        const values = cells(lines[i]);
        const row: Record<string, string> = {};
        columns.forEach((c, k) => (row[c] = values[k] ?? ''));
        rows.push(row);
        i++;
      }
      i--;
      if (current.sections.has(pendingSection)) throw new Error(`${file}:${i + 1}: section "${pendingSection}" twice`);
      current.sections.set(pendingSection, { columns, rows });
      pendingSection = undefined;
    }
  }
  return scenarios;
}
