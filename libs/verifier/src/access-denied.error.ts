import { DPOP_SIGNING_ALGORITHMS } from './core/dpop-algorithms.js';

/** Why a request was refused; `error` is the RFC 6750 / RFC 9449 error code. */
export type AccessDeniedReason = 'invalid_token' | 'invalid_dpop_proof' | 'revocations_unknown' | 'busy';

/** The algorithms DPoP proofs may be signed with (API.md § Device-bound tokens), as the API's challenges name them. */
export const DPOP_ALGORITHMS = DPOP_SIGNING_ALGORITHMS;

/**
 * A refused request, with the answer it should get: `status` (401, or 503 while the revocation
 * feed is out of reach and the verifier fails closed, or while the DPoP replay cache is full),
 * the `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9449 §7.1), and `Retry-After` for a 503.
 * Shaped like an http-errors error (`status`, `statusCode`, `expose`), so frameworks that know
 * those (Express's default handler, NestJS's exception filter) answer with its status.
 */
export class AccessDenied extends Error {
  readonly status: 401 | 503;
  readonly statusCode: 401 | 503;
  readonly expose = true;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly reason: AccessDeniedReason,
    message: string,
    /** For a failed DPoP check: the challenge is `DPoP`, not `Bearer`. */
    dpop = false,
  ) {
    super(message);
    this.name = 'AccessDenied';
    const unavailable = reason === 'revocations_unknown' || reason === 'busy';
    this.status = this.statusCode = unavailable ? 503 : 401;
    const challenge = dpop
      ? `DPoP error="${reason === 'invalid_dpop_proof' ? 'invalid_dpop_proof' : 'invalid_token'}", algs="${DPOP_ALGORITHMS.join(' ')}"`
      : 'Bearer error="invalid_token"';
    this.headers = unavailable ? { 'Retry-After': '5' } : { 'WWW-Authenticate': challenge };
  }

  /** The JSON body adapters answer with (RFC 6750 §3 names). */
  toJSON(): { error: string; error_description: string } {
    return { error: this.status === 503 ? 'temporarily_unavailable' : this.reason, error_description: this.message };
  }
}
