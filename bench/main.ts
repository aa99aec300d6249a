/** `npm run bench -- NAME [--json] [--quick]`: runs one benchmark program and prints its figures. */
import { benchArchive } from './archive/run.ts';
import { benchGateway } from './gateway/run.ts';
import { benchMatching } from './matching/run.ts';
import { benchNode } from './node/run.ts';
import { benchReplication } from './replication/run.ts';
import type { BenchOptions } from './stats.ts';

const BENCHES: Record<string, (options: BenchOptions) => void | Promise<void>> = {
  matching: benchMatching,
  archive: benchArchive,
  node: benchNode,
  replication: benchReplication,
  gateway: benchGateway,
};

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const options: BenchOptions = { json: args.includes('--json'), quick: args.includes('--quick') };
const bench = name === undefined ? undefined : BENCHES[name];
if (bench === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [--json] [--quick]`);
  process.exit(2);
}
await bench(options);
