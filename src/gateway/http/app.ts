/**
 * The REST + WebSocket gateway of a node (fastify): schemas at the edge (zod, also the source
 * of the OpenAPI document at /docs), one error shape, limits on every input. Reads come from
 * the node's committed view; commands go to the node and are answered once committed.
 */
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import {
  type ZodTypeProvider,
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { GatewayContext } from '../context.ts';
import { RateLimiter } from '../limits/rate-limiter.ts';
import { hook } from './auth.ts';
import { ApiError } from './errors.ts';
import { watchGcPauses } from './gc-pauses.ts';
import { LATENCY_BUCKETS, type Metrics, watchNode } from './metrics.ts';
import { adminRoutes } from './routes/admin.ts';
import { marketRoutes } from './routes/market.ts';
import { systemRoutes } from './routes/system.ts';
import { tradingRoutes } from './routes/trading.ts';
import { submitter } from './submit.ts';
import { webSocketRoutes } from './ws.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received (signed requests sign it). */
    rawBody: string;
    /** The account of a signed request's API key (0 before authentication). */
    account: number;
  }
}

export interface HttpGateway {
  app: FastifyInstance;
  metrics: Metrics;
}

export async function buildHttpGateway(ctx: GatewayContext, metrics: Metrics): Promise<HttpGateway> {
  const app = Fastify({
    bodyLimit: ctx.limits.maxBodyBytes, logger: false, return503OnClosing: true, forceCloseConnections: true,
    // Refused before routing (a bad percent-encoding, a path parameter over 100 characters): the one error shape too.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      void reply.code(status).send(new ApiError(status, error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'PARAMETER_TOO_LONG' : 'BAD_URL', error.message).body());
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('rawBody', '');
  app.decorateRequest('account', 0);
  // JSON bodies only: a body of any other type (fastify parses text/plain by default) would not be the signed rawBody.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, (body as string).length === 0 ? undefined : JSON.parse(body as string));
    } catch {
      done(new ApiError(400, 'BAD_JSON', 'the request body is not valid JSON'), undefined);
    }
  });
  watchNode(metrics, ctx);
  const stopGcPauses = watchGcPauses(metrics.registry, LATENCY_BUCKETS);
  app.addHook('onClose', (_instance, done) => {
    stopGcPauses();
    done();
  });
  const addresses = new RateLimiter(ctx.limits.addressRatePerSec, ctx.limits.addressBurst);
  app.addHook('onRequest', hook((request) => {
    if (!addresses.take(request.ip, ctx.nowMs())) throw new ApiError(429, 'RATE_LIMITED', 'too many requests from this address; slow down');
  }));
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
    done();
  });
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.body());
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0];
      // instancePath is "/" for the whole body (or query...), "/price" for a field of it.
      const path = (issue?.instancePath ?? '').split('/').filter((p) => p !== '').join('.');
      const context = error.validationContext ?? 'request';
      const where = path === '' ? context : `${context}.${path}`;
      return reply.code(400).send(new ApiError(400, 'INVALID_REQUEST', `${where}: ${issue?.message ?? 'invalid'}`).body());
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      const code = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'BODY_TOO_LARGE' : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
      const message = code === 'UNSUPPORTED_MEDIA_TYPE' ? 'request bodies are JSON: content-type: application/json' : error.message;
      return reply.code(error.statusCode).send(new ApiError(error.statusCode, code, message).body());
    }
    ctx.logger.error({ err: error.message, url: request.url }, 'gateway: request failed');
    return reply.code(500).send(new ApiError(500, 'INTERNAL', 'the request failed inside the server').body());
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(new ApiError(404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`).body());
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Bourse API', version: '1', description: 'Order entry, market data and administration of a Bourse exchange node.' },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'bourse-key', description: 'with bourse-timestamp and bourse-signature: see docs/rest.md' },
          admin: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: ctx.limits.wsMaxMessageBytes } });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  systemRoutes(typed, ctx, metrics);
  marketRoutes(typed, ctx);
  const submit = submitter(ctx, metrics);
  tradingRoutes(typed, ctx, submit);
  adminRoutes(typed, ctx, submit);
  webSocketRoutes(typed, ctx, metrics);
  app.get('/docs', { schema: { hide: true } }, () => app.swagger());
  await app.ready();
  return { app, metrics };
}
