import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry } from '@app/platform';
import { DpopNonceRequired, DpopProofInvalid } from './dpop.errors.js';

/** DPoP's own metric (`GET /metrics`): proofs refused, by the error the client was told. */
@Injectable()
export class DpopMetrics {
  private readonly rejections: Counter<'error'>;

  constructor(registry: MetricsRegistry) {
    this.rejections = registry.counter({
      name: 'auth_dpop_rejections_total',
      help: 'DPoP proofs refused (missing, invalid, wrong key), or refused for want of a server nonce (use_dpop_nonce).',
      labelNames: ['error'],
    });
  }

  rejected(error: unknown): void {
    if (error instanceof DpopNonceRequired) this.rejections.inc({ error: 'use_dpop_nonce' });
    else if (error instanceof DpopProofInvalid) this.rejections.inc({ error: 'invalid_dpop_proof' });
  }

  /**
   * A key-bound access token refused at a guarded route for want of its key: a valid proof by
   * another key, or the token sent as Bearer (`error` label `invalid_token`). Either is someone
   * holding a bound token without the device's key.
   */
  boundTokenWithoutKey(): void {
    this.rejections.inc({ error: 'invalid_token' });
  }
}
