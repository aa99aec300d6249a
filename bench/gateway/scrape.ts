/** A node's Prometheus exposition (/metrics), read by the bench between phases. */

/** Each sample of metric `name` on the node at `url`: its labels as written, and its value. */
export async function samples(url: string, name: string): Promise<{ labels: string; value: number }[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null || match[1] !== name) continue;
    out.push({ labels: match[2] ?? '', value: Number(match[3]) });
  }
  return out;
}
