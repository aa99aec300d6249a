/**
 * `bourse node --config FILE`: runs one node of a cluster (its archive, replication and
 * gateways) until SIGINT or SIGTERM, then closes it cleanly (drained and synced).
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import { ConfigError, loadConfig, serverOptions } from '../node/config.ts';
import { Server } from '../node/server.ts';
import { useBatchScheduling } from './node-process.ts';

export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run one node from a config file (docs/config.md)')
    .requiredOption('--config <file>', 'the node\'s YAML or JSON config')
    .action(async (options: { config: string }) => {
      let loaded: ReturnType<typeof loadConfig>;
      try {
        loaded = loadConfig(options.config);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(`bourse node: ${error.message}`);
        process.exit(2);
      }
      const { config, secrets } = loaded;
      // JSON lines by default; readable lines on a terminal.
      const logger = pino({ level: config.logLevel, base: { node: config.nodeId },
        transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { colorize: true } } : undefined });
      const unbatched = config.scheduling === 'batch' ? useBatchScheduling() : undefined;
      if (unbatched !== undefined) logger.warn({ reason: unbatched }, 'node: stays in the normal scheduling class');
      let server: Server;
      try {
        server = await Server.start({ ...serverOptions(config, secrets), logger });
      } catch (error) {
        // A refused start (a corrupt archive, a port in use, a bad snapshot) says why and exits 1.
        logger.fatal({ error: (error as Error).message, dataDir: config.dataDir }, 'node: could not start');
        logger.flush();
        process.exit(1);
      }
      logger.info({ http: server.httpUrl, dataDir: config.dataDir }, 'node: started');
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'node: stopping');
        server.close().then(() => {
          logger.info({}, 'node: stopped');
          process.exit(0);
        }, (error: Error) => {
          logger.error({ error: error.message }, 'node: close failed');
          process.exit(1);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
