/** The `bourse` command line. Subcommands are added by the modules they drive. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerArchiveCommands } from './archive.ts';
import { registerClientCommands } from './client-commands.ts';
import { registerNodeCommand } from './node.ts';
import { registerStartCommand } from './start.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('bourse')
  .description('Bourse: a replicated trading engine')
  .version(pkg.version)
  .showHelpAfterError()
  // Usage errors exit 2: 1 means "the command ran and found problems".
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

registerArchiveCommands(program);
registerNodeCommand(program);
registerStartCommand(program);
registerClientCommands(program);

await program.parseAsync(process.argv);
