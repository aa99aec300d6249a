/**
 * `npm run sim -- [--seeds N] [--seed S] [--nodes 3|5] [--from F]`: runs simulations and
 * prints each failing seed with the command that replays it alone.
 */
import { Cluster } from './cluster.ts';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

const single = arg('seed');
const nodes = (arg('nodes') ?? 0) as 0 | 3 | 5;
const from = arg('from') ?? 1;
const count = single !== undefined ? 1 : arg('seeds') ?? 100;
let failures = 0;
const started = performance.now();
for (let k = 0; k < count; k++) {
  const seed = single ?? from + k;
  const n = nodes === 0 ? (seed % 2 === 0 ? 5 : 3) : nodes;
  const r = new Cluster({ seed, nodes: n }).run();
  if (r.violation !== undefined) {
    failures++;
    console.log(`seed ${seed} (${n} nodes) FAILED: ${r.violation}`);
    console.log(`  replay: npm run sim -- --seed ${seed} --nodes ${n}`);
  } else if (single !== undefined) {
    console.log(`seed ${seed} (${n} nodes) ok`, r.stats);
  }
}
console.log(`${count - failures}/${count} seeds passed in ${((performance.now() - started) / 1e3).toFixed(1)} s`);
process.exitCode = failures > 0 ? 1 : 0;
