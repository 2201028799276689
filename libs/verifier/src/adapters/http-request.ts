import type { VerifiableRequest } from '../device-auth-verifier.js';

/** The parts of a Node, Express or Fastify request the adapters read. */
export interface IncomingRequestLike {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Express: the URL before any router stripped its mount path. */
  readonly originalUrl?: string;
  readonly url?: string;
  /** Express and Fastify: `http` or `https` (their trust-proxy settings apply). */
  readonly protocol?: string;
}

export interface AdapterOptions {
  /**
   * This service's external base URL (`https://orders.example.com`), for DPoP's `htu`. Without
   * it, the request's own scheme and `Host` header are used.
   */
  readonly publicUrl?: string;
}

/** A framework's request as the verifier reads it. */
export function verifiableRequestOf(request: IncomingRequestLike, options: AdapterOptions): VerifiableRequest {
  const path = request.originalUrl ?? request.url ?? '/';
  const authorization = request.headers.authorization;
  const base =
    options.publicUrl?.replace(/\/+$/, '') ??
    `${request.protocol === 'https' ? 'https' : 'http'}://${String(request.headers.host ?? 'localhost')}`;
  return {
    // Several Authorization headers are no valid credential.
    authorization: typeof authorization === 'string' ? authorization : undefined,
    dpop: request.headers.dpop,
    method: request.method ?? 'GET',
    url: `${base}${path.startsWith('/') ? path : `/${path}`}`,
  };
}
