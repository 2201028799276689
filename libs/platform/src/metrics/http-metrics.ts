import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from './metrics-registry.js';

/** Requests no route matched (404s, scans): one label for all of them. */
const UNMATCHED_ROUTE = 'unmatched';

/** Counts every answered request into the latency histogram, by route template. */
export function measureRequests(fastify: FastifyInstance, metrics: MetricsRegistry): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
