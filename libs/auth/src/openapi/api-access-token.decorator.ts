import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiSecurity, type SecuritySchemeObject } from '@nestjs/swagger';
import { ApiProblemResponse } from '@app/platform';

/**
 * How a guarded request authenticates, as OAuth security schemes: a bearer device sends
 * `Authorization: Bearer <token>`, a key-bound device `Authorization: DPoP <token>` plus a proof.
 */
export const ACCESS_TOKEN_SECURITY_SCHEMES: Readonly<Record<'bearer' | 'dpop', SecuritySchemeObject>> = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The access token of a device not bound to a key (RFC 6750). Clients treat it as opaque.',
  },
  dpop: {
    type: 'http',
    // No bearerFormat: OpenAPI 3.1 allows it for the `bearer` scheme only.
    scheme: 'DPoP',
    description:
      'The access token of a key-bound device (`token_type: "DPoP"`), sent as `Authorization: DPoP <token>` with a `DPoP` proof header whose `htm`, `htu` and `ath` match the request (RFC 9449 §7). A bound token sent as Bearer is refused.',
  },
};

const DPOP_HEADER = 'DPoP';

/** The `DPoP` request header (RFC 9449 §4): a proof JWT signed by the device's key. */
export const ApiDpopProofHeader = (description: string): MethodDecorator & ClassDecorator =>
  ApiHeader({ name: DPOP_HEADER, required: false, description, schema: { type: 'string' } });

/**
 * A route behind the global guard: Bearer or DPoP access token, 401 with a challenge otherwise.
 * Every route without `@Public()` is guarded; the OpenAPI test holds the document to API.md's
 * auth column, so a guarded route that lacks this decorator fails it.
 */
export const ApiAccessToken = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiSecurity('bearer'),
    ApiSecurity('dpop'),
    ApiDpopProofHeader(
      'Required with `Authorization: DPoP` (a key-bound device): a proof for this request, with `ath` (RFC 9449 §4.2, §7).',
    ),
    ApiProblemResponse(
      401,
      'Missing, malformed, expired, forged or revoked access token, or a failed DPoP proof; `WWW-Authenticate` says which kind (RFC 6750 §3, RFC 9449 §7.1). With `DPOP_NONCE=true` a proof without a current nonce also answers 401, with `DPoP-Nonce`.',
      'WWW-Authenticate',
      'DPoP-Nonce',
    ),
    ApiProblemResponse(
      429,
      "A key-bound device's key is over its share of the server's DPoP replay cache (a flood of fresh proofs from one key): retry after `Retry-After` seconds.",
      'Retry-After',
    ),
  );
