/** Health, metrics and the node's replication status: open to all (no secrets in them). */
import { z } from 'zod';
import type { GatewayContext } from '../../context.ts';
import type { Api } from '../api.ts';
import type { Metrics } from '../metrics.ts';

const Cluster = z.object({
  nodeId: z.number(), role: z.string(), term: z.number(), leaderId: z.number(), leaderUrl: z.string().nullable(),
  commitIndex: z.number(), lastIndex: z.number(), appliedIndex: z.number(), viewIndex: z.number(),
  followers: z.array(z.object({ id: z.number(), url: z.string().nullable(), matchIndex: z.number(), lag: z.number(), connected: z.boolean() })),
});

export function systemRoutes(api: Api, ctx: GatewayContext, metrics: Metrics): void {
  api.get('/healthz', {
    schema: { tags: ['system'], summary: 'Liveness: 200 while the node runs, 503 once it failed',
      response: { 200: z.object({ status: z.string(), role: z.string() }), 503: z.object({ status: z.string(), role: z.string(), failure: z.string() }) } },
  }, async (_request, reply) => {
    const s = ctx.node.status();
    if (s.failure !== undefined) return reply.code(503).send({ status: 'failed', role: s.role, failure: s.failure });
    return reply.send({ status: 'ok', role: s.role });
  });

  api.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  api.get('/v1/cluster', {
    schema: { tags: ['system'], summary: 'This node\'s replication status', response: { 200: Cluster } },
  }, () => {
    const s = ctx.node.status();
    return {
      nodeId: ctx.node.nodeId, role: s.role, term: s.term, leaderId: s.leaderId, leaderUrl: s.leaderId === 0 ? null : ctx.memberUrl(s.leaderId) ?? null,
      commitIndex: s.commitIndex, lastIndex: s.lastIndex, appliedIndex: s.applied, viewIndex: ctx.view.lastIndex,
      followers: s.followers.map((f) => ({ id: f.id, url: ctx.memberUrl(f.id) ?? null, matchIndex: f.match, lag: f.lag, connected: f.connected })),
    };
  });
}
