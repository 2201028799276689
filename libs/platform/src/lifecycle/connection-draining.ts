import type { FastifyInstance } from 'fastify';

/** How often a draining server looks for kept-alive connections that have gone idle. */
const IDLE_SWEEP_MS = 50;

/**
 * Lets a stopping server end as soon as its requests are done. Node's `server.close()` closes
 * the connections idle at that instant, but a connection busy then stays open after its
 * response (keep-alive, 72 s in Fastify) and holds the close — measured: a SIGTERM during
 * sign-ins waited out the whole SHUTDOWN_TIMEOUT. So, once closing starts: every response
 * says `Connection: close` (the client opens a new connection, to another instance), and
 * connections that went idle anyway are closed as they do.
 */
export function drainConnectionsOnClose(fastify: FastifyInstance): void {
  let draining = false;
  fastify.addHook('preClose', (done) => {
    draining = true;
    const server = fastify.server;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('Connection', 'close');
    done(null, payload);
  });
}
