import type { HeaderObject } from '@nestjs/swagger';

/**
 * The response headers of API.md that carry meaning for a client, as reusable OpenAPI header
 * components (`#/components/headers/<name>`). Responses name them with `wireHeader(name)`.
 */
export const WIRE_HEADERS = {
  'X-Request-Id': {
    description: "Every response: the client's own `X-Request-Id` when it sent a well-formed one, else a new id. Logs carry the same id.",
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again (RFC 9110 §10.2.3).',
    schema: { type: 'integer', minimum: 1 },
  },
  'WWW-Authenticate': {
    description:
      'RFC 6750 §3 / RFC 9449 §7.1 challenge: `Bearer error="invalid_token"` for a missing, malformed, expired, forged or revoked token; `DPoP error="invalid_dpop_proof"|"use_dpop_nonce"|"invalid_token", algs="…"` when a key-bound token\'s proof fails.',
    schema: { type: 'string' },
  },
  'DPoP-Nonce': {
    description: 'RFC 9449 §8: the server nonce to put in the next DPoP proof (with `DPOP_NONCE=true`).',
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: 'Token responses and token-endpoint errors are `no-store` (RFC 6749 §5.1).',
    schema: { type: 'string' },
  },
} as const satisfies Record<string, HeaderObject>;

export type WireHeaderName = keyof typeof WIRE_HEADERS;

/** A response's `headers` map referring to the components above. */
export function wireHeaders(...names: WireHeaderName[]): Record<string, { $ref: string }> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}
