/** The nodes' Prometheus expositions (/metrics), read by the bench around each phase. */

/** One node's samples by metric name: each with its labels as written, and its value. */
export type Exposition = Map<string, { labels: string; value: number }[]>;

/** Every node's exposition, one request each: the phase figures are all read from these. */
export async function scrape(urls: readonly string[]): Promise<Exposition[]> {
  return Promise.all(urls.map(async (url) => {
    const exposition: Exposition = new Map();
    for (const line of (await (await fetch(`${url}/metrics`)).text()).split('\n')) {
      const match = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (match === null) continue;
      const list = exposition.get(match[1]) ?? [];
      list.push({ labels: match[2] ?? '', value: Number(match[3]) });
      exposition.set(match[1], list);
    }
    return exposition;
  }));
}

/** The first sample of `name` on each node (`missing` where it has none). */
export function firstValues(nodes: readonly Exposition[], name: string, missing: number): number[] {
  return nodes.map((e) => e.get(name)?.[0]?.value ?? missing);
}
