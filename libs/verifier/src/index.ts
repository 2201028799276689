export { AccessDenied, DPOP_ALGORITHMS, type AccessDeniedReason } from './access-denied.error.js';
export { createVerifier, DeviceAuthVerifier, type VerifiableRequest, type VerifierOptions } from './device-auth-verifier.js';
export type { DevicePrincipal } from './device-principal.js';
export type { RevocationFeedOptions } from './revocation-feed-follower.js';
export { expressMiddleware, type ResponseLike } from './adapters/express-middleware.js';
export { fastifyHook, fastifyPlugin, type FastifyInstanceLike, type FastifyReplyLike } from './adapters/fastify-plugin.js';
export { DeviceAuthGuard, type HttpExecutionContextLike } from './adapters/device-auth.guard.js';
export type { AdapterOptions, IncomingRequestLike } from './adapters/http-request.js';
