import { Injectable } from '@nestjs/common';
import { AppConfig, Clock, deriveSecret, DomainError } from '@app/platform';
import { CLOCK_TOLERANCE_S } from '../clock-tolerance.js';
import { DpopMetrics } from './dpop-metrics.js';
import { DpopNonces } from './dpop-nonces.js';
import { DpopProofInvalid } from './dpop.errors.js';
import { DPOP_SIGNING_ALGORITHMS } from '@device-auth/verifier/core';
import { DpopProofVerifier, type VerifiedDpopProof } from './dpop-proof.verifier.js';
import type { DpopRequest } from './dpop-request.js';

/** How long one nonce window lasts; a nonce is accepted for two (RFC 9449 §8). */
const NONCE_WINDOW_S = 60;

/**
 * This process's DPoP checks (RFC 9449) with the deployment's settings: DPOP_PROOF_MAX_AGE,
 * DPOP_NONCE (stateless nonces any process verifies: the key derives from the signing key),
 * PUBLIC_URL for `htu`. Every refusal carries the next `DPoP-Nonce` when nonces are on, so the
 * client can retry at once.
 */
@Injectable()
export class DpopService {
  readonly algorithms = DPOP_SIGNING_ALGORITHMS;
  private readonly nonces: DpopNonces | null;
  private readonly verifier: DpopProofVerifier;

  constructor(
    private readonly config: AppConfig,
    clock: Clock,
    private readonly metrics: DpopMetrics,
  ) {
    const now = () => clock.now();
    this.nonces = config.dpop.nonce
      ? new DpopNonces({ key: deriveSecret(config.signingKeys.derivationRoot, 'dpop nonce v1'), windowSeconds: NONCE_WINDOW_S, now })
      : null;
    this.verifier = new DpopProofVerifier({
      maxAgeSeconds: config.dpop.proofMaxAge,
      clockToleranceSeconds: CLOCK_TOLERANCE_S,
      now,
      freshnessFromNonce: this.nonces !== null,
      nonceLifetimeSeconds: this.nonces?.lifetimeSeconds,
      replayCacheSize: config.dpop.replayCacheSize,
    });
  }

  /**
   * The key thumbprint (`jkt`) the request's proof was made with, the proof checked and
   * remembered under that key (its share of the replay cache); the proof must carry `ath` when
   * `accessToken` is given.
   */
  async verify(request: DpopRequest, accessToken?: string): Promise<string> {
    const proof = await this.check(request, accessToken);
    this.remember(proof, proof.jkt);
    return proof.jkt;
  }

  /** Every check but the replay check: nothing is remembered yet (see `remember`). */
  async check(request: DpopRequest, accessToken?: string): Promise<VerifiedDpopProof> {
    const url = (this.config.publicUrl ?? request.origin) + request.path;
    const nonces = this.nonces;
    const nonce = nonces ? (value: string | undefined) => nonces.isValid(value) : undefined;
    try {
      return await this.verifier.check(request.proof, { method: request.method, url, accessToken, nonce });
    } catch (error) {
      throw this.refused(error);
    }
  }

  /**
   * Remembers a checked proof for replay detection, on `owner`'s share of the cache: its key, or
   * for a sign-in (where keys cost nothing to make) the client's network.
   * @throws DpopProofInvalid for a replay, RateLimited when the owner is over its share
   */
  remember(proof: VerifiedDpopProof, owner: string): void {
    try {
      this.verifier.remember(proof, owner);
    } catch (error) {
      throw this.refused(error);
    }
  }

  /** Counts a refusal and adds the next nonce to it (the client can retry at once). */
  private refused(error: unknown): unknown {
    this.metrics.rejected(error);
    if (error instanceof DomainError) error.headers = { ...error.headers, ...this.nonceHeader() };
    return error;
  }

  /** `invalid_dpop_proof` for a request whose proof is missing or made with the wrong key. */
  refusal(detail: string): DpopProofInvalid {
    const error = new DpopProofInvalid(detail);
    error.headers = this.nonceHeader();
    this.metrics.rejected(error);
    return error;
  }

  /** `DPoP-Nonce: <current>` when nonces are on (RFC 9449 §8.2: also on successful answers). */
  nonceHeader(): Record<string, string> {
    return this.nonces ? { 'DPoP-Nonce': this.nonces.current() } : {};
  }
}
