/** Sends a command to the node for a REST request: answered once committed, or a clear error. */
import type { Command } from '../../application/commands.ts';
import type { CommittedEntry } from '../../node/subscribers.ts';
import type { GatewayContext } from '../context.ts';
import { InFlight } from '../limits/rate-limiter.ts';
import { ApiError, nodeError } from './errors.ts';
import type { Metrics } from './metrics.ts';

export type Submit = (command: Command, account?: number) => Promise<CommittedEntry>;

export function submitter(ctx: GatewayContext, metrics: Metrics): Submit {
  const inFlight = new InFlight(ctx.limits.keyInFlight);
  return async (command, account = 0) => {
    if (!inFlight.tryEnter(account)) {
      throw new ApiError(429, 'TOO_MANY_IN_FLIGHT', `more than ${ctx.limits.keyInFlight} commands of this account are waiting to commit`);
    }
    try {
      const entry = await ctx.node.submit(command);
      metrics.commands.inc({ gateway: 'rest', type: command.type, result: 'committed' });
      return entry;
    } catch (error) {
      const e = nodeError(error, ctx.memberUrl);
      metrics.commands.inc({ gateway: 'rest', type: command.type, result: e.code });
      throw e;
    } finally {
      inFlight.leave(account);
    }
  };
}
