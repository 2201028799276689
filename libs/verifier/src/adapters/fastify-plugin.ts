import { AccessDenied } from '../access-denied.error.js';
import type { DeviceAuthVerifier } from '../device-auth-verifier.js';
import type { DevicePrincipal } from '../device-principal.js';
import { verifiableRequestOf, type AdapterOptions, type IncomingRequestLike } from './http-request.js';

type FastifyRequestLike = IncomingRequestLike & { auth?: DevicePrincipal | null };

/** The parts of a Fastify reply the hook writes. */
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(body: unknown): FastifyReplyLike;
}

/** The parts of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  decorateRequest(name: string, value: unknown): unknown;
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>): unknown;
}

/**
 * A Fastify `onRequest` hook: a request with a good access token goes on with `request.auth`
 * set; any other is answered 401 (or 503) with its challenge.
 *
 *     app.addHook('onRequest', fastifyHook(verifier));
 */
export function fastifyHook(
  verifier: DeviceAuthVerifier,
  options: AdapterOptions = {},
): (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike | undefined> {
  return async (request, reply) => {
    try {
      request.auth = await verifier.verifyRequest(verifiableRequestOf(request, options));
      return undefined;
    } catch (error) {
      if (!(error instanceof AccessDenied)) throw error;
      return reply
        .code(error.status)
        .headers({ ...error.headers, 'cache-control': 'no-store' })
        .send(error.toJSON());
    }
  };
}

/**
 * The same as a Fastify plugin, applied to the scope that registers it and its children
 * (it opts out of encapsulation as fastify-plugin would), decorating `request.auth`:
 *
 *     await app.register(fastifyPlugin(verifier));
 *
 * No import of fastify at run time: the package does not depend on it.
 */
export function fastifyPlugin(verifier: DeviceAuthVerifier, options: AdapterOptions = {}): (instance: unknown) => Promise<void> {
  // `unknown`: any Fastify version's instance type is accepted where a plugin is registered.
  const plugin = async (instance: unknown) => {
    const fastify = instance as FastifyInstanceLike;
    fastify.decorateRequest('auth', null);
    fastify.addHook('onRequest', fastifyHook(verifier, options));
  };
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@device-auth/verifier' });
  return plugin;
}
